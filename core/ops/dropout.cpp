// dropout: in training, zero each element with probability `rate` (each sample's mask drawn from its keyed
// generator) and scale the survivors by 1 / (1 - rate); otherwise the identity.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <cmath>
#include <memory>
#include <string>

namespace elucid::ops {

Tensor dropout(const Tensor& x, float rate, uint64_t seed, const RunPosition& at, bool training) {
  detail::check_defined("dropout", x, "input");
  if (!(rate >= 0.0f && rate < 1.0f))
    throw Error("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (!training || rate == 0.0f) return x;

  // mask[i] is 0 or 1 / (1 - rate): per sample (a scalar x is one sample), its generator's uniform draws in order.
  const float scale = 1.0f / (1.0f - rate);
  auto mask = std::make_shared<std::vector<float>>(static_cast<size_t>(x.size()));
  const int64_t samples = x.rank() == 0 ? 1 : x.dim(0);
  const int64_t per_sample = samples > 0 ? x.size() / samples : 0;
  for (int64_t s = 0; s < samples; ++s) {
    Random rng = Random::keyed(seed, at.step, static_cast<uint64_t>(at.first_sample + s));
    float* m = mask->data() + s * per_sample;
    for (int64_t i = 0; i < per_sample; ++i) m[i] = rng.uniform() < rate ? 0.0f : scale;
  }
  Tensor y(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < x.size(); ++i) py[i] = px[i] * (*mask)[static_cast<size_t>(i)];
  if (needs_grad(x))
    y.set_backward("dropout", {x}, [mask](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      float* gx = x.grad_data();
      for (int64_t i = 0; i < x.size(); ++i) gx[i] += g[i] * (*mask)[static_cast<size_t>(i)];
    });
  return y;
}

}  // namespace elucid::ops
