// Image margins and resizing (core/ops/resize.cpp) against direct-loop double references, the same bits at 1 and 2
// threads, and bad arguments.
#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>

#include <cstring>

using namespace elucid;
using grad_check::Vec;
using test::run_at;
using test::same_bits;

namespace {
// y (N, OH, OW, C) from x (N, H, W, C): y[s, i, j, c] = x[s, i - top, j - left, c] inside x, else 0.
grad_check::RefFn shifted_ref(const Shape& x, int64_t oh, int64_t ow, int64_t top, int64_t left) {
  return [=](const std::vector<Vec>& in) {
    const int64_t n = x[0], h = x[1], w = x[2], c = x[3];
    Vec y;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          for (int64_t ch = 0; ch < c; ++ch) {
            const int64_t si = i - top, sj = j - left;
            const bool inside = si >= 0 && si < h && sj >= 0 && sj < w;
            y.push_back(inside ? in[0][((s * h + si) * w + sj) * c + ch] : 0.0);
          }
    return y;
  };
}
}  // namespace

GRAD_TEST("zero_pad2d", "uneven sides, one side zero, batch 2", "[ops][resize]") {
  Tensor x = grad_check::random_tensor({2, 3, 4, 2}, 1);
  const ops::Margins2D pad{1, 2, 0, 3};
  auto op = [pad](const std::vector<Tensor>& in) { return ops::zero_pad2d(in[0], pad); };
  CHECK(op({x}).shape() == Shape{2, 6, 7, 2});
  grad_check::check_gradients("zero_pad2d", {x}, op, shifted_ref({2, 3, 4, 2}, 6, 7, 1, 0));
  const ops::Margins2D none{};
  grad_check::check_gradients(
      "zero_pad2d", {x}, [none](const std::vector<Tensor>& in) { return ops::zero_pad2d(in[0], none); },
      shifted_ref({2, 3, 4, 2}, 3, 4, 0, 0));
}

TEST_CASE("zero_pad2d is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][resize][threads]") {
  auto op = [](const Tensor& x) { return ops::zero_pad2d(x, {2, 1, 3, 0}); };
  const auto one = run_at(1, {16, 20, 20, 8}, op), two = run_at(2, {16, 20, 20, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::zero_pad2d(Tensor({4, 4, 1}), {}), "zero_pad2d: input (4, 4, 1) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::zero_pad2d(Tensor({1, 4, 4, 1}), {1, -1, 0, 0}),
                    "zero_pad2d: padding ((1, -1), (0, 0)) must be >= 0");
}

GRAD_TEST("crop2d", "uneven sides, one side zero, batch 2", "[ops][resize]") {
  Tensor x = grad_check::random_tensor({2, 6, 7, 2}, 2);
  const ops::Margins2D crop{1, 2, 0, 3};
  auto op = [crop](const std::vector<Tensor>& in) { return ops::crop2d(in[0], crop); };
  CHECK(op({x}).shape() == Shape{2, 3, 4, 2});
  // y[i, j] = x[i + top, j + left]: the shifted reference with a negative offset.
  grad_check::check_gradients("crop2d", {x}, op, shifted_ref({2, 6, 7, 2}, 3, 4, -1, 0));
  const ops::Margins2D none{};
  grad_check::check_gradients(
      "crop2d", {x}, [none](const std::vector<Tensor>& in) { return ops::crop2d(in[0], none); },
      shifted_ref({2, 6, 7, 2}, 6, 7, 0, 0));
}

TEST_CASE("crop2d is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][resize][threads]") {
  auto op = [](const Tensor& x) { return ops::crop2d(x, {2, 1, 3, 0}); };
  const auto one = run_at(1, {16, 24, 24, 8}, op), two = run_at(2, {16, 24, 24, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::crop2d(Tensor({4, 4, 1}), {}), "crop2d: input (4, 4, 1) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::crop2d(Tensor({1, 4, 4, 1}), {0, 0, -1, 0}), "crop2d: cropping ((0, 0), (-1, 0)) must be >= 0");
  CHECK_THROWS_WITH(ops::crop2d(Tensor({1, 4, 4, 1}), {2, 2, 0, 0}),
                    "crop2d: cropping ((2, 2), (0, 0)) leaves nothing of input (1, 4, 4, 1)");
}

namespace {
// y[s, i, j, c] = x[s, i / sh, j / sw, c].
grad_check::RefFn upsample_ref(const Shape& x, int64_t sh, int64_t sw) {
  return [=](const std::vector<Vec>& in) {
    const int64_t n = x[0], h = x[1], w = x[2], c = x[3];
    Vec y;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < h * sh; ++i)
        for (int64_t j = 0; j < w * sw; ++j)
          for (int64_t ch = 0; ch < c; ++ch) y.push_back(in[0][((s * h + i / sh) * w + j / sw) * c + ch]);
    return y;
  };
}
}  // namespace

GRAD_TEST("upsample2d_nearest", "size (2, 3) and (1, 1), batch 2", "[ops][resize]") {
  Tensor x = grad_check::random_tensor({2, 3, 2, 3}, 3);
  auto op = [](const std::vector<Tensor>& in) { return ops::upsample2d_nearest(in[0], 2, 3); };
  CHECK(op({x}).shape() == Shape{2, 6, 6, 3});
  grad_check::check_gradients("upsample2d_nearest", {x}, op, upsample_ref({2, 3, 2, 3}, 2, 3));
  grad_check::check_gradients(
      "upsample2d_nearest", {x}, [](const std::vector<Tensor>& in) { return ops::upsample2d_nearest(in[0], 1, 1); },
      upsample_ref({2, 3, 2, 3}, 1, 1));
}

TEST_CASE("upsample2d_nearest is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][resize][threads]") {
  auto op = [](const Tensor& x) { return ops::upsample2d_nearest(x, 3, 2); };
  const auto one = run_at(1, {16, 12, 12, 8}, op), two = run_at(2, {16, 12, 12, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::upsample2d_nearest(Tensor({4, 4, 1}), 2, 2),
                    "upsample2d_nearest: input (4, 4, 1) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::upsample2d_nearest(Tensor({1, 4, 4, 1}), 0, 2), "upsample2d_nearest: size (0, 2) must be >= 1");
}
