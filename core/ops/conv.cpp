// conv2d: NHWC input, (KH, KW, C / groups, F) kernel, strides, valid / same padding (TensorFlow's rule), dilation
// and groups. The heavy lifting is in core/kernels/conv.cpp; this file checks shapes and wires the backward, and runs
// a grouped convolution as one kernel call per group.
// depthwise_conv2d: each channel convolved on its own by M kernels, direct loops (no GEMM: C small products).
// conv2d_transpose: the input gradient of a convolution, through the same kernels.
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/activation.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/conv.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
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
// The geometry of kernel's KH x KW window with f output channels over x (N, H, W, C), after checking the arguments
// and the bias (f) (errors name `op` and the shapes).
kernels::Conv2DGeometry window_geometry(const std::string& op, const Tensor& x, const Tensor& kernel, int64_t f,
                                        const Tensor& bias, const Conv2DArgs& args) {
  const std::string shapes = "input " + shape_of(x) + " and kernel " + shape_of(kernel);
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3), kh = kernel.dim(0), kw = kernel.dim(1);
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

// The convolutions other than conv2d take no groups, nor bf16 products.
void require_one_group(const char* op, const Conv2DArgs& args) {
  if (args.groups != 1)
    throw Error(std::string(op) + ": groups " + std::to_string(args.groups) + " is not supported (only 1)");
  if (args.bf16_products)
    throw Error(std::string(op) + ": bf16_products is not supported (conv2d and conv2d_elu only)");
}

// Checks the shapes and arguments of a convolution (errors name `op`) and returns its geometry: c and f are the
// input's channels and the kernel's filters, all groups together.
kernels::Conv2DGeometry conv_geometry(const char* op_name, const Tensor& x, const Tensor& kernel, const Tensor& bias,
                                      const Conv2DArgs& args) {
  const std::string op = op_name;
  check_rank(op_name, x, 4, "input", "(N, H, W, C)");
  check_rank(op_name, kernel, 4, "kernel", "(KH, KW, C / groups, F)");
  const std::string shapes = "input " + shape_of(x) + " and kernel " + shape_of(kernel);
  const int64_t groups = args.groups;
  if (groups < 1) throw Error(op + ": groups " + std::to_string(groups) + " must be >= 1");
  if (kernel.dim(2) * groups != x.dim(3))
    throw Error(op + ": " + shapes + ": the input has " + std::to_string(x.dim(3)) + " channels, the kernel expects " +
                std::to_string(kernel.dim(2) * groups) +
                (groups == 1 ? std::string()
                             : " (" + std::to_string(kernel.dim(2)) + " per group, " + std::to_string(groups) +
                                   " groups)"));
  if (kernel.dim(3) % groups != 0)
    throw Error(op + ": kernel " + shape_of(kernel) + ": groups " + std::to_string(groups) + " does not divide its " +
                std::to_string(kernel.dim(3)) + " filters");
  kernels::Conv2DGeometry g = window_geometry(op, x, kernel, kernel.dim(3), bias, args);
  if (args.bf16_products && !kernels::cpu_has_avx512_bf16())
    throw Error(op + ": bf16_products needs a CPU with AVX512_BF16 (vdpbf16ps), and this one has none");
  g.bf16 = args.bf16_products;
  return g;
}

// ---- grouped convolution: one kernel call per group, on copies of the group's channels ----
// Group q reads input channels [q * C / G, (q + 1) * C / G) and writes output channels [q * F / G, (q + 1) * F / G),
// with the kernel's columns of those outputs, kernel[:, :, :, q * F / G ...]. The kernels take dense (..., C) and
// (..., F) arrays, so each group's slices are copied in and its results copied out; the kernels' own arithmetic is
// untouched, so each group gives the bits a convolution of its slices alone gives. G = 1 never comes here.

constexpr int64_t kCopyParallelMin = 1 << 15;  // copied values; fewer stay on the calling thread

// dst (rows, count) = src (rows, stride)[:, first:first + count].
void gather_columns(const float* src, int64_t rows, int64_t stride, int64_t first, int64_t count, float* dst) {
#pragma omp parallel for schedule(static) if (rows * count >= kCopyParallelMin)
  for (int64_t r = 0; r < rows; ++r)
    std::copy(src + r * stride + first, src + r * stride + first + count, dst + r * count);
}

