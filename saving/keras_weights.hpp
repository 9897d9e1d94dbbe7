// Keras' save_weights / load_weights on HDF5 files: Keras 3's .weights.h5 or tf.keras 2.x's .h5, chosen by the name
// when writing and by the file's contents when reading (saving/keras_v3.hpp and saving/keras_h5.hpp give the
// layouts).
//
//   elucid::save_weights(model, "fashion.weights.h5");   // Keras 3: model.load_weights("fashion.weights.h5")
//   elucid::load_weights(model, "fashion.weights.h5");   // or a tf.keras .h5, weights only or a whole model
#pragma once
#include <elucid/model/sequential.hpp>

#include <string>

namespace elucid {

// A path ending in .weights.h5 gets Keras 3's layout, any other .h5 (or .hdf5, .keras.h5) tf.keras 2.x's; another
// extension is an error naming the path. Written atomically; the model must be built. The optimizer state is not
// written (Keras' save_weights writes none either).
void save_weights(const train::Trainer& model, const std::string& path);

// Sets the model's weights from a Keras 3 .weights.h5 (it has a layers group) or a tf.keras 2.x .h5 (a
// model_weights group, or layer_names at the root), whatever its name; from a whole .keras or elucid model file, as
// Keras' load_weights reads a .keras, by position (the same count and shapes of weights). A Sequential or Functional
// model: Keras 3 names the weight groups by layer class, which only the model's layers know. All or nothing: on an
// error, which names the file, the layer and the numbers, the model keeps its weights.
void load_weights(train::Trainer& model, const std::string& path);

}  // namespace elucid
