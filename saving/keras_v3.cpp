// Keras 3 .weights.h5 (layers/<class>_<n>/vars/<i>, optimizer/vars/<i>) and the .keras zip around it.
#include <elucid/saving/keras_v3.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_objects.hpp>
#include <elucid/saving/optimizer_variables.hpp>

#include <zip.h>

#include <algorithm>
#include <map>

namespace elucid {

namespace {
// saving_lib's _get_unique_name over the layers: conv2d, conv2d_1, conv2d_2, ... per class.
std::vector<std::string> layer_paths(const std::vector<std::shared_ptr<layers::Layer>>& layers) {
  std::map<std::string, int> used;
  std::vector<std::string> paths;
  for (const auto& layer : layers) {
    const std::string name = keras::snake_case(layer->class_name());
    auto [it, added] = used.try_emplace(name, 0);
    if (!added) ++it->second;
    paths.push_back(added ? name : name + "_" + std::to_string(it->second));
  }
  return paths;
}

// iterations, learning_rate, then the slots in Keras' order, each in its variable's shape. Before the first step
// elucid's optimizer has no slots and Keras' none but those two either.
void write_optimizer(hdf5::Group& root, const train::Trainer& model) {
  const optimizers::Optimizer& opt = model.optimizer();
  hdf5::Group vars = root.create_group("optimizer").create_group("vars");
  // Keras' optimizer name ("adam"), as its compile_config gives it.
  const json::Json config = keras::compile_config_to_keras3_json(model);
  const json::Json& name = config["optimizer"]["config"]["name"];
  vars.set_string_attribute("name", name.is_string() ? name.get<std::string>() : keras::snake_case(opt.name()), true);
  const optimizers::OptimizerState state = opt.state();
  int index = 0;
  vars.write_int64(std::to_string(index++), state.iterations);
  if (!opt.learning_rate_schedule()) vars.write_float(std::to_string(index++), state.learning_rate);
  // The slots by "conv2d/kernel/momentum"; written only when every trainable variable has its slots (a variable the
  // optimizer never stepped has none in elucid, zeros in Keras: then the optimizer is written without slots).
  const std::vector<NamedTensor> params = model.trainable_weights();
  const std::vector<std::string> slots = opt.state_slot_names();
  std::map<std::string, const std::vector<float>*> values;
  for (const auto& slot : state.slots) values[slot.name] = &slot.values;
  for (const NamedTensor& p : params)
    for (const std::string& slot : slots) {
      const auto it = values.find(p.name + "/" + slot);
      if (it == values.end() || static_cast<int64_t>(it->second->size()) != p.tensor.size()) return;
    }
  for (const auto& [p, k] : keras::keras3_slot_order(opt, params.size()))
    vars.write_floats(std::to_string(index++), params[p].tensor.shape(),
                      values.at(params[p].name + "/" + slots[k])->data());
}

// Reads the optimizer's variables into an OptimizerState, or returns false when their count does not fit.
bool read_optimizer(const hdf5::Group& root, train::Trainer& model, optimizers::OptimizerState& state) {
  if (!root.has_group("optimizer") || !model.compiled()) return false;
  const hdf5::Group og = root.group("optimizer");
  if (!og.has_group("vars")) return false;
  const hdf5::Group vars = og.group("vars");
  const optimizers::Optimizer& opt = model.optimizer();
  const std::vector<std::string> slots = opt.state_slot_names();
  const std::vector<NamedTensor> params = model.trainable_weights();
  const size_t head = opt.learning_rate_schedule() ? 1 : 2;
  const size_t n = vars.children().size();
  // Before the first step Keras' optimizer has only iterations and learning_rate, elucid's no slots.
  const bool with_slots = !slots.empty() && n == head + slots.size() * params.size();
  if (n != head && !with_slots) return false;
  state.iterations = static_cast<int64_t>(vars.read_scalar("0"));
  if (state.iterations < 0) vars.fail("iterations is " + std::to_string(state.iterations));
  state.learning_rate = head == 2 ? static_cast<float>(vars.read_scalar("1")) : opt.learning_rate();
  if (!with_slots) return true;
  // Read in Keras' order, kept in elucid's: each parameter's slots together.
  std::vector<optimizers::OptimizerState::Slot> read(params.size() * slots.size());
  size_t index = head;
  for (const auto& [p, k] : keras::keras3_slot_order(opt, params.size())) {
    const NamedTensor& param = params[p];
    const std::string name = std::to_string(index++);
    const hdf5::DatasetInfo info = vars.dataset_info(name);
    if (!info.is_float32 || info.shape != param.tensor.shape())
      vars.fail("variable " + name + " (" + slots[k] + " of " + param.name + ") is " + info.type + " " +
                to_string(info.shape) + "; expected float32 " + to_string(param.tensor.shape()));
    optimizers::OptimizerState::Slot& s = read[p * slots.size() + k];
    s.name = param.name + "/" + slots[k];
    s.values.resize(static_cast<size_t>(param.tensor.size()));
    vars.read_floats(name, s.values.data(), param.tensor.size());
  }
  state.slots = std::move(read);
  return true;
}

// ---- zip ----

constexpr int64_t kMaxConfigBytes = int64_t{256} << 20;
constexpr int64_t kMaxWeightsBytes = int64_t{8} << 30;
constexpr int64_t kDeflateMaxRatio = 1032;  // deflate cannot expand more than this
const char* const kKeras3Version = "3.0.0";  // the Keras 3 layout these files follow

// A read-only zip over bytes in memory.
class ZipReader {
 public:
  ZipReader(std::string_view bytes, const std::string& source) : source_(source), bytes_(bytes.size()) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (src) zip_ = zip_open_from_source(src, ZIP_RDONLY, &error);
    if (!zip_) {
      if (src) zip_source_free(src);
      const std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      throw Error(source + ": not a readable zip archive (" + why + ")");
    }
    zip_error_fini(&error);
  }
  ~ZipReader() { zip_discard(zip_); }
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  bool has(const char* name) const { return zip_name_locate(zip_, name, 0) >= 0; }

