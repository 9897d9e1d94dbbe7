// Elementwise arithmetic, reductions to a scalar, and reshapes; each backward sits right under its forward.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>
#include <elucid/core/ops/fused.hpp>

#include <algorithm>
#include <type_traits>

namespace elucid::ops {

using detail::check_defined;
using detail::check_same_shape;
using detail::shape_of;

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // below this many elements a thread team costs more than it saves
}

// ---- add, sub, mul: same shapes ----
// The backward loops read the size once and split over the team like the forward (Add's in blocks of 16384 floats,
// each copied or added by add_into): the residual blocks' Add sends an image-sized gradient through here every step
// (Tensor::size per element cost more than the addition).

Tensor add(const Tensor& a, const Tensor& b) {
  check_same_shape("add", a, b);
  Tensor y = Tensor::empty(a.shape());  // every element written below
  const float *pa = a.data(), *pb = b.data();
  float* py = y.data();
  const int64_t n = y.size();
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = pa[i] + pb[i];
  if (needs_grad(a, b))
    y.set_backward("add", {a, b}, [](std::span<const Tensor> in, const float* g) {
      for (Tensor t : in)
        if (t.requires_grad()) {
          const GradBuffer gt = t.grad_buffer();  // a fresh one is a copy of g, not zero-filled and added to
          const int64_t n = t.size(), block = 16384, blocks = (n + block - 1) / block;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
          for (int64_t b = 0; b < blocks; ++b) {
            const int64_t i0 = b * block;
            add_into({gt.data + i0, gt.fresh}, g + i0, std::min(block, n - i0));
          }
        }
    });
  return y;
}

Tensor add_relu(const Tensor& a, const Tensor& b) {
  check_same_shape("add_relu", a, b);
  Tensor y = Tensor::empty(a.shape());  // every element written below
  const float *pa = a.data(), *pb = b.data();
  float* py = y.data();
  const int64_t n = y.size();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float sum = pa[i] + pb[i];
    py[i] = sum > 0.0f ? sum : 0.0f;
  }
  if (needs_grad(a, b))
    y.set_backward("add_relu", {a, b}, [](std::span<const Tensor> in, const float* g) {
      // One pass for both inputs: the mask retaken once per element from a + b, the masked dy assigned to a fresh
      // gradient (not zero-filled and added to) or added to one that holds other contributions. add_relu(x, x)
      // gives x's buffer twice: the first write assigns (or adds) and the second, reading it back, adds.
      Tensor a = in[0], b = in[1];
      const float *pa = a.data(), *pb = b.data();
      const GradBuffer ga = a.requires_grad() ? a.grad_buffer() : GradBuffer{};
      const GradBuffer gb = b.requires_grad() ? b.grad_buffer() : GradBuffer{};
      const int64_t n = a.size();
      const auto pass = [&](const auto into_a, const auto into_b) {  // each a function of (out, i, v) or null
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
        for (int64_t i = 0; i < n; ++i) {
          const float dy = g[i];  // read on both sides of the select, so that it vectorises (as relu's)
          const float v = pa[i] + pb[i] > 0.0f ? dy : 0.0f;
          if constexpr (!std::is_null_pointer_v<decltype(into_a)>) into_a(ga.data, i, v);
          if constexpr (!std::is_null_pointer_v<decltype(into_b)>) into_b(gb.data, i, v);
        }
      };
      const auto assign = [](float* out, int64_t i, float v) { out[i] = v; };
      const auto add = [](float* out, int64_t i, float v) { out[i] += v; };
      // The four ways two buffers can be (assigned or added to), and one input alone: each its own loop, so that
      // none tests a flag per element.
      if (ga.data && gb.data) {
        if (ga.fresh && gb.fresh) pass(assign, assign);
        else if (ga.fresh) pass(assign, add);
        else if (gb.fresh) pass(add, assign);
        else pass(add, add);
      } else if (ga.data) {
        if (ga.fresh) pass(assign, nullptr);
        else pass(add, nullptr);
      } else if (gb.data) {
        if (gb.fresh) pass(nullptr, assign);
        else pass(nullptr, add);
      }
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  check_same_shape("sub", a, b);
  Tensor y = Tensor::empty(a.shape());  // every element written below
  const float *pa = a.data(), *pb = b.data();
  float* py = y.data();
  const int64_t n = y.size();
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = pa[i] - pb[i];
  if (needs_grad(a, b))
    y.set_backward("sub", {a, b}, [](std::span<const Tensor> in, const float* g) {
      Tensor a = in[0], b = in[1];
      const int64_t n = a.size();
      if (a.requires_grad()) {
        float* ga = a.grad_data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int64_t i = 0; i < n; ++i) ga[i] += g[i];
      }
      if (b.requires_grad()) {
        float* gb = b.grad_data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int64_t i = 0; i < n; ++i) gb[i] -= g[i];
      }
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_same_shape("mul", a, b);
  Tensor y = Tensor::empty(a.shape());  // every element written below
  const float *pa = a.data(), *pb = b.data();
  float* py = y.data();
  const int64_t n = y.size();
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = pa[i] * pb[i];
  if (needs_grad(a, b))
    y.set_backward("mul", {a, b}, [](std::span<const Tensor> in, const float* g) {
      Tensor a = in[0], b = in[1];
      const float *pa = a.data(), *pb = b.data();
      const int64_t n = a.size();
      if (a.requires_grad()) {
        float* ga = a.grad_data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int64_t i = 0; i < n; ++i) ga[i] += g[i] * pb[i];
      }
      if (b.requires_grad()) {
        float* gb = b.grad_data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int64_t i = 0; i < n; ++i) gb[i] += g[i] * pa[i];
      }
    });
  return y;
}

