// Adam's update, after keras/src/optimizers/adam.py (Keras 3); AdamW is Adam with weight decay (adamw.py).
// Compiled with -fno-math-errno (CMakeLists.txt) so that the update loop vectorises; a vector sqrt and division
// round exactly as the scalar ones. The loops are compiled per instruction set (core/kernels/simd.hpp: baseline
// x86-64 does 4 floats a sqrt and division, AVX-512 16); no contraction into FMA, so every version gives the same bits.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <elucid/optim/adam.hpp>

#include <elucid/core/kernels/simd.hpp>
#include <elucid/optim/check_option.hpp>

#include <algorithm>
#include <cmath>

namespace elucid::optimizers {

namespace {
constexpr int64_t kParallelMin = 1 << 14;  // weights with fewer elements are updated on the calling thread
constexpr int64_t kBlock = 4096;           // elements a thread updates at a time

// This step's constants of the update (Adam::update).
struct AdamStep {
  float alpha, one_minus_beta_1, one_minus_beta_2, epsilon;
};

ELUCID_SIMD_CLONES void adam_block(float* w, const float* g, float* m, float* v, int64_t n, AdamStep k) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * k.one_minus_beta_1;
    v[i] += (g[i] * g[i] - v[i]) * k.one_minus_beta_2;
    w[i] -= (m[i] * k.alpha) / (std::sqrt(v[i]) + k.epsilon);
  }
}

ELUCID_SIMD_CLONES void amsgrad_block(float* w, const float* g, float* m, float* v, float* v_hat, int64_t n,
                                      AdamStep k) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * k.one_minus_beta_1;
    v[i] += (g[i] * g[i] - v[i]) * k.one_minus_beta_2;
    v_hat[i] = std::max(v_hat[i], v[i]);
    w[i] -= (m[i] * k.alpha) / (std::sqrt(v_hat[i]) + k.epsilon);
  }
}
}  // namespace

Adam::Adam(const AdamOptions& options) : Adam("Adam", options) {}

Adam::Adam(std::string name, const AdamOptions& o)
    : Optimizer(std::move(name), {o.learning_rate, o.weight_decay, o.clipnorm, o.clipvalue, o.global_clipnorm}),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon),
      amsgrad_(o.amsgrad) {
  // The float comparison also refuses a beta that rounds up to 1 in float, where 1 - beta^t would be 0.
  check_option(o.beta_1 >= 0 && static_cast<float>(o.beta_1) < 1, this->name(), "beta_1", o.beta_1, "in [0, 1)");
  check_option(o.beta_2 >= 0 && static_cast<float>(o.beta_2) < 1, this->name(), "beta_2", o.beta_2, "in [0, 1)");
  check_option(static_cast<float>(o.epsilon) > 0 && std::isfinite(o.epsilon), this->name(), "epsilon", o.epsilon,
               "> 0");
}

std::vector<std::string> Adam::slot_names() const {
  if (amsgrad_) return {"momentum", "velocity", "velocity_hat"};
  return {"momentum", "velocity"};
}

// Keras Adam.update_step, t = iterations + 1 (this step's number):
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1)
//   v += (g^2 - v) * (1 - beta_2)
//   amsgrad: v_hat = max(v_hat, v), and v_hat stands for v below
//   w -= m * alpha / (sqrt(v) + epsilon)
// Powers and alpha are float32 as in Keras; 1 - beta is formed in double (a Python float) and then rounded.
void Adam::update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots, float lr) {
  const float t = static_cast<float>(iterations() + 1);
  const float beta_1_power = std::pow(static_cast<float>(beta_1_), t);
  const float beta_2_power = std::pow(static_cast<float>(beta_2_), t);
  const float alpha = lr * std::sqrt(1.0f - beta_2_power) / (1.0f - beta_1_power);
  const AdamStep k{alpha, static_cast<float>(1.0 - beta_1_), static_cast<float>(1.0 - beta_2_),
                   static_cast<float>(epsilon_)};
  float* m = slots[0].data();
  float* v = slots[1].data();
  float* v_hat = amsgrad_ ? slots[2].data() : nullptr;
  const int64_t n = static_cast<int64_t>(w.size());
  // Elementwise, so any split over threads gives the same bits; small weights stay on the calling thread.
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t i = b * kBlock, count = std::min(kBlock, n - i);
    if (v_hat)
      amsgrad_block(w.data() + i, g.data() + i, m + i, v + i, v_hat + i, count, k);
    else
      adam_block(w.data() + i, g.data() + i, m + i, v + i, count, k);
  }
}

Config Adam::own_config() const {
  return {{"beta_1", beta_1_}, {"beta_2", beta_2_}, {"epsilon", epsilon_}, {"amsgrad", amsgrad_ ? 1.0 : 0.0}};
}

AdamW::AdamW(const AdamWOptions& o)
    : Adam("AdamW", {o.learning_rate, o.beta_1, o.beta_2, o.epsilon, o.amsgrad, o.weight_decay, o.clipnorm,
                     o.clipvalue, o.global_clipnorm}) {}

}  // namespace elucid::optimizers