  // A member's bytes; its size is bounded before anything is allocated.
  std::string read(const char* name, int64_t max_bytes) const {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip_, name, 0, &st) != 0) throw Error(source_ + ": the archive has no " + name);
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
      throw Error(source_ + ": " + name + ": the archive does not give its size");
    if (st.comp_size > bytes_)
      throw Error(source_ + ": " + name + " claims " + std::to_string(st.comp_size) + " compressed bytes in an archive of " +
                  std::to_string(bytes_));
    const bool stored = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE;
    const uint64_t bound = std::min<uint64_t>(static_cast<uint64_t>(max_bytes),
                                              stored ? st.comp_size : st.comp_size * kDeflateMaxRatio + 1024);
    if (st.size > bound)
      throw Error(source_ + ": " + name + " claims " + std::to_string(st.size) + " bytes (" + std::to_string(st.comp_size) +
                  " compressed); at most " + std::to_string(bound));
    zip_file_t* f = zip_fopen_index(zip_, st.index, 0);
    if (!f) throw Error(source_ + ": " + name + ": cannot open it (" + zip_strerror(zip_) + ")");
    std::string out(static_cast<size_t>(st.size), '\0');
    const zip_int64_t n = out.empty() ? 0 : zip_fread(f, out.data(), out.size());
    const std::string why = n < 0 ? zip_file_strerror(f) : "";
    zip_fclose(f);
    if (n != static_cast<zip_int64_t>(st.size))
      throw Error(source_ + ": " + name + ": read " + std::to_string(n) + " of its " + std::to_string(st.size) + " bytes" +
                  (why.empty() ? "" : " (" + why + ")"));
    return out;
  }

 private:
  std::string source_;
  uint64_t bytes_ = 0;  // the archive's size: no member's compressed bytes can be more
  zip_t* zip_ = nullptr;
};

