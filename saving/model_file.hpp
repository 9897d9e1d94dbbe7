// Model files: one file holds the architecture (Keras JSON), the compile settings, the weights (named, in order,
// with shapes) and optionally the optimizer state, so that a trained model is saved and loaded as in Keras:
//
//   model.save("fashion.elucid");                      // or elucid::save_model(model, "fashion.elucid")
//   Sequential model = elucid::load_model("fashion.elucid");  // compiled if it was, optimizer state and all
//
// The format: "ELUCIDMD", a format version, the body length, the body (little-endian), and a zlib crc32 over all of
// it. No timestamps: the same model gives the same bytes. Writes are atomic (core/file_io.hpp).
#pragma once
#include <elucid/model/functional.hpp>
#include <elucid/model/sequential.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace elucid {

inline constexpr uint32_t kModelFileVersion = 1;

// SaveOptions (include_optimizer, class_names) is train/trainer.hpp's: model.save(path, options) takes it too.
// The class names written are options.class_names, or else the model's own (Trainer::class_names), which
// read_model_file and load_model set again.

// The exact bytes save_model writes for an elucid model file, of a Sequential or a Functional model. Throws when the
// model is not built.
std::string model_file_bytes(const train::Trainer& model, const SaveOptions& options = {});
// Writes atomically; an error names the path (missing folder, not writable, disk full) and leaves any old file. The
// path's ending names the format, as in keras.Model.save: .keras (saving/keras_v3.hpp), .h5 (tf.keras 2.x, whole
// model; saving/keras_h5.hpp), .weights.h5 (Keras 3 weights only; saving/keras_weights.hpp), .onnx (saving/onnx.hpp),
// anything else elucid's model file. model.save(path) is the same.
void save_model(const train::Trainer& model, const std::string& path, const SaveOptions& options = {});

// What a model file holds. A Sequential model is in `model`; a Functional one (elucid's model files, checkpoints, the
// Keras formats and TensorFlow.js folders hold either kind) in `functional`, with `model` left
// empty. trainer() is whichever it is, for code that takes any model: compile, fit, evaluate, predict, summary, save.
struct ModelFile {
  Sequential model;
  std::optional<Functional> functional;
  std::vector<std::string> class_names;
  bool has_optimizer_state = false;

  train::Trainer& trainer() { return functional ? static_cast<train::Trainer&>(*functional) : model; }
  const train::Trainer& trainer() const { return functional ? static_cast<const train::Trainer&>(*functional) : model; }
};

// Reads a model file, or the model inside a checkpoint (saving/checkpoint.hpp). Every problem — a missing, truncated,
// corrupted, foreign or newer-version file, weights that do not fit the architecture — is an elucid::Error naming
// the path (`source`) and what is wrong; no size is trusted before it is checked against the file's length.
ModelFile read_model_file(std::string_view bytes, const std::string& source);
// Any model file, told by its first bytes: a Keras .h5 (HDF5), a .keras (zip), else elucid's model file or checkpoint.
ModelFile read_any_model(std::string_view bytes, const std::string& source);
// load_model_file and load_model read what read_any_model reads, and a TensorFlow.js folder or model.json
// (saving/tfjs.hpp), whatever the path's name: Sequential model = elucid::load_model("fashion.keras");
// load_model<Functional> reads a Functional model's file: auto resnet = elucid::load_model<Functional>("resnet.elucid").
// Either throws naming the path and the kind the file holds when it holds the other kind.
ModelFile load_model_file(const std::string& path);
template <class M = Sequential>
M load_model(const std::string& path);
template <>
Sequential load_model<Sequential>(const std::string& path);
template <>
Functional load_model<Functional>(const std::string& path);

}  // namespace elucid