// dst (rows, stride)[:, first:first + count] = src (rows, count), or += when `add`.
void scatter_columns(const float* src, int64_t rows, int64_t count, int64_t stride, int64_t first, float* dst,
                     bool add) {
#pragma omp parallel for schedule(static) if (rows * count >= kCopyParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    float* out = dst + r * stride + first;
    add_into({out, !add}, src + r * count, count);
  }
}

// One group's geometry: g with C / G input channels and F / G filters.
kernels::Conv2DGeometry group_geometry(const kernels::Conv2DGeometry& g, int64_t groups) {
  kernels::Conv2DGeometry one = g;
  one.c = g.c / groups;
  one.f = g.f / groups;
  return one;
}

// y (N, OH, OW, F) = conv(x, w) + b, group by group.
void grouped_forward(const kernels::Conv2DGeometry& g, int64_t groups, const float* x, const float* w, const float* b,
                     float* y) {
  const kernels::Conv2DGeometry one = group_geometry(g, groups);
  const int64_t pixels = g.n * g.h * g.w, outputs = g.n * g.oh * g.ow, taps = g.kh * g.kw * one.c;
  std::vector<float> xq(static_cast<size_t>(pixels * one.c)), wq(static_cast<size_t>(taps * one.f)),
      yq(static_cast<size_t>(outputs * one.f));
  for (int64_t q = 0; q < groups; ++q) {
    gather_columns(x, pixels, g.c, q * one.c, one.c, xq.data());
    gather_columns(w, taps, g.f, q * one.f, one.f, wq.data());  // w is (KH * KW * C / G, F)
    kernels::conv2d_forward(one, xq.data(), wq.data(), b ? b + q * one.f : nullptr, yq.data());
    scatter_columns(yq.data(), outputs, one.f, g.f, q * one.f, y, false);
  }
}

// conv2d_backward group by group: each group's dx, dw and db land in its own channels, so the groups never add into
// the same value.
void grouped_backward(const kernels::Conv2DGeometry& g, int64_t groups, const float* x, const float* w,
                      const float* dy, GradBuffer dx, GradBuffer dw, GradBuffer db) {
  const kernels::Conv2DGeometry one = group_geometry(g, groups);
  const int64_t pixels = g.n * g.h * g.w, outputs = g.n * g.oh * g.ow, taps = g.kh * g.kw * one.c;
  // x's slice for dw, w's for dx; each group's dx and dw fresh, then copied or added into place.
  std::vector<float> xq(dw.data ? static_cast<size_t>(pixels * one.c) : 0),
      wq(dx.data ? static_cast<size_t>(taps * one.f) : 0), dyq(static_cast<size_t>(outputs * one.f)),
      dxq(dx.data ? static_cast<size_t>(pixels * one.c) : 0), dwq(dw.data ? static_cast<size_t>(taps * one.f) : 0);
  for (int64_t q = 0; q < groups; ++q) {
    gather_columns(dy, outputs, g.f, q * one.f, one.f, dyq.data());
    if (dw.data) gather_columns(x, pixels, g.c, q * one.c, one.c, xq.data());
    if (dx.data) gather_columns(w, taps, g.f, q * one.f, one.f, wq.data());
    kernels::conv2d_backward(one, xq.data(), wq.data(), dyq.data(), dx.data ? GradBuffer{dxq.data(), true} : GradBuffer{},
                             dw.data ? GradBuffer{dwq.data(), true} : GradBuffer{},
                             db.data ? GradBuffer{db.data + q * one.f, db.fresh} : GradBuffer{});
    if (dx.data) scatter_columns(dxq.data(), pixels, one.c, g.c, q * one.c, dx.data, !dx.fresh);
    if (dw.data) scatter_columns(dwq.data(), taps, one.f, g.f, q * one.f, dw.data, !dw.fresh);
  }
}

// The convolution forward and backward of `groups` groups: the kernels themselves when there is one.
void forward(const kernels::Conv2DGeometry& g, int64_t groups, const float* x, const float* w, const float* b,
             float* y) {
  if (groups == 1)
    kernels::conv2d_forward(g, x, w, b, y);
  else
    grouped_forward(g, groups, x, w, b, y);
}
void backward(const kernels::Conv2DGeometry& g, int64_t groups, const float* x, const float* w, const float* dy,
              GradBuffer dx, GradBuffer dw, GradBuffer db) {
  if (groups == 1)
    kernels::conv2d_backward(g, x, w, dy, dx, dw, db);
  else
    grouped_backward(g, groups, x, w, dy, dx, dw, db);
}