// A zip of stored members, with a fixed time, in memory.
std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& members, const std::string& source) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* zip = buffer ? zip_open_from_source(buffer, ZIP_TRUNCATE, &error) : nullptr;
  zip_error_fini(&error);
  if (!zip) {
    if (buffer) zip_source_free(buffer);
    throw Error(source + ": libzip cannot make an archive in memory");
  }
  zip_source_keep(buffer);  // it outlives zip_close, which writes into it
  const time_t kFixedTime = 315576000;  // 1980-01-01 12:00 UTC: zip's first date, so no timestamp varies
  bool ok = true;
  for (const auto& [name, data] : members) {
    zip_source_t* s = zip_source_buffer(zip, data.data(), data.size(), 0);
    const zip_int64_t i = s ? zip_file_add(zip, name.c_str(), s, ZIP_FL_ENC_UTF_8) : -1;
    if (i < 0) {
      if (s) zip_source_free(s);
      ok = false;
      break;
    }
    ok = zip_set_file_compression(zip, static_cast<zip_uint64_t>(i), ZIP_CM_STORE, 0) == 0 &&
         zip_file_set_mtime(zip, static_cast<zip_uint64_t>(i), kFixedTime, 0) == 0;
    if (!ok) break;
  }
  if (!ok || zip_close(zip) != 0) {
    const std::string why = zip_strerror(zip);
    zip_discard(zip);
    zip_source_free(buffer);
    throw Error(source + ": libzip cannot write the archive (" + why + ")");
  }
  std::string out;
  if (zip_source_open(buffer) == 0) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_source_stat(buffer, &st) == 0 && (st.valid & ZIP_STAT_SIZE)) {
      out.resize(static_cast<size_t>(st.size));
      if (zip_source_read(buffer, out.data(), out.size()) != static_cast<zip_int64_t>(out.size())) out.clear();
    }
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  if (out.empty()) throw Error(source + ": libzip cannot give the archive's bytes");
  return out;
}
}  // namespace

bool is_zip_bytes(std::string_view bytes) { return bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4); }

std::string keras_weights_h5_bytes(const train::Trainer& model, bool include_optimizer, const std::string& source) {
  if (!model.built()) throw Error(source + ": the model is not built: it has no weights to save");
  hdf5::File file = hdf5::File::create(source);
  hdf5::Group& root = file.root();
  const auto layers = keras::keras_layers(model);
  const auto paths = layer_paths(layers);
  hdf5::Group lg = root.create_group("layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    hdf5::Group vars = lg.create_group(paths[i]).create_group("vars");
    vars.set_string_attribute("name", layers[i]->name(), true);
    std::vector<NamedTensor> weights = layers[i]->trainable_weights();
    for (NamedTensor& w : layers[i]->non_trainable_weights()) weights.push_back(std::move(w));
    for (size_t k = 0; k < weights.size(); ++k)
      vars.write_floats(std::to_string(k), weights[k].tensor.shape(), weights[k].tensor.data());
  }
  if (include_optimizer && model.compiled()) write_optimizer(root, model);
  root.create_group("vars").set_string_attribute("name", model.name(), true);
  return file.bytes();
}

