// Trains a small classifier on synthetic 28x28 images (class k is a bright square at the k-th place) and saves it.
// Usage: train [MODEL_FILE]   (default model.elucid). The README's "Use elucid in your program" shows this file.
#include <elucid/elucid.hpp>

#include <iostream>

using namespace elucid;
using namespace elucid::layers;

int main(int argc, char** argv) try {
  auto [x, y] = datasets::synthetic_squares(/*n=*/1000, /*seed=*/1);
  Sequential model;
  model.add(Flatten({.input_shape = Shape{28, 28, 1}}));
  model.add(Dense(32, {.activation = "elu"}));
  model.add(Dense(10));
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  model.fit(x, y, {.batch_size = 32, .epochs = 3, .verbose = 2, .validation_split = 0.1});
  model.save(argc > 1 ? argv[1] : "model.elucid");
} catch (const std::exception& e) {
  std::cerr << "train: " << e.what() << "\n";
  return 1;
}
