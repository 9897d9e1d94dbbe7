// A small model with every kind of saved state: compiled with Adam (so it has slots) and trained two steps on six
// random samples of three classes. The saving tests' models go through it before they are written.
#pragma once
#include <elucid/elucid.hpp>

namespace elucid::test {

inline void compile_and_train_two_steps(Sequential& model) {
  model.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  Random rng(1);
  Shape batch = model.input_shape();
  batch.insert(batch.begin(), 6);
  Tensor x(batch), y({6});
  for (float& v : x.values()) v = rng.uniform();
  for (int i = 0; i < 6; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
  model.train_on_batch(x, y);
  model.train_on_batch(x, y);
}

}  // namespace elucid::test