bool read_keras_weights_h5(train::Trainer& model, std::string_view bytes, const std::string& source, bool with_optimizer) {
  const hdf5::File file = hdf5::File::open(bytes, source);
  const hdf5::Group& root = file.root();
  if (!root.has_group("layers")) {
    if (root.has_group("model_weights") || root.has_attribute("layer_names"))
      root.fail("a tf.keras .h5 (model_weights, layer_names), not a Keras 3 .weights.h5");
    root.fail("no layers group: not a Keras 3 .weights.h5");
  }
  const hdf5::Group lg = root.group("layers");
  const auto layers = keras::keras_layers(model);
  const auto paths = layer_paths(layers);
  for (const std::string& child : lg.children())
    if (std::find(paths.begin(), paths.end(), child) == paths.end())
      lg.fail("group \"" + child + "\" is not one of the model's layers (it has " + std::to_string(paths.size()) +
              ": the groups are named by class, conv2d, conv2d_1, ...)");

  // Read everything into copies first: the model changes only once all of it has been read.
  std::vector<std::pair<Tensor, Tensor>> updates;  // (the model's weight, the value read)
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string who = "layer \"" + layers[i]->name() + "\" (" + layers[i]->class_name() + ")";
    std::vector<NamedTensor> weights = layers[i]->trainable_weights();
    for (NamedTensor& w : layers[i]->non_trainable_weights()) weights.push_back(std::move(w));
    if (!lg.has_group(paths[i])) lg.fail("no group \"" + paths[i] + "\" for " + who);
    const hdf5::Group group = lg.group(paths[i]);
    // Keras before 3.10 left out the vars of a layer without variables.
    if (!group.has_group("vars")) {
      if (weights.empty()) continue;
      group.fail("no vars group for " + who + ", which has " + std::to_string(weights.size()) + " weights");
    }
    const hdf5::Group vars = group.group("vars");
    const size_t n = vars.children().size();
    if (n != weights.size())
      vars.fail(who + " has " + std::to_string(weights.size()) + " weights, the file " + std::to_string(n));
    for (size_t k = 0; k < weights.size(); ++k) {
      const std::string name = std::to_string(k);
      const hdf5::DatasetInfo info = vars.dataset_info(name);
      const Shape& expected = weights[k].tensor.shape();
      if (!info.is_float32) vars.fail(who + ": variable " + name + " is " + info.type + "; elucid reads float32");
      if (info.shape != expected)
        vars.fail(who + ": variable " + name + " has shape " + to_string(info.shape) + "; the layer's " +
                  weights[k].name + " is " + to_string(expected));
      Tensor value(expected);
      vars.read_floats(name, value.data(), value.size());
      updates.emplace_back(weights[k].tensor, std::move(value));
    }
  }
  optimizers::OptimizerState state;
  const bool has_state = with_optimizer && read_optimizer(root, model, state);
  if (has_state) {
    try {
      model.optimizer().load_state(state);
    } catch (const Error& e) {
      throw Error(source + ": /optimizer/vars: " + e.what());
    }
  }
  for (auto& [to, from] : updates) std::copy(from.data(), from.data() + from.size(), to.data());
  return has_state;
}

std::string keras_bytes(const train::Trainer& model, const SaveOptions& options, const std::string& source) {
  const std::string config = to_keras3_json(model);
  json::Json metadata = json::Json::object();
  metadata["keras_version"] = kKeras3Version;
  const std::string weights = keras_weights_h5_bytes(model, options.include_optimizer, source + " (model.weights.h5)");
  return zip_bytes({{"metadata.json", json::dump_python(metadata)}, {"config.json", config}, {"model.weights.h5", weights}},
                   source);
}

void save_keras(const train::Trainer& model, const std::string& path, const SaveOptions& options) {
  write_file_atomically(path, keras_bytes(model, options, path));
}

ModelFile read_keras(std::string_view bytes, const std::string& source) {
  if (!is_zip_bytes(bytes)) throw Error(source + ": not a .keras archive (no zip signature PK\\x03\\x04 at its start)");
  const ZipReader zip(bytes, source);
  if (!zip.has("config.json")) throw Error(source + ": the archive has no config.json (not a Keras 3 .keras file)");
  if (!zip.has("model.weights.h5"))
    throw Error(source + ": the archive has no model.weights.h5" +
                (zip.has("model.weights.npz") ? std::string(" (its weights are .npz, which elucid does not read)") : ""));
  const std::string config = zip.read("config.json", kMaxConfigBytes);
  const std::string weights = zip.read("model.weights.h5", kMaxWeightsBytes);
  // As for a model file, the architecture may not ask for much more than the weights file holds.
  ModelFile result = any_model_from_json(config, source + " (config.json)", 2 * static_cast<int64_t>(weights.size()) + (int64_t{1} << 20));
  result.has_optimizer_state = read_keras_weights_h5(result.trainer(), weights, source + " (model.weights.h5)", true);
  return result;
}

ModelFile load_keras(const std::string& path) { return read_keras(read_file(path), path); }

}  // namespace elucid
