// Keras 3's native formats, out and in: the weights file model.save_weights("x.weights.h5") writes and the .keras
// archive model.save("x.keras") writes, as Keras' saving_lib.py lays them out.
//
//   elucid::save_keras(model, "fashion.keras");             // Keras 3: keras.saving.load_model("fashion.keras")
//   elucid::ModelFile file = elucid::load_keras("fashion.keras");
//
// .weights.h5 (HDF5; Keras walks the model and gives each object a group by its class, never by its name, so that
// two instances of one model share a layout):
//   /layers/conv2d/vars        attribute name "conv2d" (the layer's name); datasets 0, 1, ...: the layer's
//                              trainable variables then its non-trainable ones (BatchNormalization: gamma, beta,
//                              moving_mean, moving_variance), float32 in the variable's shape
//   /layers/conv2d_1/vars      the second Conv2D: the class in snake_case (ReLU -> re_lu, MaxPooling2D ->
//                              max_pooling2d), numbered _1, _2, ... per class in model order; every layer has its
//                              group, a layer without weights an empty vars; a Sequential's InputLayer has none, a
//                              Functional model's InputLayers do (input_layer, input_layer_1, ...), as Keras' model.layers
//                              lists them
//   /optimizer/vars            when compiled: 0 iterations (int64), 1 learning_rate (float32; absent for a
//                              schedule), then the slots in the order Keras 3 creates them (Adam: m0, v0, m1, v1,
//                              ...; RMSprop: every velocity, then every momentum), each in its variable's shape
//   /vars                      the model's own variables: none; attribute name (the model's name)
//
// .keras: a zip archive, every member stored (not compressed): metadata.json ({"keras_version": "3.0.0"}, no
// date_saved, so the same model gives the same bytes; Keras does not read this member), config.json (the Keras 3
// model config with compile_config) and model.weights.h5 (the layout above).
//
// Reading compares every count and shape with the model's before a value is read; an error names the file, the
// group, the layer and both numbers. Optimizer variables are read when the model is compiled and their count fits
// its optimizer (Keras too skips, with a warning, optimizer variables that do not fit).
#pragma once
#include <elucid/model/sequential.hpp>
#include <elucid/saving/model_file.hpp>

#include <string>
#include <string_view>

namespace elucid {

// True when the bytes start with a zip local file header "PK\x03\x04". Never throws.
bool is_zip_bytes(std::string_view bytes);

// The .weights.h5 bytes of a built model; with the optimizer's variables when compiled and include_optimizer.
// `source` names the file in messages.
std::string keras_weights_h5_bytes(const train::Trainer& model, bool include_optimizer = false,
                                   const std::string& source = "model.weights.h5");
// Sets the model's weights (and, when `with_optimizer` and the model is compiled, its optimizer state) from
// .weights.h5 bytes. All or nothing: on an error the model keeps its weights. Returns whether the optimizer state was
// restored.
bool read_keras_weights_h5(train::Trainer& model, std::string_view bytes, const std::string& source,
                           bool with_optimizer = false);

// The .keras archive of a built model, and writing it atomically (nothing written on failure).
std::string keras_bytes(const train::Trainer& model, const SaveOptions& options = {}, const std::string& source = "model.keras");
void save_keras(const train::Trainer& model, const std::string& path, const SaveOptions& options = {});

// Reads a .keras archive: config.json (the architecture and compile_config), model.weights.h5. A missing member, a
// member larger than the limits (config.json 256 MiB, the weights 8 GiB, or more than deflate can expand from its
// compressed size), or a weights file that does not fit the architecture is an elucid::Error naming the file.
ModelFile read_keras(std::string_view bytes, const std::string& source);
ModelFile load_keras(const std::string& path);

}  // namespace elucid
