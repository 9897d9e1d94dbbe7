// Fuzz target: the input as a Keras HDF5 file in memory, through every reader: read_keras_h5 (a whole tf.keras .h5:
// model_config, training_config, model_weights), the weights of both layouts into a fixed small model (legacy .h5 by
// position, Keras 3 .weights.h5 with its optimizer variables), and read_keras when the input is a zip. A file that
// loads is written back and must load again.
#include <elucid/elucid.hpp>

#include <fuzz_input.hpp>

namespace {
// The fixtures' model (scripts/make-keras-h5-fixtures.py), compiled so that optimizer variables are read too.
elucid::Sequential& model() {
  static elucid::Sequential m = [] {
    using namespace elucid::layers;
    elucid::Sequential s;
    s.add(Conv2D(2, {3, 3}, {.activation = "elu", .input_shape = elucid::Shape{5, 5, 1}}));
    s.add(BatchNormalization());
    s.add(MaxPooling2D({2, 2}));
    s.add(Flatten());
    s.add(Dense(3));
    s.compile(elucid::optimizers::Adam(), elucid::losses::SparseCategoricalCrossentropy({.from_logits = true}));
    return s;
  }();
  return m;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (elucid::is_zip_bytes(bytes)) {
    return elucid::fuzz::run([&] {
      elucid::ModelFile file = elucid::read_keras(bytes, "fuzz.keras");
      elucid::read_keras(elucid::keras_bytes(file.model), "again.keras");
    });
  }
  elucid::fuzz::run([&] {
    elucid::ModelFile file = elucid::read_keras_h5(bytes, "fuzz.h5");
    elucid::read_keras_h5(elucid::keras_h5_bytes(file.model), "again.h5");
  });
  elucid::fuzz::run([&] { elucid::read_keras_h5_weights(model(), bytes, "fuzz.h5"); });
  elucid::fuzz::run([&] { elucid::read_keras_weights_h5(model(), bytes, "fuzz.weights.h5", true); });
  return 0;
}
