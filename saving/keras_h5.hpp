// tf.keras 2.x's HDF5 files, out and in: the whole model (model.save("x.h5")) and the weights only
// (model.save_weights("x.h5")), as Keras' legacy_h5_format.py writes and reads them.
//
//   elucid::save_keras_h5(model, "fashion.h5");              // Keras: tf.keras.models.load_model("fashion.h5")
//   elucid::ModelFile file = elucid::load_keras_h5("fashion.h5");
//
// The whole model:
//   /                      attributes keras_version, backend, model_config (the tf.keras 2.x model JSON, as to_json
//                          writes it without its keras_version and backend keys), training_config (when compiled:
//                          {"loss", "metrics", "weighted_metrics", "loss_weights", "optimizer_config"})
//   /model_weights         attributes layer_names (Keras' model.layers in order: a Sequential's without its
//                          InputLayer, a Functional model's with its InputLayers), backend, keras_version
//   /model_weights/conv2d  attribute weight_names ["conv2d/kernel:0", "conv2d/bias:0"] (trainable first, empty for a
//                          layer without weights); datasets conv2d/kernel:0 and conv2d/bias:0 below it, float32
//   /optimizer_weights     when compiled and trained (include_optimizer): attribute weight_names ["Adam/iter:0",
//                          "Adam/conv2d/kernel/m:0", "Adam/conv2d/bias/m:0", ..., "Adam/conv2d/kernel/v:0", ...]: the
//                          step count (int64), then the slots one kind at a time over the trainable variables, as
//                          tf.keras' OptimizerV2 names and orders them (saving/optimizer_variables.hpp); datasets at
//                          those paths (Adam/conv2d/kernel/m:0 is groups Adam, conv2d, kernel and the dataset m:0)
// The weights only: /model_weights's content at the root, no optimizer. Strings are fixed-length (numpy bytes), as
// Keras writes them; both fixed- and variable-length are read. The optimizer's weights are read in OptimizerV2's
// layout or that of tf.keras 2.11-2.15 ("iteration:0", "Adam/m/conv2d/kernel:0", m and v in turn per variable); when
// their count or names fit neither, the model loads with a fresh optimizer, as Keras goes on with a warning.
//
// Reading follows Keras: the layers that have weights are matched by position with the file's layers whose
// weight_names is not empty, and each layer's weights by position with its weight_names; every count and shape is
// compared before a value is read, and an error names the file, the layer and both numbers.
#pragma once
#include <elucid/model/sequential.hpp>
#include <elucid/saving/model_file.hpp>

#include <string>
#include <string_view>

namespace elucid {

// True when the bytes start with HDF5's signature "\x89HDF\r\n\x1a\n". Never throws.
bool is_hdf5_bytes(std::string_view bytes);

// The whole model as tf.keras 2.x's .h5, with the optimizer's weights unless options.include_optimizer is false; the
// model must be built. `source` names the file in messages.
std::string keras_h5_bytes(const train::Trainer& model, const SaveOptions& options = {}, const std::string& source = "model.h5");
// Writes atomically: on any failure nothing is written and an old file stays.
void save_keras_h5(const train::Trainer& model, const std::string& path, const SaveOptions& options = {});

// The weights only, as model.save_weights("x.h5") writes them.
std::string keras_h5_weights_bytes(const train::Trainer& model, const std::string& source = "model.weights.h5");

// Reads a whole-model .h5: the architecture, the compile settings when training_config is there, the weights, and the
// optimizer's state when optimizer_weights fits the optimizer (then has_optimizer_state is set).
ModelFile read_keras_h5(std::string_view bytes, const std::string& source);
ModelFile load_keras_h5(const std::string& path);

// Sets `model`'s weights from a legacy .h5, whole model (/model_weights) or weights only (the root). All or nothing:
// on an error the model keeps its weights.
void read_keras_h5_weights(train::Trainer& model, std::string_view bytes, const std::string& source);

}  // namespace elucid