std::vector<Tensor> conv_inputs(const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  std::vector<Tensor> inputs{x, kernel};
  if (bias.defined()) inputs.push_back(bias);
  return inputs;
}

// db (channels) from dy (pixels, channels): the sum over every sample and pixel, in order.
void bias_gradient(const float* dy, int64_t pixels, int64_t channels, GradBuffer db) {
  std::vector<float> total(static_cast<size_t>(channels), 0.0f);
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t o = 0; o < channels; ++o) total[o] += dy[p * channels + o];
  add_into(db, total.data(), channels);
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
  const int64_t groups = args.groups;
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.f});
  forward(g, groups, x.data(), kernel.data(), bias.defined() ? bias.data() : nullptr, y.data());
  if (needs_grad(x, kernel, bias))
    y.set_backward("conv2d", conv_inputs(x, kernel, bias), [g, groups](std::span<const Tensor> in, const float* dy) {
      const ConvGrads d = conv_grads(in);
      backward(g, groups, in[0].data(), in[1].data(), dy, d.dx, d.dw, d.db);
    });
  return y;
}

// elu(conv2d(x, kernel) + bias) in one pass over each batch chunk; the backward works from the saved output, as elu's.
// Grouped: the grouped convolution, then elu over the whole output; the backward turns dy into the convolution's
// gradient first, then runs the grouped backward. The same bits as elu(conv2d(...)) either way.
Tensor conv2d_elu(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args, float alpha) {
  const kernels::Conv2DGeometry g = conv_geometry("conv2d_elu", x, kernel, bias, args);
  if (!std::isfinite(alpha) || alpha < 0)
    throw Error("conv2d_elu: alpha must be finite and >= 0, got " + std::to_string(alpha));
  const int64_t groups = args.groups;
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.f});
  const float* b = bias.defined() ? bias.data() : nullptr;
  if (groups == 1) {
    kernels::conv2d_elu_forward(g, x.data(), kernel.data(), b, alpha, y.data());
  } else {
    grouped_forward(g, groups, x.data(), kernel.data(), b, y.data());
    kernels::elu_forward(y.data(), y.data(), y.size(), alpha);
  }
  if (needs_grad(x, kernel, bias))
    y.set_backward("conv2d_elu", conv_inputs(x, kernel, bias),
                   [g, groups, alpha, saved = y.node()->data](std::span<const Tensor> in, const float* dy) {
                     const ConvGrads d = conv_grads(in);
                     if (groups == 1) {
                       kernels::conv2d_elu_backward(g, in[0].data(), in[1].data(), saved->data(), alpha, dy, d.dx,
                                                    d.dw, d.db);
                       return;
                     }
                     const int64_t size = g.n * g.oh * g.ow * g.f;
                     std::vector<float> dz(static_cast<size_t>(size));
                     kernels::elu_backward(saved->data(), dy, {dz.data(), true}, size, alpha);
                     grouped_backward(g, groups, in[0].data(), in[1].data(), dz.data(), d.dx, d.dw, d.db);
                   });
  return y;
}

// The convolution's outputs pooled chunk by chunk (kernels::conv2d_max_pool_forward); argmax as max_pool2d's, within
// each sample's convolution outputs.
Tensor conv2d_max_pool(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args,
                       const Pool2DArgs& pool) {
  const kernels::Conv2DGeometry g = conv_geometry("conv2d_max_pool", x, kernel, bias, args);
  if (args.groups != 1) return max_pool2d(conv2d(x, kernel, bias, args), pool);
  // The pooling's input is the convolution's output: "conv2d_max_pool: input (N, OH, OW, F) ...".
  const kernels::Pool2DGeometry p = detail::max_pool_geometry("conv2d_max_pool", {g.n, g.oh, g.ow, g.f}, pool);
  Tensor y = Tensor::empty({p.n, p.oh, p.ow, p.c});
  const float* b = bias.defined() ? bias.data() : nullptr;
  if (!needs_grad(x, kernel, bias)) {  // inference: no argmax to keep
    kernels::conv2d_max_pool_forward(g, p, x.data(), kernel.data(), b, y.data(), nullptr);
    return y;
  }
  std::shared_ptr<int32_t[]> argmax(new int32_t[static_cast<size_t>(y.size())]);  // all written
  kernels::conv2d_max_pool_forward(g, p, x.data(), kernel.data(), b, y.data(), argmax.get());
  y.set_backward("conv2d_max_pool", conv_inputs(x, kernel, bias),
                 [g, p, argmax](std::span<const Tensor> in, const float* dy) {
                   const ConvGrads d = conv_grads(in);
                   kernels::conv2d_max_pool_backward(g, p, in[0].data(), in[1].data(), argmax.get(), dy, d.dx, d.dw,
                                                     d.db);
                 });
  return y;
}

