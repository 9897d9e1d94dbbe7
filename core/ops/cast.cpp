// round_to_bfloat16: the cast a layer under the mixed_bfloat16 policy applies to its inputs (Keras' autocast).
// The values stay floats, rounded to the nearest bfloat16 (ties to even); the gradient passes through unchanged, as
// the gradient of a cast does.
#include <elucid/core/ops.hpp>

#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/ops/check.hpp>

namespace elucid::ops {

Tensor round_to_bfloat16(const Tensor& x) {
  detail::check_defined("round_to_bfloat16", x, "input");
  Tensor y = Tensor::empty(x.shape());
  kernels::round_to_bfloat16(x.data(), y.data(), x.size());
  if (needs_grad(x))
    y.set_backward("round_to_bfloat16", {x}, [](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      add_into(x.grad_buffer(), g, x.size());
    });
  return y;
}

bool cpu_has_bf16_products() { return kernels::cpu_has_avx512_bf16(); }

}  // namespace elucid::ops
