// tf.keras 2.x .h5: model_config and training_config at the root, the weights under model_weights (or at the root),
// one group per layer holding weight_names and the datasets those names reach.
#include <elucid/saving/keras_h5.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_objects.hpp>

namespace elucid {

namespace {
const char* const kKerasVersion = "2.4.0";  // as to_json() writes: the tf.keras layout of these files
const char* const kBackend = "tensorflow";

// Keras' model.layers: every layer but the InputLayer.
std::vector<std::shared_ptr<layers::Layer>> keras_layers(const Sequential& model) {
  std::vector<std::shared_ptr<layers::Layer>> out;
  for (const auto& layer : model.layers())
    if (layer->class_name() != "InputLayer") out.push_back(layer);
  return out;
}

// "conv2d/kernel:0" below `g`: the groups conv2d, then the dataset kernel:0.
void write_weight(hdf5::Group& g, const std::string& name, const Tensor& t) {
  const size_t cut = name.find('/');
  if (cut == std::string::npos) return g.write_floats(name, t.shape(), t.data());
  const std::string first = name.substr(0, cut);
  hdf5::Group sub = g.has_group(first) ? g.group(first) : g.create_group(first);
  write_weight(sub, name.substr(cut + 1), t);
}

// save_weights_to_hdf5_group: layer_names, backend, keras_version, then a group per layer.
void write_weights(hdf5::Group& g, const Sequential& model) {
  const auto layers = keras_layers(model);
  std::vector<std::string> names;
  names.reserve(layers.size());
  for (const auto& layer : layers) names.push_back(layer->name());
  g.set_strings_attribute("layer_names", names);
  g.set_string_attribute("backend", kBackend, false);
  g.set_string_attribute("keras_version", kKerasVersion, false);
  for (const auto& layer : layers) {
    hdf5::Group lg = g.create_group(layer->name());
    const std::vector<NamedTensor> weights = layer->weights();  // trainable first, as Keras' _legacy_weights
    std::vector<std::string> weight_names;
    weight_names.reserve(weights.size());
    for (const NamedTensor& w : weights) weight_names.push_back(w.name + ":0");
    lg.set_strings_attribute("weight_names", weight_names);
    for (size_t i = 0; i < weights.size(); ++i) write_weight(lg, weight_names[i], weights[i].tensor);
  }
}

// The dataset a weight name reaches below a layer's group, and its last path part.
std::pair<hdf5::Group, std::string> weight_place(const hdf5::Group& layer_group, const std::string& weight_name) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t cut = weight_name.find('/', begin);
    parts.push_back(weight_name.substr(begin, cut == std::string::npos ? std::string::npos : cut - begin));
    if (cut == std::string::npos) break;
    begin = cut + 1;
  }
  if (parts.size() > 16) layer_group.fail("weight name \"" + weight_name + "\" is nested " + std::to_string(parts.size()) + " deep");
  hdf5::Group g = layer_group.group(".");
  for (size_t i = 0; i + 1 < parts.size(); ++i) g = g.group(parts[i]);
  return {std::move(g), parts.back()};
}

// load_weights_from_hdf5_group: by position, over the layers that have weights on both sides.
void read_weights(const hdf5::Group& g, Sequential& model) {
  const std::string& source = g.source();
  std::vector<std::string> file_layers;
  for (const std::string& name : g.strings_attribute("layer_names")) {
    if (!g.has_group(name)) g.fail("layer_names lists \"" + name + "\" but there is no group of that name");
    if (!g.group(name).strings_attribute("weight_names").empty()) file_layers.push_back(name);
  }
  std::vector<std::shared_ptr<layers::Layer>> model_layers;
  for (const auto& layer : keras_layers(model))
    if (!layer->weights().empty()) model_layers.push_back(layer);
  if (file_layers.size() != model_layers.size())
    throw Error(source + ": " + g.path() + ": the file has " + std::to_string(file_layers.size()) +
                " layers with weights, the model " + std::to_string(model_layers.size()));

  // Read everything into copies first: the model changes only once all of it has been read.
  std::vector<std::pair<Tensor, Tensor>> updates;  // (the model's weight, the value read)
  for (size_t k = 0; k < file_layers.size(); ++k) {
    const hdf5::Group lg = g.group(file_layers[k]);
    const auto& layer = model_layers[k];
    const std::string who = "layer \"" + layer->name() + "\" (" + layer->class_name() + ", file group \"" + file_layers[k] + "\")";
    const std::vector<std::string> names = lg.strings_attribute("weight_names");
    const std::vector<NamedTensor> weights = layer->weights();
    if (names.size() != weights.size())
      throw Error(source + ": " + who + " has " + std::to_string(weights.size()) + " weights, the file " +
                  std::to_string(names.size()));
    for (size_t i = 0; i < names.size(); ++i) {
      auto [dg, leaf] = weight_place(lg, names[i]);
      const hdf5::DatasetInfo info = dg.dataset_info(leaf);
      const Shape& expected = weights[i].tensor.shape();
      if (!info.is_float32)
        throw Error(source + ": " + who + ": weight \"" + names[i] + "\" is " + info.type + "; elucid reads float32");
      if (info.shape != expected)
        throw Error(source + ": " + who + ": weight \"" + names[i] + "\" has shape " + to_string(info.shape) +
                    "; the layer's " + weights[i].name + " is " + to_string(expected));
      Tensor value(expected);
      dg.read_floats(leaf, value.data(), value.size());
      updates.emplace_back(weights[i].tensor, std::move(value));
    }
  }
  for (auto& [to, from] : updates) std::copy(from.data(), from.data() + from.size(), to.data());
}

