// Recipes: each section read with its keys checked (nearest-key suggestions), its types named in errors, and its
// paths resolved against the recipe's folder.
#include <elucid/recipe/recipe.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_objects.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/keras_weights.hpp>
#include <elucid/saving/model_file.hpp>
#include <elucid/callbacks/terminate_on_nan.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>

namespace elucid {

using json::Json;
using json::Value;
namespace fs = std::filesystem;

namespace {
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
const std::vector<std::string> kCallbacks = {"EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "CSVLogger",
                                             "TerminateOnNaN"};
const std::vector<std::string> kDataSets = {"fashion_mnist", "mnist", "kmnist"};

std::string resolve(const std::string& base, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base.empty()) return path;
  return (fs::path(base) / path).lexically_normal().string();
}

std::string folder_of(const std::string& path) {
  const std::string parent = fs::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Runs `f`, turning an elucid::Error from a constructor into one that names the JSON value.
template <class F>
void checked(const Value& v, F f) {
  try {
    f();
  } catch (const Error& e) {
    v.fail(e.what());
  }
}

// A path member: the string resolved against `base`.
std::string path_of(const Value& section, const std::string& key, const std::string& base) {
  const std::string p = section.at(key).as_string();
  if (p.empty()) section.at(key).fail("expected a path, got an empty string");
  return resolve(base, p);
}

FitSettings read_fit(const Value& v) {
  v.require_object();
  v.check_keys({"epochs", "batch_size", "validation_split", "shuffle", "verbose", "seed"});
  FitSettings f;
  f.epochs = static_cast<int>(v.get_int("epochs", f.epochs, 0, 1000000));
  f.batch_size = static_cast<int>(v.get_int("batch_size", f.batch_size, 1, 1 << 20));
  f.validation_split = v.get_number("validation_split", 0.0);
  if (!(f.validation_split >= 0 && f.validation_split < 1))
    v.at("validation_split").fail("expected a fraction in [0, 1), got " + format_number(f.validation_split));
  f.shuffle = v.get_bool("shuffle", true);
  f.verbose = static_cast<int>(v.get_int("verbose", 1, 0, 2));
  if (v.has("seed")) f.seed = static_cast<uint64_t>(v.at("seed").as_int(0, kMaxInt));
  return f;
}

CallbackSpec read_callback(const Value& v, const std::string& base) {
  v.require_object();
  v.check_keys({"class_name", "config", "module", "registered_name"});
  CallbackSpec spec;
  spec.class_name = v.at("class_name").as_string();
  static const Json empty = Json::object();
  const Value c = v.has("config") ? v.at("config") : Value(empty, v.source(), v.path() + ".config");
  c.require_object();
  const std::string& k = spec.class_name;
  if (k == "EarlyStopping") {
    c.check_keys({"monitor", "min_delta", "patience", "verbose", "mode", "baseline", "restore_best_weights",
                  "start_from_epoch"});
    auto& o = spec.early_stopping;
    o.monitor = c.get_string("monitor", o.monitor);
    o.min_delta = c.get_number("min_delta", o.min_delta);
    o.patience = static_cast<int>(c.get_int("patience", o.patience, 0, 1 << 30));
    o.verbose = static_cast<int>(c.get_int("verbose", o.verbose, 0, 2));
    o.mode = c.get_string("mode", o.mode);
    if (c.has("baseline")) o.baseline = c.at("baseline").as_number();
    o.restore_best_weights = c.get_bool("restore_best_weights", o.restore_best_weights);
    o.start_from_epoch = static_cast<int>(c.get_int("start_from_epoch", o.start_from_epoch, 0, 1 << 30));
    checked(c, [&] { callbacks::EarlyStopping check(o); });
  } else if (k == "ReduceLROnPlateau") {
    c.check_keys({"monitor", "factor", "patience", "verbose", "mode", "min_delta", "cooldown", "min_lr"});
    auto& o = spec.reduce_lr;
    o.monitor = c.get_string("monitor", o.monitor);
    o.factor = c.get_number("factor", o.factor);
    o.patience = static_cast<int>(c.get_int("patience", o.patience, 0, 1 << 30));
    o.verbose = static_cast<int>(c.get_int("verbose", o.verbose, 0, 2));
    o.mode = c.get_string("mode", o.mode);
    o.min_delta = c.get_number("min_delta", o.min_delta);
    o.cooldown = static_cast<int>(c.get_int("cooldown", o.cooldown, 0, 1 << 30));
    o.min_lr = c.get_number("min_lr", o.min_lr);
    checked(c, [&] { callbacks::ReduceLROnPlateau check(o); });
  } else if (k == "ModelCheckpoint") {
    c.check_keys({"filepath", "monitor", "verbose", "save_best_only", "save_weights_only", "mode", "save_freq",
                  "initial_value_threshold"});
    auto& o = spec.model_checkpoint;
    spec.path = path_of(c, "filepath", base);
    o.monitor = c.get_string("monitor", o.monitor);
    o.verbose = static_cast<int>(c.get_int("verbose", o.verbose, 0, 2));
    o.save_best_only = c.get_bool("save_best_only", o.save_best_only);
    o.save_weights_only = c.get_bool("save_weights_only", o.save_weights_only);
    o.mode = c.get_string("mode", o.mode);
    if (c.has("save_freq")) {
      const Value f = c.at("save_freq");
      if (f.is_string()) {
        if (f.as_string() != "epoch") f.fail("expected \"epoch\" or a number of batches, got \"" + f.as_string() + "\"");
      } else {
        o.save_freq = f.as_int(1, kMaxInt);
      }
    }
    if (c.has("initial_value_threshold")) o.initial_value_threshold = c.at("initial_value_threshold").as_number();
    checked(c, [&] { callbacks::ModelCheckpoint check(spec.path, o); });
  } else if (k == "CSVLogger") {
    c.check_keys({"filename", "separator", "append"});
    spec.path = path_of(c, "filename", base);
    const std::string separator = c.get_string("separator", ",");
    if (separator.size() != 1) c.at("separator").fail("expected one character, got \"" + separator + "\"");
    spec.csv_logger.separator = separator[0];
    spec.csv_logger.append = c.get_bool("append", false);
  } else if (k == "TerminateOnNaN") {
    c.check_keys({});
  } else {
    const std::string guess = json::nearest(k, kCallbacks);
    v.at("class_name").fail("unknown callback \"" + k + "\"; " +
                            (guess.empty() ? "known: EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger, TerminateOnNaN"
                                           : "did you mean '" + guess + "'?"));
  }
  return spec;
}

DataSource read_data(const Value& v, const std::string& base, std::vector<std::string>& notes) {
  v.require_object();
  const std::vector<std::string> built_in = {"dataset", "dir"};
  const std::vector<std::string> idx = {"train_images", "train_labels", "test_images", "test_labels", "class_names"};
  // "validation_split": test_split's old name (it shared the name with fit.validation_split), still read.
  const std::vector<std::string> folder = {"image_folder", "image_size", "color_mode", "test_split", "validation_split",
                                           "seed", "class_names"};
  std::vector<std::string> all = {"max_train_samples", "max_test_samples"};
  for (const auto* keys : {&built_in, &idx, &folder}) all.insert(all.end(), keys->begin(), keys->end());
  v.check_keys(all);
  const int kinds = int(v.has("dataset")) + int(v.has("train_images")) + int(v.has("image_folder"));
  if (kinds != 1)
    v.fail(std::string(kinds == 0 ? "no data given" : "more than one data source given") +
           ": use one of 'dataset' (a built-in data set), 'train_images' (IDX files) or 'image_folder'");
  DataSource d;
  const std::vector<std::string>* own = &built_in;
  if (v.has("dataset")) {
    d.kind = DataSource::Kind::BuiltIn;
    d.name = v.at("dataset").as_string();
    if (std::find(kDataSets.begin(), kDataSets.end(), d.name) == kDataSets.end()) {
      const std::string guess = json::nearest(d.name, kDataSets);
      v.at("dataset").fail("unknown data set \"" + d.name + "\"; " +
                           (guess.empty() ? "built in: fashion_mnist, mnist, kmnist" : "did you mean '" + guess + "'?"));
    }
    if (v.has("dir")) d.dir = path_of(v, "dir", base);
  } else if (v.has("train_images")) {
    own = &idx;
    d.kind = DataSource::Kind::Idx;
    d.train_images = path_of(v, "train_images", base);
    if (!v.has("train_labels")) v.fail("'train_images' needs 'train_labels'");
    d.train_labels = path_of(v, "train_labels", base);
    if (v.has("test_images") != v.has("test_labels")) v.fail("give both 'test_images' and 'test_labels', or neither");
    if (v.has("test_images")) {
      d.test_images = path_of(v, "test_images", base);
      d.test_labels = path_of(v, "test_labels", base);
    }
  } else {
    own = &folder;
    d.kind = DataSource::Kind::ImageFolder;
    d.dir = path_of(v, "image_folder", base);
    if (v.has("image_size")) {
      const auto size = v.at("image_size").as_array();
      if (size.size() != 2) v.at("image_size").fail("expected [height, width]");
      d.image_height = size[0].as_int(1, 1 << 15);
      d.image_width = size[1].as_int(1, 1 << 15);
    }
    d.color_mode = v.get_string("color_mode", "");
    if (!d.color_mode.empty() && d.color_mode != "grayscale" && d.color_mode != "rgb" && d.color_mode != "rgba")
      v.at("color_mode").fail("expected \"grayscale\", \"rgb\" or \"rgba\", got \"" + d.color_mode + "\"");
    // The files held out as the test set: Keras' image_dataset_from_directory calls them its validation subset.
    std::string split_key = "test_split";
    if (v.has("validation_split")) {
      if (v.has("test_split"))
        v.at("validation_split").fail("is test_split's old name; give test_split alone");
      split_key = "validation_split";
      notes.push_back(v.at("validation_split").path() + " is read as data.test_split, its new name: the fraction of the "
                      "images held out as the test set (fit.validation_split is the validation data during training)");
    }
    d.test_split = v.get_number(split_key, 0.0);
    if (!(d.test_split >= 0 && d.test_split < 1)) v.at(split_key).fail("expected a fraction in [0, 1)");
    d.split_seed = static_cast<uint64_t>(v.get_int("seed", 0, 0, kMaxInt));
  }
  for (const auto& [key, item] : v.json().items()) {
    (void)item;
    if (key != "max_train_samples" && key != "max_test_samples" && std::find(own->begin(), own->end(), key) == own->end())
      v.at(key).fail("does not go with this kind of data source");
  }
  if (v.has("class_names"))
    for (const Value& name : v.at("class_names").as_array()) d.class_names.push_back(name.as_string());
  // 0 would keep no sample: refused rather than read as "all", which is what leaving the key out means.
  for (const char* key : {"max_train_samples", "max_test_samples"})
    if (v.has(key) && v.at(key).as_int(0, kMaxInt) == 0)
      v.at(key).fail("0 keeps no sample; give a positive number, or leave the key out to keep every sample");
  d.max_train_samples = v.get_int("max_train_samples", 0, 1, kMaxInt);
  d.max_test_samples = v.get_int("max_test_samples", 0, 1, kMaxInt);
  return d;
}

OutputSettings read_output(const Value* v, const std::string& base, const std::string& stem) {
  OutputSettings o;
  // Missing: the default next to the recipe; null: not written.
  auto path = [&](const std::string& key, const std::string& fallback) -> std::string {
    if (!v || !v->json().contains(key)) return resolve(base, fallback);
    if (v->at(key).is_null()) return "";
    return path_of(*v, key, base);
  };
  if (v) {
    v->require_object();
    v->check_keys({"model", "history_csv", "checkpoint_dir", "checkpoint_every", "training_curves", "confusion_matrix"});
  }
  o.model = path("model", stem + ".elucid");
  o.history_csv = path("history_csv", stem + ".history.csv");
  o.checkpoint_dir = path("checkpoint_dir", stem + ".checkpoints");
  o.training_curves = path("training_curves", "");
  o.confusion_matrix = path("confusion_matrix", "");
  if (v) o.checkpoint_every = v->get_int("checkpoint_every", 0, 0, kMaxInt);
  return o;
}
}  // namespace

std::string DataSource::description() const {
  switch (kind) {
    case Kind::BuiltIn: return name + (dir.empty() ? "" : " from " + dir);
    case Kind::Idx: return "IDX files " + train_images + ", " + train_labels + (test_images.empty() ? "" : ", " + test_images + ", " + test_labels);
    case Kind::ImageFolder: return "images in " + dir;
  }
  return "";
}

Recipe parse_recipe(const std::string& text, const std::string& path, const std::string& output_dir) {
  const Json j = json::parse(text, path);
  const Value top(j, path, "");
  top.require_object();
  top.check_keys({"description", "seed", "threads", "dtype_policy", "model", "initial_weights", "compile", "fit",
                  "callbacks", "terminate_on_nan", "data", "output"});
  const std::string base = folder_of(path);
  Recipe r;
  r.path = path;
  r.seed = static_cast<uint64_t>(top.get_int("seed", 0, 0, kMaxInt));
  r.threads = static_cast<int>(top.get_int("threads", 0, 0, 1024));
  if (top.has("dtype_policy")) {
    const std::string name = top.at("dtype_policy").as_string();
    try {
      r.dtype_policy = mixed_precision::DTypePolicy(name);
    } catch (const Error& e) {
      top.at("dtype_policy").fail(e.what());
    }
  }

  const Value model = top.at("model");
  Json model_json;
  std::optional<CompileConfig> file_compile;  // a Keras .h5 or .keras model's own compile settings
  if (model.is_string()) {
    const std::string file = path_of(top, "model", base);
    std::string bytes;
    try {
      bytes = read_file(file, size_t(4) << 30);
      if (is_hdf5_bytes(bytes) || is_zip_bytes(bytes)) {
        // A Keras model file: its architecture, and its weights as the starting point.
        ModelFile keras = read_any_model(bytes, file);
        r.model_json = keras.trainer().to_json();
        r.initial_weights = file;
        if (keras.trainer().compiled()) file_compile = keras::compile_config_of(keras.trainer());
      } else if (bytes.size() > (size_t(64) << 20)) {
        throw Error("a Keras JSON file of " + thousands(static_cast<int64_t>(bytes.size())) + " bytes, beyond 64 MiB");
      } else {
        r.model_json = std::move(bytes);
      }
    } catch (const Error& e) {
      model.fail(e.what());
    }
    r.model_source = file;
    model_json = json::parse(r.model_json, file);
  } else {
    model.require_object();
    r.model_json = model.json().dump();
    r.model_source = path;
    r.model_path = "model";
    model_json = model.json();
  }
  if (top.has("initial_weights")) {
    r.initial_weights = path_of(top, "initial_weights", base);
    std::error_code ec;
    if (!fs::is_regular_file(r.initial_weights, ec)) top.at("initial_weights").fail(r.initial_weights + ": no such file");
  }
  if (top.has("compile")) r.compile = keras::compile_config_from_json(top.at("compile"), /*strict=*/true);
  else if (file_compile) r.compile = file_compile;
  if (top.has("fit")) r.fit = read_fit(top.at("fit"));
  if (top.has("callbacks"))
    for (const Value& item : top.at("callbacks").as_array()) r.callbacks.push_back(read_callback(item, base));
  r.terminate_on_nan = top.get_bool("terminate_on_nan", true);
  r.data = read_data(top.at("data"), base, r.notes);
  const std::string stem = fs::path(path).stem().string();
  const Value output = top.has("output") ? top.at("output") : top;
  r.output = read_output(top.has("output") ? &output : nullptr, output_dir.empty() ? base : output_dir, stem);

  Json fit = top.has("fit") ? top.at("fit").json() : Json::object();
  fit.erase("epochs");
  fit.erase("verbose");
  Json key = Json::object();
  key["seed"] = r.seed;
  if (r.dtype_policy) key["dtype_policy"] = r.dtype_policy->name();
  key["model"] = model_json;
  if (!r.initial_weights.empty()) key["initial_weights"] = r.initial_weights;
  key["compile"] = top.has("compile") ? top.at("compile").json() : Json();
  key["fit"] = fit;
  key["callbacks"] = top.has("callbacks") ? top.at("callbacks").json() : Json();
  key["terminate_on_nan"] = r.terminate_on_nan;
  key["data"] = Json::object();
  for (const auto& [name, value] : top.at("data").json().items())  // either name of the test split: the same run
    key["data"][name == "validation_split" ? "test_split" : name] = value;
  r.run_key = key.dump();
  return r;
}

Recipe load_recipe(const std::string& path, const std::string& output_dir) {
  return parse_recipe(read_file(path, size_t(64) << 20), path, output_dir);
}

namespace {
void apply_compile(const Recipe& recipe, const std::optional<CompileConfig>& from_json, train::Trainer& model) {
  const std::optional<CompileConfig>& compile = recipe.compile ? recipe.compile : from_json;
  if (!compile) return;
  try {
    compile->apply(model);
  } catch (const Error& e) {
    throw Error(recipe.path + ": compile: " + e.what());
  }
}
}  // namespace

namespace {
// The recipe's compile settings (or else the JSON's compile_config), then its initial_weights.
void finish_model(const Recipe& recipe, const std::optional<CompileConfig>& from_json, train::Trainer& model) {
  apply_compile(recipe, from_json, model);
  if (recipe.initial_weights.empty()) return;
  try {
    load_weights(model, recipe.initial_weights);
  } catch (const Error& e) {
    throw Error(recipe.path + ": initial_weights: " + e.what());
  }
}

// The recipe's "dtype_policy", when it has one, for every layer: it overrides the Keras JSON's dtype of each.
void apply_dtype_policy(const Recipe& recipe, const std::vector<std::shared_ptr<layers::Layer>>& model_layers) {
  if (!recipe.dtype_policy) return;
  for (const auto& layer : model_layers) layer->set_dtype_policy(*recipe.dtype_policy);
}

bool is_sequential(const Value& top) {
  return !top.is_object() || !top.has("class_name") || !top.at("class_name").is_string() ||
         top.at("class_name").as_string() == "Sequential";
}
}  // namespace

Sequential build_model(const Recipe& recipe) {
  set_random_seed(recipe.seed);
  const Json j = json::parse(recipe.model_json, recipe.model_source);
  keras::ModelJson m = keras::read_model(Value(j, recipe.model_source, recipe.model_path));
  apply_dtype_policy(recipe, m.model.layers());
  finish_model(recipe, m.compile, m.model);
  return std::move(m.model);
}

std::unique_ptr<train::Trainer> build_recipe_model(const Recipe& recipe) {
  set_random_seed(recipe.seed);
  const Json j = json::parse(recipe.model_json, recipe.model_source);
  const Value top(j, recipe.model_source, recipe.model_path);
  if (is_sequential(top)) {
    keras::ModelJson m = keras::read_model(top);
    apply_dtype_policy(recipe, m.model.layers());
    finish_model(recipe, m.compile, m.model);
    return std::make_unique<Sequential>(std::move(m.model));
  }
  keras::FunctionalJson m = keras::read_functional(top);
  apply_dtype_policy(recipe, m.model->layers());
  finish_model(recipe, m.compile, *m.model);
  return std::make_unique<Functional>(std::move(*m.model));
}

std::vector<std::shared_ptr<Callback>> make_callbacks(const Recipe& recipe, bool resuming) {
  std::vector<std::shared_ptr<Callback>> list;
  for (const CallbackSpec& spec : recipe.callbacks) {
    const std::string& k = spec.class_name;
    if (k == "EarlyStopping") list.push_back(std::make_shared<callbacks::EarlyStopping>(spec.early_stopping));
    else if (k == "ReduceLROnPlateau") list.push_back(std::make_shared<callbacks::ReduceLROnPlateau>(spec.reduce_lr));
    else if (k == "ModelCheckpoint") list.push_back(std::make_shared<callbacks::ModelCheckpoint>(spec.path, spec.model_checkpoint));
    else if (k == "CSVLogger") {
      auto options = spec.csv_logger;
      options.append = options.append || resuming;
      list.push_back(std::make_shared<callbacks::CSVLogger>(spec.path, options));
    } else if (k == "TerminateOnNaN") list.push_back(std::make_shared<callbacks::TerminateOnNaN>());
  }
  return list;
}

}  // namespace elucid
