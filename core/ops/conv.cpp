// conv2d: NHWC input, (KH, KW, C, F) kernel, strides, valid / same padding (TensorFlow's rule) and dilation.
// The heavy lifting is in core/kernels/conv.cpp; this file checks shapes and wires the backward.
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/conv.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace elucid::ops {

using detail::check_rank;
using detail::shape_of;

// valid: floor((in - dilated window) / stride) + 1, or 0 when the window does not fit; same: ceil(in / stride).
int64_t window_output_size(int64_t in, int window, int stride, int dilation, Padding padding) {
  if (window < 1 || stride < 1 || dilation < 1)
    throw Error("window_output_size: window " + std::to_string(window) + ", stride " + std::to_string(stride) +
                " and dilation " + std::to_string(dilation) + " must all be >= 1");
  if (padding == Padding::Same) return (in + stride - 1) / stride;
  const int64_t span = static_cast<int64_t>(window - 1) * dilation + 1;
  return in < span ? 0 : (in - span) / stride + 1;
}

namespace {
// TensorFlow's same padding: pad_total = max((out - 1) * s + (k - 1) * d + 1 - in, 0), the odd one at the end.
int64_t pad_before(int64_t in, int64_t out, int window, int stride, int dilation, Padding padding) {
  if (padding == Padding::Valid) return 0;
  const int64_t total = std::max<int64_t>((out - 1) * stride + static_cast<int64_t>(window - 1) * dilation + 1 - in, 0);
  return total / 2;
}
}  // namespace

namespace {
// Checks the shapes and arguments of a convolution (errors name `op`) and returns its geometry.
kernels::Conv2DGeometry conv_geometry(const char* op_name, const Tensor& x, const Tensor& kernel, const Tensor& bias,
                                      const Conv2DArgs& args) {
  const std::string op = op_name;
  check_rank(op_name, x, 4, "input", "(N, H, W, C)");
  check_rank(op_name, kernel, 4, "kernel", "(KH, KW, C, F)");
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  const int64_t kh = kernel.dim(0), kw = kernel.dim(1), f = kernel.dim(3);
  const std::string shapes = "input " + shape_of(x) + " and kernel " + shape_of(kernel);
  if (kernel.dim(2) != c)
    throw Error(op + ": " + shapes + ": the input has " + std::to_string(c) + " channels, the kernel expects " +
                std::to_string(kernel.dim(2)));
  if (kh < 1 || kw < 1 || f < 1) throw Error(op + ": " + shapes + ": the kernel is empty");
  if (args.stride_h < 1 || args.stride_w < 1 || args.dilation_h < 1 || args.dilation_w < 1)
    throw Error(op + ": strides (" + std::to_string(args.stride_h) + ", " + std::to_string(args.stride_w) +
                ") and dilation (" + std::to_string(args.dilation_h) + ", " + std::to_string(args.dilation_w) +
                ") must be >= 1");
  if (bias.defined() && (bias.rank() != 1 || bias.dim(0) != f))
    throw Error(op + ": kernel " + shape_of(kernel) + " and bias " + shape_of(bias) + ": the bias must have shape (" +
                std::to_string(f) + ",)");
  const int64_t oh = window_output_size(h, static_cast<int>(kh), args.stride_h, args.dilation_h, args.padding);
  const int64_t ow = window_output_size(w, static_cast<int>(kw), args.stride_w, args.dilation_w, args.padding);
  if (oh < 1 || ow < 1)
    throw Error(op + ": " + shapes + ": the " + (args.dilation_h > 1 || args.dilation_w > 1 ? "dilated " : "") +
                "kernel does not fit in the input with valid padding");

  // The kernel hands (N * OH * OW, KH * KW * C) and (KH * KW * C, F) matrices to BLAS, which counts in int.
  if (n * oh * ow > INT_MAX || kh * kw * c > INT_MAX || f > INT_MAX)
    throw Error(op + ": " + shapes + ": too large for BLAS (a matrix side above 2^31 - 1)");
  return {n, h, w, c, kh, kw, f, oh, ow, args.stride_h, args.stride_w, args.dilation_h, args.dilation_w,
          pad_before(h, oh, static_cast<int>(kh), args.stride_h, args.dilation_h, args.padding),
          pad_before(w, ow, static_cast<int>(kw), args.stride_w, args.dilation_w, args.padding)};
}

std::vector<Tensor> conv_inputs(const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  std::vector<Tensor> inputs{x, kernel};
  if (bias.defined()) inputs.push_back(bias);
  return inputs;
}

// The gradient buffers of {x, kernel, bias?}: empty for those that need none.
struct ConvGrads {
  GradBuffer dx, dw, db;
};
ConvGrads conv_grads(std::span<const Tensor> in) {
  Tensor x = in[0], kernel = in[1];
  Tensor bias = in.size() > 2 ? in[2] : Tensor();
  return {x.requires_grad() ? x.grad_buffer() : GradBuffer{}, kernel.requires_grad() ? kernel.grad_buffer() : GradBuffer{},
          bias.requires_grad() ? bias.grad_buffer() : GradBuffer{}};
}
}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args) {
  const kernels::Conv2DGeometry g = conv_geometry("conv2d", x, kernel, bias, args);
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.f});
  kernels::conv2d_forward(g, x.data(), kernel.data(), bias.defined() ? bias.data() : nullptr, y.data());
  if (needs_grad(x, kernel, bias))
    y.set_backward("conv2d", conv_inputs(x, kernel, bias), [g](std::span<const Tensor> in, const float* dy) {
      const ConvGrads d = conv_grads(in);
      kernels::conv2d_backward(g, in[0].data(), in[1].data(), dy, d.dx, d.dw, d.db);
    });
  return y;
}

// elu(conv2d(x, kernel) + bias) in one pass over each batch chunk; the backward works from the saved output, as elu's.
Tensor conv2d_elu(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args, float alpha) {
  const kernels::Conv2DGeometry g = conv_geometry("conv2d_elu", x, kernel, bias, args);
  if (!std::isfinite(alpha) || alpha < 0)
    throw Error("conv2d_elu: alpha must be finite and >= 0, got " + std::to_string(alpha));
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.f});
  kernels::conv2d_elu_forward(g, x.data(), kernel.data(), bias.defined() ? bias.data() : nullptr, alpha, y.data());
  if (needs_grad(x, kernel, bias))
    y.set_backward("conv2d_elu", conv_inputs(x, kernel, bias),
                   [g, alpha, saved = y.node()->data](std::span<const Tensor> in, const float* dy) {
                     const ConvGrads d = conv_grads(in);
                     kernels::conv2d_elu_backward(g, in[0].data(), in[1].data(), saved->data(), alpha, dy, d.dx, d.dw,
                                                  d.db);
                   });
  return y;
}

}  // namespace elucid::ops