// tf.keras 2.x's training_config from elucid's compile config, and back.
json::Json training_config(const Sequential& model) {
  const json::Json c = keras::compile_config_to_json(model);
  json::Json t = json::Json::object();
  t["loss"] = c["loss"];
  t["metrics"] = c["metrics"];
  t["weighted_metrics"] = nullptr;
  t["loss_weights"] = nullptr;
  t["optimizer_config"] = c["optimizer"];
  return t;
}
}  // namespace

bool is_hdf5_bytes(std::string_view bytes) { return hdf5::is_hdf5_bytes(bytes); }

std::string keras_h5_bytes(const Sequential& model, const std::string& source) {
  // The architecture first: it throws for a model that is not built.
  json::Json config = json::parse(to_json(model), "the model's Keras JSON");
  config.erase("keras_version");
  config.erase("backend");
  hdf5::File file = hdf5::File::create(source);
  hdf5::Group& root = file.root();
  root.set_string_attribute("keras_version", kKerasVersion, false);
  root.set_string_attribute("backend", kBackend, false);
  root.set_string_attribute("model_config", json::dump_python(config), false);
  if (model.compiled()) root.set_string_attribute("training_config", json::dump_python(training_config(model)), false);
  hdf5::Group weights = root.create_group("model_weights");
  write_weights(weights, model);
  return file.bytes();
}

void save_keras_h5(const Sequential& model, const std::string& path) {
  write_file_atomically(path, keras_h5_bytes(model, path));
}

std::string keras_h5_weights_bytes(const Sequential& model, const std::string& source) {
  if (!model.built()) throw Error(source + ": the model is not built: it has no weights to save");
  hdf5::File file = hdf5::File::create(source);
  write_weights(file.root(), model);
  return file.bytes();
}

void read_keras_h5_weights(Sequential& model, std::string_view bytes, const std::string& source) {
  const hdf5::File file = hdf5::File::open(bytes, source);
  const hdf5::Group& root = file.root();
  if (root.has_group("model_weights")) return read_weights(root.group("model_weights"), model);
  if (!root.has_attribute("layer_names") && !root.has_attribute("layer_names0"))
    root.fail(root.has_group("layers") ? "a Keras 3 .weights.h5 (layers/...), not a tf.keras .h5"
                                       : "no model_weights group and no layer_names attribute: not a Keras .h5 file");
  read_weights(root, model);
}

ModelFile read_keras_h5(std::string_view bytes, const std::string& source) {
  const hdf5::File file = hdf5::File::open(bytes, source);
  const hdf5::Group& root = file.root();
  if (!root.has_attribute("model_config"))
    root.fail("no model_config attribute: a weights-only .h5 (load it with load_weights into a model), not a whole model");
  const std::string config = root.string_attribute("model_config");
  if (!root.has_group("model_weights")) root.fail("no model_weights group");
  // As for a model file, the architecture may not ask for much more than the file holds.
  ModelFile result{model_from_json(config, source + " (model_config)", 2 * static_cast<int64_t>(bytes.size()) + (int64_t{1} << 20)),
                   std::nullopt, {}, false};
  read_weights(root.group("model_weights"), result.model);
  if (root.has_attribute("training_config")) {
    const std::string what = source + " (training_config)";
    const json::Json t = json::parse(root.string_attribute("training_config"), what);
    // Keras 3's compile_config keys from tf.keras 2.x's.
    json::Json c = json::Json::object();
    if (t.is_object()) {
      if (t.contains("optimizer_config")) c["optimizer"] = t["optimizer_config"];
      for (const char* key : {"loss", "metrics", "weighted_metrics", "loss_weights"})
        if (t.contains(key)) c[key] = t[key];
    }
    try {
      keras::compile_config_from_json(json::Value(c, what, ""), false).apply(result.model);
    } catch (const Error& e) {
      const std::string message = e.what();
      throw Error(message.rfind(source, 0) == 0 ? message : what + ": " + message);
    }
  }
  return result;
}

ModelFile load_keras_h5(const std::string& path) { return read_keras_h5(read_file(path), path); }

}  // namespace elucid
