#!/usr/bin/env python3
"""Writes tests/fixtures/keras_h5/: small Keras model files made with h5py the way Keras writes them, so the tests
read files elucid did not write, without Python at test time. Rerun after changing this script; the bytes may differ
with the h5py and HDF5 versions, the contents do not.

Needs python3-h5py and numpy (Debian: apt-get install python3-h5py). Usage: scripts/make-keras-h5-fixtures.py

The model (the same in every file): Conv2D(2, 3x3, elu, input 5x5x1), BatchNormalization, MaxPooling2D(2),
Flatten, Dense(3). Weight j of the model (model order, trainable first within a layer) holds, at flat index i,
((7 i + 13 j) mod 23) / 23 + 0.1 as float32: tests/saving/keras_h5.cpp computes the same numbers.

Files (see saving/keras_h5.hpp and saving/keras_v3.hpp for the layouts):
  legacy_model.h5        tf.keras 2.x model.save: model_config, training_config, model_weights, fixed-length
                         strings (numpy bytes), float64 empty weight_names for layers without weights, and
                         optimizer_weights as tf.keras 2.11-2.15 write them: iteration:0, then Adam/m/<variable>:0
                         and Adam/v/<variable>:0 in turn per trainable variable (the values of keras3.weights.h5)
  legacy_weights_vlen.h5 tf.keras 2.x save_weights layout at the root with variable-length (str) attributes
  keras3.weights.h5      Keras 3 save_weights: layers/<class>/vars/<i>, no name attributes (Keras before 3.10),
                         optimizer/vars (iterations, learning_rate, momentum and velocity per variable), vars
  keras3_model.keras     Keras 3 model.save: a stored zip of metadata.json, config.json, model.weights.h5
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "keras_h5")

# (layer name, class, [(weight name, shape)])
LAYERS = [
    ("conv2d", "Conv2D", [("kernel", (3, 3, 1, 2)), ("bias", (2,))]),
    ("batch_normalization", "BatchNormalization",
     [("gamma", (2,)), ("beta", (2,)), ("moving_mean", (2,)), ("moving_variance", (2,))]),
    ("max_pooling2d", "MaxPooling2D", []),
    ("flatten", "Flatten", []),
    ("dense", "Dense", [("kernel", (2, 3)), ("bias", (3,))]),
]


def values(j, shape):
    n = int(np.prod(shape))
    i = np.arange(n)
    return (((7 * i + 13 * j) % 23) / 23.0 + 0.1).astype(np.float32).reshape(shape)


def weights():
    """[(layer, [(name, array)])] in model order, the weight index j running over the whole model."""
    out, j = [], 0
    for name, _, ws in LAYERS:
        arrays = []
        for w, shape in ws:
            arrays.append((w, values(j, shape)))
            j += 1
        out.append((name, arrays))
    return out


def trainable_variables():
    """[("conv2d/kernel", array), ...]: the variables an optimizer steps, in model order."""
    return [(f"{name}/{w}", a) for name, arrays in weights() for w, a in arrays if not w.startswith("moving_")]


def slot_values(t, s, shape):
    """Slot s (0 momentum, 1 velocity) of trainable variable t, in every optimizer fixture."""
    return np.full(shape, 0.01 * (t + 1) + 0.001 * s, np.float32)


def glorot():
    return {"class_name": "GlorotUniform", "config": {"seed": None}}


def zeros():
    return {"class_name": "Zeros", "config": {}}


TF2_CONFIG = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 5, 5, 1], "dtype": "float32", "sparse": False,
                                            "ragged": False, "name": "conv2d_input"}},
    {"class_name": "Conv2D", "config": {"name": "conv2d", "trainable": True, "batch_input_shape": [None, 5, 5, 1],
                                        "dtype": "float32", "filters": 2, "kernel_size": [3, 3], "strides": [1, 1],
                                        "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1],
                                        "groups": 1, "activation": "elu", "use_bias": True,
                                        "kernel_initializer": glorot(), "bias_initializer": zeros(),
                                        "kernel_regularizer": None, "bias_regularizer": None,
                                        "activity_regularizer": None, "kernel_constraint": None,
                                        "bias_constraint": None}},
    {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": True,
                                                    "dtype": "float32", "axis": [3], "momentum": 0.99,
                                                    "epsilon": 0.001, "center": True, "scale": True,
                                                    "beta_initializer": zeros(),
                                                    "gamma_initializer": {"class_name": "Ones", "config": {}},
                                                    "moving_mean_initializer": zeros(),
                                                    "moving_variance_initializer": {"class_name": "Ones", "config": {}},
                                                    "beta_regularizer": None, "gamma_regularizer": None,
                                                    "beta_constraint": None, "gamma_constraint": None}},
    {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "trainable": True, "dtype": "float32",
                                              "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
                                              "data_format": "channels_last"}},
    {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                                         "data_format": "channels_last"}},
    {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": 3,
                                       "activation": "linear", "use_bias": True, "kernel_initializer": glorot(),
                                       "bias_initializer": zeros(), "kernel_regularizer": None,
                                       "bias_regularizer": None, "activity_regularizer": None,
                                       "kernel_constraint": None, "bias_constraint": None}},
]}}

TF2_TRAINING = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": None,
                "loss_weights": None,
                "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001,
                                                                      "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
                                                                      "epsilon": 1e-07, "amsgrad": False}}}


def k3(module, class_name, config):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def k3_layer(class_name, config, input_shape):
    d = k3("keras.layers", class_name, dict(config, dtype=k3("keras", "DTypePolicy", {"name": "float32"})))
    d["build_config"] = {"input_shape": input_shape}
    return d


K3_GLOROT = k3("keras.initializers", "GlorotUniform", {"seed": None})
K3_ZEROS = k3("keras.initializers", "Zeros", {})
K3_ONES = k3("keras.initializers", "Ones", {})
K3_CONFIG = {
    "module": "keras", "class_name": "Sequential",
    "config": {"name": "sequential", "trainable": True, "layers": [
        k3("keras.layers", "InputLayer", {"batch_shape": [None, 5, 5, 1], "dtype": "float32", "sparse": False,
                                          "name": "input_layer"}),
        k3_layer("Conv2D", {"name": "conv2d", "trainable": True, "filters": 2, "kernel_size": [3, 3],
                            "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
                            "dilation_rate": [1, 1], "groups": 1, "activation": "elu", "use_bias": True,
                            "kernel_initializer": K3_GLOROT, "bias_initializer": K3_ZEROS,
                            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                            "kernel_constraint": None, "bias_constraint": None}, [None, 5, 5, 1]),
        k3_layer("BatchNormalization", {"name": "batch_normalization", "trainable": True, "axis": -1,
                                        "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                                        "beta_initializer": K3_ZEROS, "gamma_initializer": K3_ONES,
                                        "moving_mean_initializer": K3_ZEROS, "moving_variance_initializer": K3_ONES,
                                        "beta_regularizer": None, "gamma_regularizer": None,
                                        "beta_constraint": None, "gamma_constraint": None, "synchronized": False},
                 [None, 3, 3, 2]),
        k3_layer("MaxPooling2D", {"name": "max_pooling2d", "trainable": True, "pool_size": [2, 2],
                                  "padding": "valid", "strides": [2, 2], "data_format": "channels_last"},
                 [None, 3, 3, 2]),
        k3_layer("Flatten", {"name": "flatten", "trainable": True, "data_format": "channels_last"}, [None, 1, 1, 2]),
        k3_layer("Dense", {"name": "dense", "trainable": True, "units": 3, "activation": "linear", "use_bias": True,
                           "kernel_initializer": K3_GLOROT, "bias_initializer": K3_ZEROS,
                           "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                           "kernel_constraint": None, "bias_constraint": None}, [None, 2]),
    ]},
    "registered_name": None,
    "build_config": {"input_shape": [None, 5, 5, 1]},
    "compile_config": {
        "optimizer": k3("keras.optimizers", "Adam", {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9,
                                                     "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}),
        "loss": k3("keras.losses", "SparseCategoricalCrossentropy",
                   {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
                    "from_logits": True, "ignore_class": None}),
        "loss_weights": None, "metrics": ["accuracy"], "weighted_metrics": None, "run_eagerly": False,
        "steps_per_execution": 1, "jit_compile": False},
}


def legacy_weights(g, fixed):
    """save_weights_to_hdf5_group: layer_names, backend, keras_version, a group per layer."""
    if fixed:
        g.attrs["layer_names"] = np.asarray([n.encode("utf8") for n, _, _ in LAYERS])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.15.0"
    else:
        g.attrs["layer_names"] = [n for n, _, _ in LAYERS]  # h5py: variable-length str
        g.attrs["backend"] = "tensorflow"
        g.attrs["keras_version"] = "2.15.0"
    for name, arrays in sorted(weights()):
        lg = g.create_group(name)
        names = [f"{name}/{w}:0" for w, _ in arrays]
        if fixed:
            lg.attrs["weight_names"] = np.asarray([n.encode("utf8") for n in names])  # [] gives float64, as Keras
        else:
            lg.attrs["weight_names"] = names if names else np.asarray([], dtype=h5py.string_dtype())
        for n, (_, a) in zip(names, arrays):
            lg.create_dataset(n, data=a)


def keras3_weights(f, with_names):
    layers = f.create_group("layers")
    for name, arrays in weights():
        v = layers.create_group(name).create_group("vars")
        if with_names:
            v.attrs["name"] = name
        for i, (_, a) in enumerate(arrays):
            v.create_dataset(str(i), data=a)
    o = f.create_group("optimizer").create_group("vars")
    o.create_dataset("0", data=np.int64(2))
    o.create_dataset("1", data=np.float32(0.001))
    k = 2
    for t, (_, a) in enumerate(trainable_variables()):
        for s in range(2):  # momentum, velocity
            o.create_dataset(str(k), data=slot_values(t, s, a.shape))
            k += 1
    f.create_group("vars")


def main():
    os.makedirs(OUT, exist_ok=True)
    with h5py.File(os.path.join(OUT, "legacy_model.h5"), "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(TF2_CONFIG).encode("utf8")
        f.attrs["training_config"] = json.dumps(TF2_TRAINING).encode("utf8")
        legacy_weights(f.create_group("model_weights"), fixed=True)
        o = f.create_group("optimizer_weights")
        names, data = ["iteration:0"], [np.int64(2)]
        for t, (variable, a) in enumerate(trainable_variables()):
            for s, slot in enumerate(("m", "v")):
                names.append(f"Adam/{slot}/{variable}:0")
                data.append(slot_values(t, s, a.shape))
        o.attrs["weight_names"] = np.asarray([n.encode("utf8") for n in names])
        for n, d in zip(names, data):
            o.create_dataset(n, data=d)
    with h5py.File(os.path.join(OUT, "legacy_weights_vlen.h5"), "w") as f:
        legacy_weights(f, fixed=False)
    with h5py.File(os.path.join(OUT, "keras3.weights.h5"), "w") as f:
        keras3_weights(f, with_names=False)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        keras3_weights(f, with_names=True)
    with zipfile.ZipFile(os.path.join(OUT, "keras3_model.keras"), "w") as z:  # ZIP_STORED, as Keras
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2024-10-01@12:00:00"}))
        z.writestr("config.json", json.dumps(K3_CONFIG))
        z.writestr("model.weights.h5", buffer.getvalue())


if __name__ == "__main__":
    main()
