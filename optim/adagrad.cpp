// Adagrad's update, after keras/src/optimizers/adagrad.py (Keras 3).
#include <elucid/optim/adagrad.hpp>

#include <elucid/optim/check_option.hpp>

#include <cmath>

namespace elucid::optimizers {

Adagrad::Adagrad(const AdagradOptions& o)
    : Optimizer("Adagrad", {o.learning_rate, o.weight_decay, o.clipnorm, o.clipvalue, o.global_clipnorm}),
      initial_accumulator_value_(o.initial_accumulator_value),
      epsilon_(o.epsilon) {
  check_option(o.initial_accumulator_value >= 0 && std::isfinite(o.initial_accumulator_value), "Adagrad",
               "initial_accumulator_value", o.initial_accumulator_value, ">= 0");
  check_option(static_cast<float>(o.epsilon) > 0 && std::isfinite(o.epsilon), "Adagrad", "epsilon", o.epsilon, "> 0");
}

// Keras Adagrad.update_step (the accumulator starts at initial_accumulator_value):
//   acc += g^2
//   w -= lr * g / sqrt(acc + epsilon)
void Adagrad::update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots, float lr) {
  const float epsilon = static_cast<float>(epsilon_);
  float* acc = slots[0].data();
  const size_t n = w.size();
  for (size_t i = 0; i < n; ++i) {
    acc[i] += g[i] * g[i];
    w[i] -= lr * g[i] / std::sqrt(acc[i] + epsilon);
  }
}

Config Adagrad::own_config() const {
  return {{"initial_accumulator_value", initial_accumulator_value_}, {"epsilon", epsilon_}};
}

}  // namespace elucid::optimizers