// ---- depthwise_conv2d: y[n, i, j, c * M + m] = b[c * M + m] + sum_{a, b} x[n, ih(i, a), iw(j, b), c] k[a, b, c, m] ----

namespace {
constexpr int64_t kDepthwiseParallelMin = 1 << 14;  // multiply-adds; fewer stay on the calling thread

// The depthwise geometry: Conv2DGeometry with f = C * M (the output channels) and m the depth multiplier.
struct DepthwiseGeometry {
  kernels::Conv2DGeometry g;
  int64_t m;
};

DepthwiseGeometry depthwise_geometry(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args) {
  require_one_group("depthwise_conv2d", args);
  check_rank("depthwise_conv2d", x, 4, "input", "(N, H, W, C)");
  check_rank("depthwise_conv2d", kernel, 4, "kernel", "(KH, KW, C, M)");
  const std::string shapes = "input " + shape_of(x) + " and kernel " + shape_of(kernel);
  if (kernel.dim(2) != x.dim(3))
    throw Error("depthwise_conv2d: " + shapes + ": the input has " + std::to_string(x.dim(3)) +
                " channels, the kernel expects " + std::to_string(kernel.dim(2)));
  // The output has C * M channels, as a convolution with f = C * M: its bias has C * M values.
  return {window_geometry("depthwise_conv2d", x, kernel, kernel.dim(2) * kernel.dim(3), bias, args), kernel.dim(3)};
}

// The tap (a, b) of output (i, j) reads input (i * stride - pad + a * dilation, ...); -1 when that is outside.
int64_t tap(int64_t out, int64_t k, int64_t stride, int64_t dilation, int64_t pad, int64_t size) {
  const int64_t in = out * stride - pad + k * dilation;
  return in >= 0 && in < size ? in : -1;
}
}  // namespace

Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args) {
  // Plain names, not a structured binding: clang 14 cannot capture one into an OpenMP region or a lambda.
  const DepthwiseGeometry geometry = depthwise_geometry(x, kernel, bias, args);
  const kernels::Conv2DGeometry& g = geometry.g;
  const int64_t m = geometry.m;
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.f});
  const float *px = x.data(), *pk = kernel.data(), *pb = bias.defined() ? bias.data() : nullptr;
  float* py = y.data();
  // One output row (sample, i) per iteration: each output pixel is its bias, then its taps in (a, b) order.
