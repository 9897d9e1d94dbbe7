// save_weights / load_weights: one of the two HDF5 weight layouts, by name out, by contents in.
#include <elucid/saving/keras_weights.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_v3.hpp>

namespace elucid {

namespace {
bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
}  // namespace

void save_weights(const Sequential& model, const std::string& path) {
  if (ends_with(path, ".weights.h5")) return write_file_atomically(path, keras_weights_h5_bytes(model, false, path));
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5"))
    return write_file_atomically(path, keras_h5_weights_bytes(model, path));
  throw Error(path + ": save_weights writes .weights.h5 (Keras 3) or .h5 (tf.keras 2.x); the name ends otherwise");
}

void load_weights(Sequential& model, const std::string& path) {
  const std::string bytes = read_file(path);
  if (!is_hdf5_bytes(bytes)) throw Error(path + ": not an HDF5 file (no \\x89HDF signature at its start)");
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

void Sequential::save_weights(const std::string& path) const { elucid::save_weights(*this, path); }

void Sequential::load_weights(const std::string& path) { elucid::load_weights(*this, path); }

}  // namespace elucid
