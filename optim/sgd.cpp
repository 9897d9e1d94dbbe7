// SGD's update, after keras/src/optimizers/sgd.py (Keras 3).
#include <elucid/optim/sgd.hpp>

#include <elucid/optim/check_option.hpp>

namespace elucid::optimizers {

SGD::SGD(const SGDOptions& o)
    : Optimizer("SGD", {o.learning_rate, o.weight_decay, o.clipnorm, o.clipvalue, o.global_clipnorm}),
      momentum_(o.momentum),
      nesterov_(o.nesterov) {
  check_option(o.momentum >= 0 && o.momentum <= 1, "SGD", "momentum", o.momentum, "in [0, 1]");
}

std::vector<std::string> SGD::slot_names() const {
  if (momentum_ == 0) return {};
  return {"momentum"};
}

// Keras SGD.update_step:
//   momentum 0:  w = w - g * lr
//   otherwise:   m = m * momentum - g * lr, then w = w + m,
//                or with nesterov w = w + (m * momentum - g * lr).
void SGD::update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots, float lr) {
  const size_t n = w.size();
  if (momentum_ == 0) {
    for (size_t i = 0; i < n; ++i) w[i] = w[i] - g[i] * lr;
    return;
  }
  const float mu = static_cast<float>(momentum_);
  float* m = slots[0].data();
  if (nesterov_) {
    for (size_t i = 0; i < n; ++i) {
      m[i] = m[i] * mu - g[i] * lr;
      w[i] = w[i] + (m[i] * mu - g[i] * lr);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      m[i] = m[i] * mu - g[i] * lr;
      w[i] = w[i] + m[i];
    }
  }
}

Config SGD::own_config() const { return {{"momentum", momentum_}, {"nesterov", nesterov_ ? 1.0 : 0.0}}; }

}  // namespace elucid::optimizers
