// tf.keras 2.x .h5: model_config and training_config at the root, the weights under model_weights (or at the root),
// one group per layer holding weight_names and the datasets those names reach.
#include <elucid/saving/keras_h5.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_objects.hpp>
#include <elucid/saving/optimizer_variables.hpp>

#include <map>

namespace elucid {

namespace {
const char* const kKerasVersion = "2.4.0";  // as to_json() writes: the tf.keras layout of these files
const char* const kBackend = "tensorflow";

// The group a "conv2d/kernel:0" goes in below `g` (conv2d, made when missing) and the dataset's name there (kernel:0):
// h5py's create_dataset makes the groups a name's slashes give.
std::pair<hdf5::Group, std::string> created_place(hdf5::Group& g, const std::string& name) {
  hdf5::Group at = g.group(".");
  size_t begin = 0;
  for (size_t cut = name.find('/'); cut != std::string::npos; begin = cut + 1, cut = name.find('/', begin)) {
    const std::string part = name.substr(begin, cut - begin);
    at = at.has_group(part) ? at.group(part) : at.create_group(part);
  }
  return {std::move(at), name.substr(begin)};
}

void write_weight(hdf5::Group& g, const std::string& name, const Tensor& t) {
  auto [at, leaf] = created_place(g, name);
  at.write_floats(leaf, t.shape(), t.data());
}

// save_weights_to_hdf5_group: layer_names, backend, keras_version, then a group per layer.
void write_weights(hdf5::Group& g, const train::Trainer& model) {
  const auto layers = keras::keras_layers(model);
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
void read_weights(const hdf5::Group& g, train::Trainer& model) {
  const std::string& source = g.source();
  std::vector<std::string> file_layers;
  for (const std::string& name : g.strings_attribute("layer_names")) {
    if (!g.has_group(name)) g.fail("layer_names lists \"" + name + "\" but there is no group of that name");
    if (!g.group(name).strings_attribute("weight_names").empty()) file_layers.push_back(name);
  }
  std::vector<std::shared_ptr<layers::Layer>> model_layers;
  for (const auto& layer : keras::keras_layers(model))
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

// save_optimizer_weights_to_hdf5_group with OptimizerV2's names and order: "Adam/iter:0" (int64), then one slot at a
// time over the trainable variables, "Adam/conv2d/kernel/m:0", ... Nothing before the first step (Keras' optimizer
// has no weights yet); only the step count when some variable has no slots (never stepped).
void write_optimizer_weights(hdf5::Group& root, const train::Trainer& model) {
  if (!model.compiled()) return;
  const optimizers::Optimizer& opt = model.optimizer();
  const optimizers::OptimizerState state = opt.state();
  if (state.iterations == 0) return;
  const std::string prefix = opt.name() + "/";
  const std::vector<NamedTensor> params = model.trainable_weights();
  const std::vector<std::string> slots = opt.state_slot_names();
  std::map<std::string, const std::vector<float>*> values;
  for (const auto& slot : state.slots) values[slot.name] = &slot.values;
  bool every_slot = true;
  for (const NamedTensor& p : params)
    for (const std::string& slot : slots) {
      const auto it = values.find(p.name + "/" + slot);
      every_slot = every_slot && it != values.end() && static_cast<int64_t>(it->second->size()) == p.tensor.size();
    }
  std::vector<std::string> names{prefix + "iter:0"};
  const keras::SlotOrder order = every_slot ? keras::slot_by_slot_order(opt, params.size()) : keras::SlotOrder{};
  for (const auto& [p, k] : order) names.push_back(prefix + params[p].name + "/" + keras::tf2_slot_name(opt, k, true) + ":0");

  hdf5::Group g = root.create_group("optimizer_weights");
  g.set_strings_attribute("weight_names", names);
  {
    auto [at, leaf] = created_place(g, names[0]);
    at.write_int64(leaf, state.iterations);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& [p, k] = order[i];
    auto [at, leaf] = created_place(g, names[i + 1]);
    at.write_floats(leaf, params[p].tensor.shape(), values.at(params[p].name + "/" + slots[k])->data());
  }
}

// Whether every name after the step count is the one `order` and `name_of(p, k)` give, the optimizer's prefix
// ("Adam/") aside.
template <class NameOf>
bool names_follow(const std::vector<std::string>& names, const keras::SlotOrder& order, NameOf name_of) {
  if (names.size() != order.size() + 1) return false;
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string expected = name_of(order[i].first, order[i].second);
    const std::string& name = names[i + 1];
    if (name != expected && !name.ends_with("/" + expected)) return false;
  }
  return true;
}

// load_optimizer_weights_from_hdf5_group into the model's optimizer. tf.keras matches them by position; here the
// names tell which of tf.keras' two orders the file has (OptimizerV2's, or 2.11's). A file whose count or names fit
// neither leaves the optimizer fresh and returns false, as Keras goes on with a warning; a fitting name whose
// dataset has another shape or type is an error naming it.
bool read_optimizer_weights(const hdf5::Group& g, train::Trainer& model) {
  if (!g.has_attribute("weight_names")) return false;
  const std::vector<std::string> names = g.strings_attribute("weight_names");
  if (names.empty() || !(names[0].ends_with("iter:0") || names[0].ends_with("iteration:0"))) return false;
  optimizers::Optimizer& opt = model.optimizer();
  const std::vector<NamedTensor> params = model.trainable_weights();
  const std::vector<std::string> slots = opt.state_slot_names();
  const auto v2_name = [&](size_t p, size_t k) { return params[p].name + "/" + keras::tf2_slot_name(opt, k, true) + ":0"; };
  const auto new_name = [&](size_t p, size_t k) { return keras::tf2_slot_name(opt, k, false) + "/" + params[p].name + ":0"; };
  keras::SlotOrder order;
  if (names.size() > 1) {
    if (names_follow(names, keras::slot_by_slot_order(opt, params.size()), v2_name)) {
      order = keras::slot_by_slot_order(opt, params.size());
    } else if (names_follow(names, keras::keras3_slot_order(opt, params.size()), new_name)) {
      order = keras::keras3_slot_order(opt, params.size());
    } else {
      return false;
    }
  }
  optimizers::OptimizerState state;
  {
    auto [at, leaf] = weight_place(g, names[0]);
    const hdf5::DatasetInfo info = at.dataset_info(leaf);
    if (!info.shape.empty()) g.fail("\"" + names[0] + "\" has shape " + to_string(info.shape) + "; the step count is a scalar");
    const double iterations = at.read_scalar(leaf);
    if (!(iterations >= 0 && iterations < 9.0e18) || iterations != static_cast<double>(static_cast<int64_t>(iterations)))
      g.fail("\"" + names[0] + "\" is " + std::to_string(iterations) + "; the step count is a whole number >= 0");
    state.iterations = static_cast<int64_t>(iterations);
  }
  state.learning_rate = opt.learning_rate();  // tf.keras keeps the rate in training_config, already applied
  if (!order.empty()) state.slots.resize(params.size() * slots.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& [p, k] = order[i];
    const NamedTensor& param = params[p];
    auto [at, leaf] = weight_place(g, names[i + 1]);
    const hdf5::DatasetInfo info = at.dataset_info(leaf);
    if (!info.is_float32 || info.shape != param.tensor.shape())
      g.fail("\"" + names[i + 1] + "\" (" + slots[k] + " of " + param.name + ") is " + info.type + " " +
             to_string(info.shape) + "; expected float32 " + to_string(param.tensor.shape()));
    optimizers::OptimizerState::Slot& s = state.slots[p * slots.size() + k];
    s.name = param.name + "/" + slots[k];
    s.values.resize(static_cast<size_t>(param.tensor.size()));
    at.read_floats(leaf, s.values.data(), param.tensor.size());
  }
  try {
    opt.load_state(state);
  } catch (const Error& e) {
    g.fail(e.what());
  }
  return true;
}

// tf.keras 2.x's training_config from elucid's compile config, and back.
json::Json training_config(const train::Trainer& model) {
  const json::Json c = keras::compile_config_to_json(model);
  json::Json t = json::Json::object();
  t["loss"] = c["loss"];
  t["metrics"] = c["metrics"];
  t["weighted_metrics"] = nullptr;
  t["loss_weights"] = c.contains("loss_weights") ? c["loss_weights"] : json::Json();
  t["optimizer_config"] = c["optimizer"];
  return t;
}
}  // namespace

bool is_hdf5_bytes(std::string_view bytes) { return hdf5::is_hdf5_bytes(bytes); }

std::string keras_h5_bytes(const train::Trainer& model, const SaveOptions& options, const std::string& source) {
  // The architecture first: it throws for a model that is not built.
  json::Json config = json::parse(model.to_json(), "the model's Keras JSON");
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
  if (options.include_optimizer) write_optimizer_weights(root, model);
  return file.bytes();
}

void save_keras_h5(const train::Trainer& model, const std::string& path, const SaveOptions& options) {
  write_file_atomically(path, keras_h5_bytes(model, options, path));
}

std::string keras_h5_weights_bytes(const train::Trainer& model, const std::string& source) {
  if (!model.built()) throw Error(source + ": the model is not built: it has no weights to save");
  hdf5::File file = hdf5::File::create(source);
  write_weights(file.root(), model);
  return file.bytes();
}

void read_keras_h5_weights(train::Trainer& model, std::string_view bytes, const std::string& source) {
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
  ModelFile result = any_model_from_json(config, source + " (model_config)", 2 * static_cast<int64_t>(bytes.size()) + (int64_t{1} << 20));
  train::Trainer& model = result.trainer();
  read_weights(root.group("model_weights"), model);
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
      keras::compile_config_from_json(json::Value(c, what, ""), false).apply(model);
    } catch (const Error& e) {
      const std::string message = e.what();
      throw Error(message.rfind(source, 0) == 0 ? message : what + ": " + message);
    }
    if (root.has_group("optimizer_weights"))
      result.has_optimizer_state = read_optimizer_weights(root.group("optimizer_weights"), model);
  }
  return result;
}

ModelFile load_keras_h5(const std::string& path) { return read_keras_h5(read_file(path), path); }

}  // namespace elucid