#pragma omp parallel for schedule(static) if (y.size() * g.kh * g.kw >= kDepthwiseParallelMin)
  for (int64_t r = 0; r < g.n * g.oh; ++r) {
    const int64_t s = r / g.oh, i = r % g.oh;
    for (int64_t j = 0; j < g.ow; ++j) {
      float* out = py + (r * g.ow + j) * g.f;
      for (int64_t o = 0; o < g.f; ++o) out[o] = pb ? pb[o] : 0.0f;
      for (int64_t a = 0; a < g.kh; ++a) {
        const int64_t ih = tap(i, a, g.stride_h, g.dilation_h, g.pad_top, g.h);
        if (ih < 0) continue;
        for (int64_t b = 0; b < g.kw; ++b) {
          const int64_t iw = tap(j, b, g.stride_w, g.dilation_w, g.pad_left, g.w);
          if (iw < 0) continue;
          const float* xp = px + ((s * g.h + ih) * g.w + iw) * g.c;
          const float* kp = pk + (a * g.kw + b) * g.f;  // k[a, b, c, m] at c * M + m, as the output channel
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t mm = 0; mm < m; ++mm) out[c * m + mm] += xp[c] * kp[c * m + mm];
        }
      }
    }
  }
  if (needs_grad(x, kernel, bias))
    y.set_backward("depthwise_conv2d", conv_inputs(x, kernel, bias), [g, m](std::span<const Tensor> in, const float* dy) {
      const ConvGrads d = conv_grads(in);
      const float *px = in[0].data(), *pk = in[1].data();
      // dx, gathered: one input row (sample, ih) per iteration, each pixel summing the outputs whose taps read it,
      // in (a, b) order. No two iterations write the same value.
      if (d.dx.data) {
#pragma omp parallel for schedule(static) if (g.n * g.oh * g.ow * g.f * g.kh * g.kw >= kDepthwiseParallelMin)
        for (int64_t r = 0; r < g.n * g.h; ++r) {
          const int64_t s = r / g.h, ih = r % g.h;
          std::vector<float> total(static_cast<size_t>(g.c));
          for (int64_t iw = 0; iw < g.w; ++iw) {
            std::fill(total.begin(), total.end(), 0.0f);
            for (int64_t a = 0; a < g.kh; ++a) {
              const int64_t th = ih + g.pad_top - a * g.dilation_h;  // = i * stride_h for the output row i
              if (th < 0 || th % g.stride_h != 0 || th / g.stride_h >= g.oh) continue;
              for (int64_t b = 0; b < g.kw; ++b) {
                const int64_t tw = iw + g.pad_left - b * g.dilation_w;
                if (tw < 0 || tw % g.stride_w != 0 || tw / g.stride_w >= g.ow) continue;
                const float* dyp = dy + ((s * g.oh + th / g.stride_h) * g.ow + tw / g.stride_w) * g.f;
                const float* kp = pk + (a * g.kw + b) * g.f;
                for (int64_t c = 0; c < g.c; ++c)
                  for (int64_t mm = 0; mm < m; ++mm) total[c] += dyp[c * m + mm] * kp[c * m + mm];
              }
            }
            float* out = d.dx.data + (r * g.w + iw) * g.c;
            for (int64_t c = 0; c < g.c; ++c) out[c] = d.dx.fresh ? total[c] : out[c] + total[c];
          }
        }
      }
      // dk, one tap (a, b) per iteration: the sum over every sample and output pixel, in that order.
      if (d.dw.data) {
#pragma omp parallel for schedule(static) if (g.n * g.oh * g.ow * g.f * g.kh * g.kw >= kDepthwiseParallelMin)
        for (int64_t t = 0; t < g.kh * g.kw; ++t) {
          const int64_t a = t / g.kw, b = t % g.kw;
          std::vector<float> total(static_cast<size_t>(g.f), 0.0f);
          for (int64_t s = 0; s < g.n; ++s)
            for (int64_t i = 0; i < g.oh; ++i) {
              const int64_t ih = tap(i, a, g.stride_h, g.dilation_h, g.pad_top, g.h);
              if (ih < 0) continue;
              for (int64_t j = 0; j < g.ow; ++j) {
                const int64_t iw = tap(j, b, g.stride_w, g.dilation_w, g.pad_left, g.w);
                if (iw < 0) continue;
                const float* xp = px + ((s * g.h + ih) * g.w + iw) * g.c;
                const float* dyp = dy + ((s * g.oh + i) * g.ow + j) * g.f;
                for (int64_t c = 0; c < g.c; ++c)
                  for (int64_t mm = 0; mm < m; ++mm) total[c * m + mm] += xp[c] * dyp[c * m + mm];
              }
            }
          float* out = d.dw.data + t * g.f;
          for (int64_t o = 0; o < g.f; ++o) out[o] = d.dw.fresh ? total[o] : out[o] + total[o];
        }
      }
      if (d.db.data) bias_gradient(dy, g.n * g.oh * g.ow, g.f, d.db);
    });
  return y;
}

// ---- conv2d_transpose: y = the gradient of conv2d's input, for the convolution that takes y's shape to x's ----

int64_t transposed_output_size(int64_t in, int window, int stride, Padding padding) {
  if (window < 1 || stride < 1)
    throw Error("transposed_output_size: window " + std::to_string(window) + " and stride " + std::to_string(stride) +
                " must be >= 1");
  return padding == Padding::Same ? in * stride : in * stride + std::max(window - stride, 0);
}

