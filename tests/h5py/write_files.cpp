// scripts/check-h5py.sh's writer: the seed model (tests/fixtures/seed_model.keras3.json, compiled as it says, trained
// one step so the optimizer has its slots) and a model with BatchNormalization and weightless layers, each written as
// NAME.h5 (tf.keras 2.x whole model), NAME.legacy.h5 (save_weights to .h5), NAME.weights.h5 and NAME.keras, into DIR.
// Usage: write_files SOURCE_DIR DIR
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>

#include <iostream>

using namespace elucid;
using namespace elucid::layers;

namespace {
void train_one_step(Sequential& model) {
  Shape shape = model.input_shape();
  shape.insert(shape.begin(), 4);
  Tensor x(shape), y({4});
  Random rng(1);
  for (float& v : x.values()) v = rng.uniform();
  for (int i = 0; i < 4; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
  model.train_on_batch(x, y);
}

void write_all(const Sequential& model, const std::string& base) {
  save_keras_h5(model, base + ".h5");
  save_weights(model, base + ".legacy.h5");
  save_weights(model, base + ".weights.h5");
  save_keras(model, base + ".keras");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: write_files SOURCE_DIR DIR\n";
    return 2;
  }
  const std::string source = argv[1], dir = argv[2];
  try {
    Sequential seed = model_from_json(read_file(source + "/tests/fixtures/seed_model.keras3.json"), "seed_model.keras3.json");
    train_one_step(seed);
    write_all(seed, dir + "/seed");

    set_random_seed(3);
    Sequential bn;
    bn.add(Conv2D(4, {3, 3}, {.activation = "elu", .input_shape = Shape{8, 8, 1}}));
    bn.add(BatchNormalization());
    bn.add(ReLU());
    bn.add(MaxPooling2D({2, 2}));
    bn.add(Dropout(0.25));
    bn.add(Flatten());
    bn.add(Dense(3));
    bn.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
    train_one_step(bn);
    write_all(bn, dir + "/bn");
  } catch (const Error& e) {
    std::cerr << "write_files: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
