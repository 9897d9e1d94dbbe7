// RMSprop's update, after keras/src/optimizers/rmsprop.py (Keras 3).
#include <elucid/optim/rmsprop.hpp>

#include <elucid/optim/check_option.hpp>

#include <cmath>

namespace elucid::optimizers {

RMSprop::RMSprop(const RMSpropOptions& o)
    : Optimizer("RMSprop", {o.learning_rate, o.weight_decay, o.clipnorm, o.clipvalue, o.global_clipnorm}),
      rho_(o.rho),
      momentum_(o.momentum),
      epsilon_(o.epsilon),
      centered_(o.centered) {
  check_option(o.rho >= 0 && o.rho < 1, "RMSprop", "rho", o.rho, "in [0, 1)");
  check_option(o.momentum >= 0 && o.momentum <= 1, "RMSprop", "momentum", o.momentum, "in [0, 1]");
  check_option(static_cast<float>(o.epsilon) > 0 && std::isfinite(o.epsilon), "RMSprop", "epsilon", o.epsilon, "> 0");
}

// Keras build order: velocity, then momentum (if momentum > 0), then average_gradient (if centered).
std::vector<std::string> RMSprop::slot_names() const {
  std::vector<std::string> names{"velocity"};
  if (momentum_ > 0) names.push_back("momentum");
  if (centered_) names.push_back("average_gradient");
  return names;
}

// Keras RMSprop.update_step:
//   v = rho * v + (1 - rho) * g^2
//   centered: a = rho * a + (1 - rho) * g, denominator = v - a^2 + epsilon; otherwise denominator = v + epsilon
//   increment = lr * g / sqrt(denominator)
//   momentum > 0: m = momentum * m + increment, w -= m; otherwise w -= increment
void RMSprop::update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots, float lr) {
  const float rho = static_cast<float>(rho_);
  const float one_minus_rho = static_cast<float>(1.0 - rho_);
  const float epsilon = static_cast<float>(epsilon_);
  const float mu = static_cast<float>(momentum_);
  float* v = slots[0].data();
  float* m = momentum_ > 0 ? slots[1].data() : nullptr;
  float* a = centered_ ? slots.back().data() : nullptr;
  const size_t n = w.size();
  for (size_t i = 0; i < n; ++i) {
    v[i] = rho * v[i] + one_minus_rho * (g[i] * g[i]);
    float denominator;
    if (a) {
      a[i] = rho * a[i] + one_minus_rho * g[i];
      denominator = v[i] - a[i] * a[i] + epsilon;
    } else {
      denominator = v[i] + epsilon;
    }
    const float increment = lr * g[i] / std::sqrt(denominator);
    if (m) {
      m[i] = mu * m[i] + increment;
      w[i] -= m[i];
    } else {
      w[i] -= increment;
    }
  }
}

Config RMSprop::own_config() const {
  return {{"rho", rho_}, {"momentum", momentum_}, {"epsilon", epsilon_}, {"centered", centered_ ? 1.0 : 0.0}};
}

}  // namespace elucid::optimizers
