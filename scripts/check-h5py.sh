#!/usr/bin/env bash
# Do elucid's Keras HDF5 files look, to h5py, the way Keras writes them? Writes the seed model and a model with
# BatchNormalization and weightless layers as NAME.h5 (tf.keras 2.x model.save), NAME.legacy.h5 (tf.keras 2.x
# save_weights), NAME.weights.h5 (Keras 3 save_weights) and NAME.keras (Keras 3 model.save) with
# tests/h5py/write_files.cpp, then lists each file's tree with h5py (paths, attribute names, dtypes) and compares it
# with the layout Keras' saving code gives that model (legacy_h5_format.py, saving_lib.py), derived here from the
# file's own model config: layer_names, weight_names and their datasets; optimizer_weights with OptimizerV2's
# names; layers/<class>_<n>/vars/<i>; the zip's stored members. A development check (docs/keras-compatibility.md), not part of .ci/run.
#
# Needs g++, a built tree with libelucid.so (BUILD_DIR, default build) and python3-h5py, which it installs with
# apt-get when missing (this script's own requirement; scripts/setup.sh does not install it).
# Usage: scripts/check-h5py.sh   Environment: BUILD_DIR (build), WORK (${TMPDIR:-/tmp}/elucid-h5py), VERBOSE=1 prints
# every tree. Exit status 0 when every file has Keras' layout, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(realpath "${BUILD_DIR:-build}")
work=${WORK:-${TMPDIR:-/tmp}/elucid-h5py}
python=/usr/bin/python3  # Debian's python3-h5py is installed for the system interpreter
mkdir -p "$work"

if ! "$python" -c "import h5py" 2> /dev/null; then
  echo "== check-h5py: installing python3-h5py =="
  apt-get install -y python3-h5py > /dev/null
fi

echo "== check-h5py: write_files (tests/h5py/write_files.cpp) against $build =="
${CXX:-g++} -std=c++20 -O1 -Wall -Wextra -Werror -I"$build/include" tests/h5py/write_files.cpp -o "$work/write_files" \
  -L"$build" -lelucid -Wl,-rpath,"$build"
