// Pooling ops: max_pool2d (argmax saved for the backward), avg_pool2d, global_avg_pool2d; NHWC, Keras rounding.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/pool.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>

namespace elucid::ops {

using detail::check_rank;
using detail::pool_geometry;
using detail::shape_of;

kernels::Pool2DGeometry detail::pool_geometry(const char* op, const Shape& x, const Pool2DArgs& args) {
  if (x.size() != 4) throw Error(std::string(op) + ": pool_geometry needs a shape of rank 4, got " + to_string(x));
  const int sh = args.stride_h == 0 ? args.pool_h : args.stride_h;
  const int sw = args.stride_w == 0 ? args.pool_w : args.stride_w;
  if (args.pool_h < 1 || args.pool_w < 1 || sh < 1 || sw < 1)
    throw Error(std::string(op) + ": pool size (" + std::to_string(args.pool_h) + ", " + std::to_string(args.pool_w) +
                ") and strides (" + std::to_string(sh) + ", " + std::to_string(sw) + ") must be >= 1");
  const int64_t h = x[1], w = x[2];
  const int64_t oh = window_output_size(h, args.pool_h, sh, 1, args.padding);
  const int64_t ow = window_output_size(w, args.pool_w, sw, 1, args.padding);
  if (oh < 1 || ow < 1)
    throw Error(std::string(op) + ": input " + to_string(x) + " is smaller than the pool size (" +
                std::to_string(args.pool_h) + ", " + std::to_string(args.pool_w) + ") with valid padding");
  // Same padding as TensorFlow: the odd padding row / column goes at the bottom / right.
  const int64_t pad_h = args.padding == Padding::Same ? std::max<int64_t>((oh - 1) * sh + args.pool_h - h, 0) : 0;
  const int64_t pad_w = args.padding == Padding::Same ? std::max<int64_t>((ow - 1) * sw + args.pool_w - w, 0) : 0;
  return {x[0], h, w, x[3], args.pool_h, args.pool_w, oh, ow, sh, sw, pad_h / 2, pad_w / 2};
}

kernels::Pool2DGeometry detail::max_pool_geometry(const char* op, const Shape& x, const Pool2DArgs& args) {
  const kernels::Pool2DGeometry g = pool_geometry(op, x, args);
  if (g.h * g.w * g.c > std::numeric_limits<int32_t>::max())
    throw Error(std::string(op) + ": input " + to_string(x) + " has more than 2^31 - 1 values per sample");
  return g;
}

Tensor max_pool2d(const Tensor& x, const Pool2DArgs& args) {
  check_rank("max_pool2d", x, 4, "input", "(N, H, W, C)");
  const kernels::Pool2DGeometry g = detail::max_pool_geometry("max_pool2d", x.shape(), args);
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.c});
  if (!needs_grad(x)) {  // inference: no argmax to keep
    kernels::max_pool2d_forward(g, x.data(), y.data(), nullptr);
    return y;
  }
  // Saved for the backward: where each maximum came from, within its sample (left uninitialised: all written).
  std::shared_ptr<int32_t[]> argmax(new int32_t[static_cast<size_t>(y.size())]);
  kernels::max_pool2d_forward(g, x.data(), y.data(), argmax.get());
  y.set_backward("max_pool2d", {x}, [g, argmax](std::span<const Tensor> in, const float* dy) {
    Tensor x = in[0];
    kernels::max_pool2d_backward(g, argmax.get(), dy, x.grad_buffer());
  });
  return y;
}

Tensor avg_pool2d(const Tensor& x, const Pool2DArgs& args) {
  check_rank("avg_pool2d", x, 4, "input", "(N, H, W, C)");
  const kernels::Pool2DGeometry g = pool_geometry("avg_pool2d", x.shape(), args);
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.c});
  kernels::avg_pool2d_forward(g, x.data(), y.data());
  if (needs_grad(x))
    y.set_backward("avg_pool2d", {x}, [g](std::span<const Tensor> in, const float* dy) {
      Tensor x = in[0];
      kernels::avg_pool2d_backward(g, dy, x.grad_data());
    });
  return y;
}

// (N, H, W, C) -> (N, C): the mean over H and W, the average pool of one whole-image window.
Tensor global_avg_pool2d(const Tensor& x) {
  check_rank("global_avg_pool2d", x, 4, "input", "(N, H, W, C)");
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  if (h * w == 0) throw Error("global_avg_pool2d: input " + shape_of(x) + " has no pixels");
  const kernels::Pool2DGeometry g{n, h, w, c, h, w, 1, 1, 1, 1, 0, 0};
  Tensor y({n, c});
  kernels::avg_pool2d_forward(g, x.data(), y.data());
  if (needs_grad(x))
    y.set_backward("global_avg_pool2d", {x}, [g](std::span<const Tensor> in, const float* dy) {
      Tensor x = in[0];
      kernels::avg_pool2d_backward(g, dy, x.grad_data());
    });
  return y;
}

}  // namespace elucid::ops
