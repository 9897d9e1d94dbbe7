// Pooling (core/ops/pool.cpp, core/kernels/pool.cpp) against direct-loop double references: max-pooling on inputs
// without ties, strides defaulting to the pool size, floor rounding, same padding; average pooling over valid cells.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace elucid;
using grad_check::Vec;

namespace {
struct PoolCase {
  Shape x;  // (N, H, W, C)
  ops::Pool2DArgs args;
};

ops::Pool2DArgs pool_args(int ph, int pw, int sh = 0, int sw = 0, ops::Padding p = ops::Padding::Valid) {
  ops::Pool2DArgs a;
  a.pool_h = ph;
  a.pool_w = pw;
  a.stride_h = sh;
  a.stride_w = sw;
  a.padding = p;
  return a;
}

// Window rows of output o along an axis: [o * s - pad, o * s - pad + k) clipped to [0, in).
struct Axis {
  int64_t out, pad, k, s;
};
Axis axis(int64_t in, int k, int s, ops::Padding p) {
  if (s == 0) s = k;
  if (p == ops::Padding::Valid) return {(in - k) / s + 1, 0, k, s};
  const int64_t out = (in + s - 1) / s;
  return {out, std::max<int64_t>((out - 1) * s + k - in, 0) / 2, k, s};
}

// max or mean over each window's cells inside the image.
grad_check::RefFn pool_ref(const PoolCase& pc, bool max) {
  return [pc, max](const std::vector<Vec>& in) {
    const int64_t n = pc.x[0], h = pc.x[1], w = pc.x[2], c = pc.x[3];
    const Axis ah = axis(h, pc.args.pool_h, pc.args.stride_h, pc.args.padding);
    const Axis aw = axis(w, pc.args.pool_w, pc.args.stride_w, pc.args.padding);
    Vec y;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t oh = 0; oh < ah.out; ++oh)
        for (int64_t ow = 0; ow < aw.out; ++ow)
          for (int64_t ch = 0; ch < c; ++ch) {
            double best = -std::numeric_limits<double>::infinity(), total = 0;
            int count = 0;
            for (int64_t ih = oh * ah.s - ah.pad; ih < oh * ah.s - ah.pad + ah.k; ++ih)
              for (int64_t iw = ow * aw.s - aw.pad; iw < ow * aw.s - aw.pad + aw.k; ++iw) {
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                const double v = in[0][((s * h + ih) * w + iw) * c + ch];
                best = std::max(best, v);
                total += v;
                ++count;
              }
            y.push_back(max ? best : total / count);
          }
    return y;
  };
}

void check_pool(const char* name, const PoolCase& pc, Shape want_out) {
  INFO(name << " x " << to_string(pc.x) << " pool (" << pc.args.pool_h << ", " << pc.args.pool_w << ") strides ("
            << pc.args.stride_h << ", " << pc.args.stride_w << ") "
            << (pc.args.padding == ops::Padding::Same ? "same" : "valid"));
  const bool max = std::string(name) == "max_pool2d";
  const ops::Pool2DArgs args = pc.args;
  auto op = [args, max](const std::vector<Tensor>& in) {
    return max ? ops::max_pool2d(in[0], args) : ops::avg_pool2d(in[0], args);
  };
  // Distinct values spaced 2/numel apart: the finite-difference step (1e-6) never reorders a window.
  Tensor x = grad_check::distinct_tensor(pc.x, 70);
  CHECK(op({x}).shape() == want_out);
  grad_check::check_gradients(name, {x}, op, pool_ref(pc, max));
}
constexpr auto kSame = ops::Padding::Same;
}  // namespace

GRAD_TEST("max_pool2d", "2x2 with default strides, batch 1, odd size (floor rounding)", "[ops][pool]") {
  check_pool("max_pool2d", {{1, 4, 4, 2}, pool_args(2, 2)}, {1, 2, 2, 2});
  check_pool("max_pool2d", {{2, 5, 7, 3}, pool_args(2, 2)}, {2, 2, 3, 3});
  check_pool("max_pool2d", {{2, 6, 4, 20}, pool_args(2, 2)}, {2, 3, 2, 20});  // channels past a vector's width
}

TEST_CASE("max_pool2d sends a tied window's gradient to its first cell, a NaN cell never wins", "[ops][pool]") {
  // 2x2 windows at stride 2 (the fast path) and 3x3 at stride 3 (the general one) must agree on ties.
  for (const int64_t size : {2, 3}) {
    INFO("pool " << size);
    Tensor x(Shape{1, 2 * size, 2 * size, 17}, 1.0f);
    x.data()[17] = std::nanf("");  // row 0, column 1, channel 0, in window (0, 0): not its maximum
    x.set_requires_grad();
    ops::sum(ops::max_pool2d(x, pool_args(size, size, size, size))).backward();
    const Tensor g = x.grad();
    for (int64_t i = 0; i < 2 * size; ++i)
      for (int64_t j = 0; j < 2 * size; ++j)
        for (int64_t c = 0; c < 17; ++c) {
          const bool first = i % size == 0 && j % size == 0;
          INFO(i << ", " << j << ", " << c);
          CHECK(g.at({0, i, j, c}) == (first ? 1.0f : 0.0f));
        }
  }
}

