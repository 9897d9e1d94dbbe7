// The seed network, the documented Keras ELU example, built through the Sequential API: one definition for the
// demo, the benchmarks and the tests that train it (apps/elucid-seed-example.cpp and the README spell it out).
#pragma once
#include <elucid/layers/layers.hpp>
#include <elucid/model/sequential.hpp>

namespace elucid::examples {

// (batch, 28, 28, 1) images -> (batch, 10) logits, 93,322 parameters; not compiled, so each caller picks its optimizer.
// Conv2D(32, 3x3, elu) -> MaxPooling2D(2x2) -> Conv2D(64, 3x3, elu) -> MaxPooling2D(2x2) -> Conv2D(64, 3x3, elu)
// -> Flatten -> Dense(64, elu) -> Dense(10).
inline Sequential seed_model() {
  using namespace elucid::layers;
  Sequential model;
  model.add(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  model.add(Flatten());
  model.add(Dense(64, {.activation = "elu"}));
  model.add(Dense(10));
  return model;
}

}  // namespace elucid::examples