rm -f "$work"/*.h5 "$work"/*.keras
"$work/write_files" "$root" "$work"

VERBOSE=${VERBOSE:-0} "$python" - "$work" <<'EOF'
import io, json, os, re, sys, zipfile
import h5py

work = sys.argv[1]
verbose = os.environ.get("VERBOSE") == "1"
WEIGHTS = {"Conv2D": ["kernel", "bias"], "Dense": ["kernel", "bias"],
           "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"]}
problems = []


def snake(name):  # Keras' to_snake_case, by its three rules
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def tree(f):
    """Sorted lines: path kind, and path@attr dtype."""
    lines = ["/@%s %s" % (k, f.attrs[k].dtype if hasattr(f.attrs[k], "dtype") else type(f.attrs[k]).__name__)
             for k in f.attrs]
    def visit(name, obj):
        kind = "dataset %s %s" % (obj.dtype, obj.shape) if isinstance(obj, h5py.Dataset) else "group"
        lines.append("/%s %s" % (name, kind))
        for k in obj.attrs:
            v = obj.attrs[k]
            lines.append("/%s@%s %s" % (name, k, v.dtype if hasattr(v, "dtype") else type(v).__name__))
    f.visititems(visit)
    return sorted(lines)


def check(what, cond, detail=""):
    if not cond:
        problems.append("%s: %s" % (what, detail))


def text(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def layers_of(config):
    """(name, class) of the layers Keras' model.layers gives: all but the InputLayer."""
    return [(l["config"]["name"], l["class_name"]) for l in config["config"]["layers"] if l["class_name"] != "InputLayer"]


def check_legacy_weights(path, g, layers):
    names = [text(n) for n in g.attrs["layer_names"]]
    check(path, names == [n for n, _ in layers], "layer_names %s" % names)
    check(path, g.attrs["layer_names"].dtype.kind == "S", "layer_names is not fixed-length bytes")
    for a in ("backend", "keras_version"):
        check(path, a in g.attrs, "no attribute " + a)
    for name, cls in layers:
        check(path, name in g, "no group " + name)
        wn = [text(n) for n in g[name].attrs["weight_names"]]
        check(path, wn == ["%s/%s:0" % (name, w) for w in WEIGHTS.get(cls, [])], "%s weight_names %s" % (name, wn))
        for w in wn:
            check(path, w in g[name] and g[name][w].dtype == "float32", "%s/%s is not a float32 dataset" % (name, w))


def check_optimizer_weights(path, f, layers):
    """save_optimizer_weights_to_hdf5_group with OptimizerV2's names: <Opt>/iter:0, then each slot over the
    trainable variables, <Opt>/<layer>/<weight>/<slot>:0 in the variable's shape."""
    opt = json.loads(text(f.attrs["training_config"]))["optimizer_config"]["class_name"]
    slots = {"Adam": ["m", "v"], "RMSprop": ["rms"], "Adagrad": ["accumulator"]}.get(opt, [])
    trainable = ["%s/%s" % (name, w) for name, cls in layers for w in WEIGHTS.get(cls, []) if not w.startswith("moving_")]
    expected = ["%s/iter:0" % opt] + ["%s/%s/%s:0" % (opt, v, s) for s in slots for v in trainable]
    check(path, "optimizer_weights" in f, "no optimizer_weights group")
    if "optimizer_weights" not in f:
        return 0
    g = f["optimizer_weights"]
    check(path, g.attrs["weight_names"].dtype.kind == "S", "optimizer_weights' weight_names is not fixed-length bytes")
    names = [text(n) for n in g.attrs["weight_names"]]
    check(path, names == expected, "optimizer_weights' weight_names %s, expected %s" % (names[:3], expected[:3]))
    check(path, g[expected[0]].dtype == "int64" and g[expected[0]].shape == (), "the step count is not an int64 scalar")
    weights = f["model_weights"]
    for name in expected[1:]:
        variable = name[len(opt) + 1:name.rindex("/")]
        layer = variable.split("/")[0]
        check(path, name in g and g[name].dtype == "float32" and g[name].shape == weights[layer][variable + ":0"].shape,
              "optimizer_weights/%s is not float32 in its variable's shape" % name)
    return len(expected)


def check_keras3_weights(path, f, layers, optimizer_vars):
    used, expected = {}, set()
    for name, cls in layers:
        group = snake(cls)
        if group in used:
            used[group] += 1
            group = "%s_%d" % (group, used[group])
        else:
            used[group] = 0
        expected.add(group)
        vars_ = "layers/%s/vars" % group
        check(path, vars_ in f, "no group " + vars_)
        if vars_ in f:
            keys = sorted(f[vars_].keys(), key=int)
            check(path, keys == [str(i) for i in range(len(WEIGHTS.get(cls, [])))], "%s holds %s" % (vars_, keys))
            check(path, all(f[vars_][k].dtype == "float32" for k in keys), vars_ + " not float32")
    check(path, set(f["layers"].keys()) == expected, "layers holds %s" % sorted(f["layers"].keys()))
    check(path, "vars" in f, "no root vars group")
    if optimizer_vars is None:
        check(path, "optimizer" not in f, "an optimizer group in save_weights' file")
    else:
        keys = sorted(f["optimizer/vars"].keys(), key=int)
        check(path, len(keys) == optimizer_vars, "optimizer/vars holds %d variables, expected %d" % (len(keys), optimizer_vars))
        check(path, f["optimizer/vars/0"].dtype == "int64" and f["optimizer/vars/0"].shape == (), "iterations not int64")


for base in ("seed", "bn"):
    p = "%s/%s.h5" % (work, base)
    with h5py.File(p, "r") as f:
        config = json.loads(text(f.attrs["model_config"]))
        layers = layers_of(config)
        for a in ("keras_version", "backend", "model_config", "training_config"):
            check(p, a in f.attrs and f.attrs[a].dtype.kind == "S", "root attribute %s missing or not bytes" % a)
        check(p, "optimizer_config" in json.loads(text(f.attrs["training_config"])), "training_config")
        check_legacy_weights(p, f["model_weights"], layers)
        optimizer_weights = check_optimizer_weights(p, f, layers)
        if verbose: print("\n".join(["== " + p] + tree(f)))
        summary = tree(f)
    print("%-28s %3d lines: root attributes %s; model_weights/<layer>/<layer>/<weight>:0; optimizer_weights %d" %
          (base + ".h5", len(summary), ", ".join(sorted(f for f in ("keras_version", "backend", "model_config", "training_config"))),
           optimizer_weights))
    p = "%s/%s.legacy.h5" % (work, base)
    with h5py.File(p, "r") as f:
        check_legacy_weights(p, f, layers)
        if verbose: print("\n".join(["== " + p] + tree(f)))
        print("%-28s %3d lines: layer_names, backend, keras_version at the root" % (base + ".legacy.h5", len(tree(f))))
    p = "%s/%s.weights.h5" % (work, base)
    with h5py.File(p, "r") as f:
        check_keras3_weights(p, f, layers, None)
        if verbose: print("\n".join(["== " + p] + tree(f)))
        print("%-28s %3d lines: layers/%s/vars/<i>, vars" %
              (base + ".weights.h5", len(tree(f)), ", ".join(sorted(f["layers"].keys()))))
    p = "%s/%s.keras" % (work, base)
    with zipfile.ZipFile(p) as z:
        infos = z.infolist()
        check(p, [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"],
              "members %s" % [i.filename for i in infos])
        check(p, all(i.compress_type == zipfile.ZIP_STORED for i in infos), "a member is compressed")
        k3 = json.loads(z.read("config.json"))
        check(p, k3.get("module") == "keras" and k3.get("class_name") == "Sequential", "config.json is not Keras 3's")
        check(p, "compile_config" in k3, "config.json has no compile_config")
        check(p, layers_of(k3) == layers, "config.json's layers differ from model_config's")
        trainable = sum(len([w for w in WEIGHTS.get(c, []) if not w.startswith("moving_")]) for _, c in layers)
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            check_keras3_weights(p, f, layers, 2 + 2 * trainable)
            if verbose: print("\n".join(["== " + p + " model.weights.h5"] + tree(f)))
            n = len(tree(f))
    print("%-28s members metadata.json, config.json, model.weights.h5 (stored); %d lines, optimizer/vars %d" %
          (base + ".keras", n, 2 + 2 * trainable))

if problems:
    print("check-h5py: %d difference(s) from Keras' layout:" % len(problems))
    print("\n".join("  " + p for p in problems))
    sys.exit(1)
print("check-h5py: every file has Keras' layout")
EOF