GRAD_TEST("max_pool2d", "3x3 stride 2 overlapping, and same padding", "[ops][pool]") {
  check_pool("max_pool2d", {{2, 7, 6, 2}, pool_args(3, 3, 2, 2)}, {2, 3, 2, 2});
  check_pool("max_pool2d", {{1, 5, 5, 2}, pool_args(2, 2, 2, 2, kSame)}, {1, 3, 3, 2});
  check_pool("max_pool2d", {{2, 5, 4, 1}, pool_args(3, 3, 1, 1, kSame)}, {2, 5, 4, 1});
}

GRAD_TEST("avg_pool2d", "valid, and same padding averaging over valid cells only", "[ops][pool]") {
  check_pool("avg_pool2d", {{2, 5, 7, 3}, pool_args(2, 2)}, {2, 2, 3, 3});
  check_pool("avg_pool2d", {{1, 5, 5, 2}, pool_args(2, 2, 2, 2, kSame)}, {1, 3, 3, 2});
  check_pool("avg_pool2d", {{2, 4, 5, 1}, pool_args(3, 2, 1, 2, kSame)}, {2, 4, 3, 1});
}

GRAD_TEST("global_avg_pool2d", "batch 1 and (3, 4, 5, 2)", "[ops][pool]") {
  for (const Shape& s : {Shape{1, 3, 3, 4}, Shape{3, 4, 5, 2}}) {
    grad_check::check_gradients(
        "global_avg_pool2d", {grad_check::random_tensor(s, 71)},
        [](const std::vector<Tensor>& in) { return ops::global_avg_pool2d(in[0]); },
        [s](const std::vector<Vec>& in) {
          const int64_t n = s[0], hw = s[1] * s[2], c = s[3];
          Vec y(static_cast<size_t>(n * c), 0.0);
          for (int64_t i = 0; i < n; ++i)
            for (int64_t p = 0; p < hw; ++p)
              for (int64_t ch = 0; ch < c; ++ch) y[i * c + ch] += in[0][(i * hw + p) * c + ch] / hw;
          return y;
        });
  }
}

TEST_CASE("avg_pool2d with same padding divides by the valid cells only (Keras)", "[ops][pool]") {
  // 3x3 image, 2x2 pool, stride 2, same: the bottom-right output covers the single cell x[2, 2].
  Tensor x({1, 3, 3, 1}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor y = ops::avg_pool2d(x, pool_args(2, 2, 2, 2, kSame));
  CHECK(y.shape() == Shape{1, 2, 2, 1});
  CHECK(y.at({0, 0, 0, 0}) == 3.0f);  // (1 + 2 + 4 + 5) / 4
  CHECK(y.at({0, 0, 1, 0}) == 4.5f);  // (3 + 6) / 2
  CHECK(y.at({0, 1, 1, 0}) == 9.0f);
}

TEST_CASE("pooling rejects bad inputs naming the op and the shape", "[ops][pool]") {
  CHECK_THROWS_WITH(ops::max_pool2d(Tensor({1, 1, 3, 2}), pool_args(2, 2)),
                    "max_pool2d: input (1, 1, 3, 2) is smaller than the pool size (2, 2) with valid padding");
  CHECK_THROWS_WITH(ops::avg_pool2d(Tensor({4, 4, 2}), pool_args(2, 2)),
                    "avg_pool2d: input (4, 4, 2) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::max_pool2d(Tensor({4, 4, 2}), pool_args(2, 2)),
                    "max_pool2d: input (4, 4, 2) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::max_pool2d(Tensor(), pool_args(2, 2)), "max_pool2d: input is undefined");
  CHECK_THROWS_WITH(ops::avg_pool2d(Tensor(), pool_args(2, 2)), "avg_pool2d: input is undefined");
  CHECK_THROWS_WITH(ops::max_pool2d(Tensor({1, 4, 4, 1}), pool_args(0, 2)),
                    "max_pool2d: pool size (0, 2) and strides (0, 2) must be >= 1");
  CHECK_THROWS_WITH(ops::global_avg_pool2d(Tensor({2, 0, 3, 1})), "global_avg_pool2d: input (2, 0, 3, 1) has no pixels");
}
