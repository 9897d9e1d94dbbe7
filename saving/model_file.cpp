// Model files: the body is architecture JSON, compile JSON, class names, weights, optimizer state, in that order.
#include <elucid/saving/model_file.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/binary_io.hpp>
#include <elucid/saving/checkpoint.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_objects.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/keras_weights.hpp>
#include <elucid/saving/onnx.hpp>
#include <elucid/saving/tfjs.hpp>
#include <elucid/model/functional.hpp>

namespace elucid {

namespace {
constexpr std::string_view kModelMagic = "ELUCIDMD";
constexpr std::string_view kCheckpointMagic = "ELUCIDCK";  // saving/checkpoint.cpp: its body starts with a model file
constexpr uint32_t kMaxRank = 8;
const char* const kKind = "model file";

void write_body(binary::Writer& w, const train::Trainer& model, const SaveOptions& options) {
  w.str(model.to_json());
  if (model.compiled()) {
    w.str(json::dump_python(keras::compile_config_to_json(model)));
  } else {
    w.str("");
  }
  const auto& class_names = options.class_names.empty() ? model.class_names : options.class_names;
  w.u64(class_names.size());
  for (const auto& name : class_names) w.str(name);
  const auto weights = model.weights();
  w.u64(weights.size());
  for (const auto& [name, tensor] : weights) {
    w.str(name);
    w.u32(static_cast<uint32_t>(tensor.rank()));
    for (int64_t d : tensor.shape()) w.u64(static_cast<uint64_t>(d));
    w.floats(tensor.values());
  }
  const bool with_optimizer = options.include_optimizer && model.compiled();
  w.u8(with_optimizer ? 1 : 0);
  if (with_optimizer) {
    const optimizers::OptimizerState state = model.optimizer().state();
    w.i64(state.iterations);
    w.f64(state.learning_rate);
    w.u64(state.slots.size());
    for (const auto& slot : state.slots) {
      w.str(slot.name);
      w.u64(slot.values.size());
      w.floats(slot.values);
    }
  }
}

Tensor read_tensor(binary::Reader& r) {
  const uint32_t rank = r.u32();
  if (rank > kMaxRank) r.fail("a weight of rank " + std::to_string(rank) + " (at most " + std::to_string(kMaxRank) + ")");
  Shape shape;
  uint64_t count = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    const uint64_t d = r.u64();
    // Each dimension, and their product, must fit in the bytes left: no allocation is made from a bad header.
    if (d > r.remaining() / 4 || (d > 0 && count > r.remaining() / 4 / d))
      r.fail("a weight of " + std::to_string(d) + " along axis " + std::to_string(i) + " does not fit in the " +
             std::to_string(r.remaining()) + " bytes left");
    count *= d;
    shape.push_back(static_cast<int64_t>(d));
  }
  Tensor t(shape);
  r.floats(t.data(), count);
  return t;
}
}  // namespace

std::string model_file_bytes(const train::Trainer& model, const SaveOptions& options) {
  binary::Writer w;
  write_body(w, model, options);
  return binary::seal(kModelMagic, kModelFileVersion, w.bytes());
}

void save_model(const train::Trainer& model, const std::string& path, const SaveOptions& options) {
  // As keras.Model.save: the ending names the format. Keras files do not carry class names.
  if (path.ends_with(".keras")) return save_keras(model, path, options);
  if (path.ends_with(".weights.h5")) return save_weights(model, path);
  if (path.ends_with(".h5") || path.ends_with(".hdf5")) return save_keras_h5(model, path, options);
  if (path.ends_with(".onnx")) return export_onnx(model, path);
  write_file_atomically(path, model_file_bytes(model, options));
}

std::string Sequential::file_bytes(const SaveOptions& options) const { return model_file_bytes(*this, options); }

std::string Functional::file_bytes(const SaveOptions& options) const { return model_file_bytes(*this, options); }

void Functional::save(const std::string& path, const SaveOptions& options) const { save_model(*this, path, options); }

void Sequential::save(const std::string& path, const SaveOptions& options) const { save_model(*this, path, options); }

