// save_weights / load_weights: one of the two HDF5 weight layouts, by name out, by contents in.
#include <elucid/saving/keras_weights.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/model_file.hpp>

#include <algorithm>

namespace elucid {

namespace {
// The weights of a whole model file (a .keras zip, elucid's own, a TensorFlow.js model.json) into `model` by
// position: the same count of weights, each of the same shape, whatever the layers are called. All or none.
void load_weights_by_position(train::Trainer& model, const std::string& bytes, const std::string& path) {
  const ModelFile file = read_any_model(bytes, path);
  const std::vector<NamedTensor> from = file.trainer().weights();
  std::vector<NamedTensor> to = model.weights();
  if (from.size() != to.size())
    throw Error(path + ": holds " + std::to_string(from.size()) + " weights; the model has " +
                std::to_string(to.size()));
  for (size_t i = 0; i < to.size(); ++i)
    if (from[i].tensor.shape() != to[i].tensor.shape())
      throw Error(path + ": weight " + std::to_string(i) + " (" + from[i].name + ") has shape " +
                  to_string(from[i].tensor.shape()) + "; the model's " + to[i].name + " is " +
                  to_string(to[i].tensor.shape()));
  for (size_t i = 0; i < to.size(); ++i)
    std::copy(from[i].tensor.data(), from[i].tensor.data() + from[i].tensor.size(), to[i].tensor.data());
}
}  // namespace

void save_weights(const train::Trainer& model, const std::string& path) {
  if (path.ends_with(".weights.h5")) return write_file_atomically(path, keras_weights_h5_bytes(model, false, path));
  if (path.ends_with(".h5") || path.ends_with(".hdf5"))
    return write_file_atomically(path, keras_h5_weights_bytes(model, path));
  throw Error(path + ": save_weights writes .weights.h5 (Keras 3) or .h5 (tf.keras 2.x); the name ends otherwise");
}

void load_weights(train::Trainer& model, const std::string& path) {
  const std::string bytes = read_file(path);
  const bool h5_name = path.ends_with(".h5") || path.ends_with(".hdf5");
  if (!is_hdf5_bytes(bytes) && h5_name) throw Error(path + ": not an HDF5 file (no \\x89HDF signature at its start)");
  if (!is_hdf5_bytes(bytes)) return load_weights_by_position(model, bytes, path);  // .keras, elucid's file
  bool keras3 = false;
  {
    const hdf5::File file = hdf5::File::open(bytes, path);
    keras3 = file.root().has_group("layers");
  }
  if (keras3) {
    read_keras_weights_h5(model, bytes, path, false);
  } else {
    read_keras_h5_weights(model, bytes, path);
  }
}

void train::Trainer::save_weights(const std::string& path) const { elucid::save_weights(*this, path); }

void train::Trainer::load_weights(const std::string& path) { elucid::load_weights(*this, path); }

}  // namespace elucid
