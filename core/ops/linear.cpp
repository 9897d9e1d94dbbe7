// Dense algebra: matmul through sgemm and bias_add broadcast over the leading axes.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/gemm.hpp>
#include <elucid/core/kernels/team_loop.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <climits>

namespace elucid::ops {

using detail::check_defined;
using detail::shape_of;

// a (M, K) x b (K, N) -> (M, N); with bf16_products through sgemm_bf16 (core/kernels/gemm_bf16.hpp)
Tensor matmul(const Tensor& a, const Tensor& b, bool bf16_products) {
  check_defined("matmul", a, "first operand");
  check_defined("matmul", b, "second operand");
  if (a.rank() != 2 || b.rank() != 2)
    throw Error("matmul: " + shape_of(a) + " x " + shape_of(b) + ": both operands must have rank 2");
  const int64_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  if (b.dim(0) != k) throw Error("matmul: " + shape_of(a) + " x " + shape_of(b) + ": inner dimensions differ");
  if (m > INT_MAX || k > INT_MAX || n > INT_MAX)
    throw Error("matmul: " + shape_of(a) + " x " + shape_of(b) + ": too large for BLAS (a side above 2^31 - 1)");
  if (bf16_products && !kernels::cpu_has_avx512_bf16())
    throw Error("matmul: " + shape_of(a) + " x " + shape_of(b) +
                ": bf16_products needs a CPU with AVX512_BF16 (vdpbf16ps), and this one has none");
  Tensor y = Tensor::empty({m, n});
  kernels::matmul_forward(a.data(), b.data(), y.data(), m, k, n, bf16_products);
  if (needs_grad(a, b))
    y.set_backward("matmul", {a, b}, [m, k, n, bf16_products](std::span<const Tensor> in, const float* g) {
      Tensor a = in[0], b = in[1];
      kernels::matmul_backward(a.data(), b.data(), g, a.requires_grad() ? a.grad_buffer() : GradBuffer{},
                               b.requires_grad() ? b.grad_buffer() : GradBuffer{}, m, k, n, bf16_products);
    });
  return y;
}

// x (..., C) + bias (C)
Tensor bias_add(const Tensor& x, const Tensor& bias) {
  check_defined("bias_add", x, "input");
  check_defined("bias_add", bias, "bias");
  if (x.rank() < 1 || bias.rank() != 1 || bias.dim(0) != x.dim(-1))
    throw Error("bias_add: input " + shape_of(x) + " and bias " + shape_of(bias) +
                ": the bias must have shape (C,) for the last axis C of the input");
  const int64_t c = bias.dim(0), rows = c == 0 ? 0 : x.size() / c;
  Tensor y = Tensor::empty(x.shape());
  const float *px = x.data(), *pb = bias.data();
  float* py = y.data();
  kernels::team_loop(rows, kernels::on_team(x.size(), 1 << 15), [&](int64_t r) {
    for (int64_t j = 0; j < c; ++j) py[r * c + j] = px[r * c + j] + pb[j];
  });
  if (needs_grad(x, bias))
    y.set_backward("bias_add", {x, bias}, [rows, c](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0], bias = in[1];
      if (x.requires_grad()) add_into(x.grad_buffer(), g, rows * c);
      if (bias.requires_grad()) {  // summed over rows in order: deterministic
        float* gb = bias.grad_data();
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < c; ++j) gb[j] += g[r * c + j];
      }
    });
  return y;
}

}  // namespace elucid::ops