ModelFile read_model_file(std::string_view bytes, const std::string& source) {
  if (bytes.substr(0, binary::kMagicBytes) == kCheckpointMagic) {
    // A checkpoint: its body opens with the whole model file as one string.
    binary::Reader outer(binary::open(bytes, kCheckpointMagic, kCheckpointVersion, source, "checkpoint"), source,
                         "checkpoint");
    const std::string inner = outer.str("the model inside the checkpoint");
    return read_model_file(inner, source);
  }
  binary::Reader r(binary::open(bytes, kModelMagic, kModelFileVersion, source, kKind), source, kKind);
  const std::string architecture = r.str("the architecture JSON");
  const std::string compile = r.str("the compile settings");
  ModelFile file;
  const uint64_t classes = r.count(8, "class names");
  for (uint64_t i = 0; i < classes; ++i) file.class_names.push_back(r.str("a class name"));
  std::vector<NamedTensor> weights;
  int64_t weight_bytes = 0;
  const uint64_t n = r.count(12, "weights");
  for (uint64_t i = 0; i < n; ++i) {
    std::string name = r.str("a weight name");
    weights.push_back({std::move(name), read_tensor(r)});
    weight_bytes += weights.back().tensor.size() * 4;
  }
  std::optional<optimizers::OptimizerState> state;
  const uint8_t has_optimizer = r.u8();
  if (has_optimizer > 1) r.fail("the optimizer flag is " + std::to_string(has_optimizer) + ", not 0 or 1");
  if (has_optimizer) {
    state.emplace();
    state->iterations = r.i64();
    state->learning_rate = static_cast<float>(r.f64());
    const uint64_t slots = r.count(16, "optimizer slots");
    for (uint64_t i = 0; i < slots; ++i) {
      optimizers::OptimizerState::Slot slot;
      slot.name = r.str("a slot name");
      slot.values.resize(static_cast<size_t>(r.count(4, "slot values")));
      r.floats(slot.values.data(), slot.values.size());
      state->slots.push_back(std::move(slot));
    }
  }
  if (!r.done()) r.fail(std::to_string(r.remaining()) + " bytes left over after the last record");

  // Everything read; now build. Errors from here on are about contents, not bytes.
  // The architecture may not ask for more weights than the file holds (twice, as the JSON reader counts a bias or
  // a batch normalization's four vectors whether or not the layer uses them), so a small file cannot make a big model.
  const int64_t max_bytes = 2 * weight_bytes + (int64_t{1} << 20);
  {
    ModelFile built = any_model_from_json(architecture, source + " (architecture)", max_bytes);
    file.model = std::move(built.model);
    file.functional = std::move(built.functional);
  }
  train::Trainer& model = file.trainer();
  try {
    if (!compile.empty()) {
      const json::Json j = json::parse(compile, source + " (compile settings)");
      keras::compile_config_from_json(json::Value(j, source + " (compile settings)", ""), false).apply(model);
    }
    model.set_weights(weights);
    model.class_names = file.class_names;
    if (state) {
      if (!model.compiled()) throw Error("optimizer state without compile settings");
      model.optimizer().load_state(*state);
      file.has_optimizer_state = true;
    }
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return file;
}

ModelFile read_any_model(std::string_view bytes, const std::string& source) {
  if (is_hdf5_bytes(bytes)) return read_keras_h5(bytes, source);
  if (is_zip_bytes(bytes)) return read_keras(bytes, source);
  return read_model_file(bytes, source);
}

ModelFile load_model_file(const std::string& path) {
  if (is_tfjs_model(path)) return load_tfjs(path);
  return read_any_model(read_file(path), path);
}

template <>
Sequential load_model<Sequential>(const std::string& path) {
  ModelFile file = load_model_file(path);
  if (file.functional)
    throw Error(path + ": holds a Functional model \"" + file.functional->name() + "\": load it with load_model<Functional>");
  return std::move(file.model);
}

template <>
Functional load_model<Functional>(const std::string& path) {
  ModelFile file = load_model_file(path);
  if (!file.functional)
    throw Error(path + ": holds a Sequential model \"" + file.model.name() + "\": load it with load_model<Sequential>");
  return std::move(*file.functional);
}

}  // namespace elucid