// ---- scalar ops ----

Tensor add_scalar(const Tensor& x, float s) {
  check_defined("add_scalar", x, "input");
  Tensor y(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < y.size(); ++i) py[i] = px[i] + s;
  if (needs_grad(x))
    y.set_backward("add_scalar", {x}, [](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      float* gx = x.grad_data();
      for (int64_t i = 0; i < x.size(); ++i) gx[i] += g[i];
    });
  return y;
}

Tensor mul_scalar(const Tensor& x, float s) {
  check_defined("mul_scalar", x, "input");
  Tensor y(x.shape());
  const float* px = x.data();
  float* py = y.data();
  for (int64_t i = 0; i < y.size(); ++i) py[i] = px[i] * s;
  if (needs_grad(x))
    y.set_backward("mul_scalar", {x}, [s](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      float* gx = x.grad_data();
      for (int64_t i = 0; i < x.size(); ++i) gx[i] += g[i] * s;
    });
  return y;
}

// ---- reductions: summed sequentially in double, so the result does not depend on the thread count ----

Tensor sum(const Tensor& x) {
  check_defined("sum", x, "input");
  double total = 0;
  const float* px = x.data();
  for (int64_t i = 0; i < x.size(); ++i) total += px[i];
  Tensor y = Tensor::scalar(static_cast<float>(total));
  if (needs_grad(x))
    y.set_backward("sum", {x}, [](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      float* gx = x.grad_data();
      for (int64_t i = 0; i < x.size(); ++i) gx[i] += g[0];
    });
  return y;
}

Tensor mean(const Tensor& x) {
  check_defined("mean", x, "input");
  if (x.size() == 0) throw Error("mean: input " + shape_of(x) + " has no elements");
  double total = 0;
  const float* px = x.data();
  for (int64_t i = 0; i < x.size(); ++i) total += px[i];
  const double n = static_cast<double>(x.size());
  Tensor y = Tensor::scalar(static_cast<float>(total / n));
  if (needs_grad(x))
    y.set_backward("mean", {x}, [n](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      float* gx = x.grad_data();
      const float scale = static_cast<float>(g[0] / n);
      for (int64_t i = 0; i < x.size(); ++i) gx[i] += scale;
    });
  return y;
}

// ---- reshape and flatten: views over the same data; the gradient is copied back unchanged ----

namespace {
Tensor reshape_as(const char* op, const Tensor& x, Shape shape) {
  Tensor y = x.view(std::move(shape));
  if (needs_grad(x))
    y.set_backward(op, {x}, [](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      add_into(x.grad_buffer(), g, x.size());
    });
  return y;
}
}  // namespace

Tensor reshape(const Tensor& x, Shape shape) {
  check_defined("reshape", x, "input");
  // One dimension may be -1: it takes whatever the element count leaves, as in Keras' Reshape.
  int64_t known = 1;
  int free_axis = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && free_axis < 0) {
      free_axis = static_cast<int>(i);
    } else if (shape[i] < 0) {
      throw Error("reshape: cannot reshape " + shape_of(x) + " to " + to_string(shape) +
                  ": dimensions must be >= 0, with at most one -1");
    } else {
      known *= shape[i];
    }
  }
  if (free_axis >= 0) {
    if (known == 0 || x.size() % known != 0)
      throw Error("reshape: cannot reshape " + shape_of(x) + " to " + to_string(shape) + ": " +
                  std::to_string(x.size()) + " elements do not divide evenly");
    shape[static_cast<size_t>(free_axis)] = x.size() / known;
  }
  if (numel(shape) != x.size())
    throw Error("reshape: cannot reshape " + shape_of(x) + " to " + to_string(shape) + ": element counts differ (" +
                std::to_string(x.size()) + " vs " + std::to_string(numel(shape)) + ")");
  return reshape_as("reshape", x, std::move(shape));
}

Tensor flatten(const Tensor& x) {
  check_defined("flatten", x, "input");
  if (x.rank() == 0) throw Error("flatten: input () has no batch axis");
  const int64_t n = x.dim(0);
  const int64_t rest = n == 0 ? numel(Shape(x.shape().begin() + 1, x.shape().end())) : x.size() / n;
  return reshape_as("flatten", x, {n, rest});
}

}  // namespace elucid::ops