namespace {
// The convolution conv2d_transpose runs backward: its input is y (N, OH, OW, F), its output x (N, H, W, C), its
// kernel (KH, KW, F, C) as given. That convolution of OH rows gives H rows (valid and same alike), and its padding is
// the one TensorFlow's conv2d_transpose uses.
kernels::Conv2DGeometry transposed_geometry(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                                            const Conv2DArgs& args) {
  require_one_group("conv2d_transpose", args);
  check_rank("conv2d_transpose", x, 4, "input", "(N, H, W, C)");
  check_rank("conv2d_transpose", kernel, 4, "kernel", "(KH, KW, F, C)");
  const std::string shapes = "input " + shape_of(x) + " and kernel " + shape_of(kernel);
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  const int64_t kh = kernel.dim(0), kw = kernel.dim(1), f = kernel.dim(2);
  if (kernel.dim(3) != c)
    throw Error("conv2d_transpose: " + shapes + ": the input has " + std::to_string(c) +
                " channels, the kernel expects " + std::to_string(kernel.dim(3)));
  if (kh < 1 || kw < 1 || f < 1) throw Error("conv2d_transpose: " + shapes + ": the kernel is empty");
  if (args.stride_h < 1 || args.stride_w < 1)
    throw Error("conv2d_transpose: strides (" + std::to_string(args.stride_h) + ", " + std::to_string(args.stride_w) +
                ") must be >= 1");
  if (args.dilation_h != 1 || args.dilation_w != 1)
    throw Error("conv2d_transpose: dilation (" + std::to_string(args.dilation_h) + ", " +
                std::to_string(args.dilation_w) + ") is not supported (only 1)");
  if (bias.defined() && (bias.rank() != 1 || bias.dim(0) != f))
    throw Error("conv2d_transpose: kernel " + shape_of(kernel) + " and bias " + shape_of(bias) +
                ": the bias must have shape (" + std::to_string(f) + ",)");
  const int64_t oh = transposed_output_size(h, static_cast<int>(kh), args.stride_h, args.padding);
  const int64_t ow = transposed_output_size(w, static_cast<int>(kw), args.stride_w, args.padding);
  if (n * h * w > INT_MAX || kh * kw * f > INT_MAX || c > INT_MAX)
    throw Error("conv2d_transpose: " + shapes + ": too large for BLAS (a matrix side above 2^31 - 1)");
  return {n, oh, ow, f, kh, kw, c, h, w, args.stride_h, args.stride_w, 1, 1,
          pad_before(oh, h, static_cast<int>(kh), args.stride_h, 1, args.padding),
          pad_before(ow, w, static_cast<int>(kw), args.stride_w, 1, args.padding)};
}
}  // namespace

Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args) {
  const kernels::Conv2DGeometry g = transposed_geometry(x, kernel, bias, args);  // g.n, g.h, g.w, g.c: y's shape
  Tensor y = Tensor::empty({g.n, g.h, g.w, g.c});
  // y = col2im(x W^T): the input gradient of the convolution, written fresh, then the bias on each pixel.
  kernels::conv2d_backward(g, nullptr, kernel.data(), x.data(), GradBuffer{y.data(), true}, {}, {});
  if (bias.defined()) {
    const float* b = bias.data();
    float* py = y.data();
#pragma omp parallel for schedule(static) if (y.size() >= (1 << 15))
    for (int64_t p = 0; p < g.n * g.h * g.w; ++p)
      for (int64_t o = 0; o < g.c; ++o) py[p * g.c + o] += b[o];
  }
  if (needs_grad(x, kernel, bias))
    y.set_backward("conv2d_transpose", conv_inputs(x, kernel, bias), [g](std::span<const Tensor> in, const float* dy) {
      const ConvGrads d = conv_grads(in);
      // dx = conv2d(dy, W): the convolution forward, into a scratch buffer when dx already holds a gradient.
      if (d.dx.data) {
        const int64_t size = g.n * g.oh * g.ow * g.f;
        std::vector<float> scratch(d.dx.fresh ? 0 : static_cast<size_t>(size));
        kernels::conv2d_forward(g, dy, in[1].data(), nullptr, d.dx.fresh ? d.dx.data : scratch.data());
        if (!d.dx.fresh) add_into(d.dx, scratch.data(), size);
      }
      // dW: the convolution's weight gradient with dy as its input and x as its output gradient.
      if (d.dw.data) kernels::conv2d_backward(g, dy, in[1].data(), in[0].data(), {}, d.dw, {});
      if (d.db.data) bias_gradient(dy, g.n * g.h * g.w, g.c, d.db);
    });
  return y;
}

}  // namespace elucid::ops
