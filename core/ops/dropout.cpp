// dropout: in training, zero each element with probability `rate` (mask drawn from the caller's Random) and scale
// the survivors by 1 / (1 - rate); otherwise the identity.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <cmath>
#include <memory>
#include <string>

namespace elucid::ops {

Tensor dropout(const Tensor& x, float rate, Random& rng, bool training) {
  detail::check_defined("dropout", x, "input");
  if (!(rate >= 0.0f && rate < 1.0f))
    throw Error("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (!training || rate == 0.0f) return x;

  // mask[i] is 0 or 1 / (1 - rate): one uniform draw per element, in order, so a seed fixes the mask.
  const float scale = 1.0f / (1.0f - rate);
  auto mask = std::make_shared<std::vector<float>>(static_cast<size_t>(x.size()));
  for (float& m : *mask) m = rng.uniform() < rate ? 0.0f : scale;
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
