// Image augmentations (core/ops/augment.cpp) against direct-loop double references, the same bits at 1 and 2
// threads, and bad arguments.
#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>
#include <array>
#include <cmath>

using namespace elucid;
using grad_check::Vec;
using test::run_at;
using test::same_bits;

namespace {
// Alternating flags for n samples: 0, 1, 0, 1, ... (or 1, 0, ... with `first` 1).
std::vector<uint8_t> alternate(int64_t n, uint8_t first) {
  std::vector<uint8_t> f(static_cast<size_t>(n));
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<uint8_t>((i + first) % 2);
  return f;
}
}  // namespace

GRAD_TEST("flip2d", "each of the four orientations, batch 4", "[ops][augment]") {
  Tensor x = grad_check::random_tensor({4, 3, 2, 2}, 1);
  const std::vector<uint8_t> fw{0, 1, 0, 1}, fh{0, 0, 1, 1};
  auto op = [&](const std::vector<Tensor>& in) { return ops::flip2d(in[0], fw, fh); };
  grad_check::check_gradients("flip2d", {x}, op, [&](const std::vector<Vec>& in) {
    Vec y;
    for (int64_t s = 0; s < 4; ++s)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 2; ++j)
          for (int64_t c = 0; c < 2; ++c) {
            const int64_t si = fh[s] ? 2 - i : i, sj = fw[s] ? 1 - j : j;
            y.push_back(in[0][((s * 3 + si) * 2 + sj) * 2 + c]);
          }
    return y;
  });
}

TEST_CASE("flip2d is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][augment][threads]") {
  auto op = [](const Tensor& x) { return ops::flip2d(x, alternate(16, 0), alternate(16, 1)); };
  const auto one = run_at(1, {16, 20, 20, 8}, op), two = run_at(2, {16, 20, 20, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::flip2d(Tensor({4, 4, 1}), {}, {}), "flip2d: input (4, 4, 1) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::flip2d(Tensor({2, 4, 4, 1}), {1}, {0, 1}),
                    "flip2d: 1 left-right flags for input (2, 4, 4, 1), expected one per sample");
}

namespace {
// y[s, p, c] = clip((x[s, p, c] - mean[s, c]) * f[s] + mean[s, c], low, high), the mean over the H W pixels p.
grad_check::RefFn contrast_ref(const Shape& x, std::vector<float> f, double low, double high) {
  return [=](const std::vector<Vec>& in) {
    const int64_t n = x[0], hw = x[1] * x[2], c = x[3];
    Vec y(in[0].size());
    for (int64_t s = 0; s < n; ++s)
      for (int64_t ch = 0; ch < c; ++ch) {
        double mean = 0;
        for (int64_t p = 0; p < hw; ++p) mean += in[0][(s * hw + p) * c + ch];
        mean /= static_cast<double>(hw);
        for (int64_t p = 0; p < hw; ++p) {
          const size_t k = static_cast<size_t>((s * hw + p) * c + ch);
          y[k] = std::clamp((in[0][k] - mean) * f[static_cast<size_t>(s)] + mean, low, high);
        }
      }
    return y;
  };
}
}  // namespace

GRAD_TEST("adjust_contrast", "factors below and above 1, some values clipped, batch 3", "[ops][augment]") {
  Tensor x = grad_check::random_tensor({3, 3, 4, 2}, 2);
  const std::vector<float> f{0.5f, 1.0f, 1.75f};
  for (const auto& range : {std::pair{-10.0f, 10.0f}, std::pair{-0.8f, 0.9f}}) {
    const float low = range.first, high = range.second;  // named, not bound: clang 14 lambdas cannot capture bindings
    INFO("value range " << low << ", " << high);
    auto op = [&](const std::vector<Tensor>& in) { return ops::adjust_contrast(in[0], f, low, high); };
    grad_check::check_gradients("adjust_contrast", {x}, op, contrast_ref({3, 3, 4, 2}, f, low, high));
  }
}

TEST_CASE("adjust_contrast is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][augment][threads]") {
  std::vector<float> f(16);
  for (size_t i = 0; i < f.size(); ++i) f[i] = 0.5f + 0.1f * static_cast<float>(i);
  auto op = [&](const Tensor& x) { return ops::adjust_contrast(x, f, -0.9f, 0.9f); };
  const auto one = run_at(1, {16, 20, 20, 8}, op), two = run_at(2, {16, 20, 20, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::adjust_contrast(Tensor({2, 4, 4, 1}), {1}, 0, 1),
                    "adjust_contrast: 1 factors for input (2, 4, 4, 1), expected one per sample");
  CHECK_THROWS_WITH(ops::adjust_contrast(Tensor({1, 4, 4, 1}), {1}, 1, 0),
                    Catch::Contains("adjust_contrast: value range [1.000000, 0.000000] is empty"));
}

GRAD_TEST("crop2d_each", "a window per sample, one at a corner, batch 3", "[ops][augment]") {
  Tensor x = grad_check::random_tensor({3, 4, 5, 2}, 3);
  const std::vector<int64_t> tops{0, 2, 1}, lefts{3, 0, 1};
  auto op = [&](const std::vector<Tensor>& in) { return ops::crop2d_each(in[0], 2, 2, tops, lefts); };
  CHECK(op({x}).shape() == Shape{3, 2, 2, 2});
  grad_check::check_gradients("crop2d_each", {x}, op, [&](const std::vector<Vec>& in) {
    Vec y;
    for (int64_t s = 0; s < 3; ++s)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j)
          for (int64_t c = 0; c < 2; ++c) y.push_back(in[0][((s * 4 + tops[s] + i) * 5 + lefts[s] + j) * 2 + c]);
    return y;
  });
}

TEST_CASE("crop2d_each is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][augment][threads]") {
  std::vector<int64_t> tops(16), lefts(16);
  for (size_t i = 0; i < 16; ++i) tops[i] = static_cast<int64_t>(i % 5), lefts[i] = static_cast<int64_t>(i % 3);
  auto op = [&](const Tensor& x) { return ops::crop2d_each(x, 16, 18, tops, lefts); };
  const auto one = run_at(1, {16, 20, 20, 8}, op), two = run_at(2, {16, 20, 20, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::crop2d_each(Tensor({2, 4, 4, 1}), 2, 2, {0, 3}, {0, 0}),
                    "crop2d_each: a (2, 2) window at (3, 0) is not inside sample 1 of input (2, 4, 4, 1)");
  CHECK_THROWS_WITH(ops::crop2d_each(Tensor({2, 4, 4, 1}), 2, 2, {0}, {0, 0}),
                    "crop2d_each: 1 tops for input (2, 4, 4, 1), expected one per sample");
}

namespace {
// tf.image.resize's bilinear with half-pixel centers, in double: source position (o + 0.5) * in / out - 0.5.
grad_check::RefFn resize_ref(const Shape& x, int64_t oh, int64_t ow) {
  return [=](const std::vector<Vec>& in) {
    const int64_t n = x[0], h = x[1], w = x[2], c = x[3];
    auto tap = [](int64_t o, int64_t size, int64_t out, int64_t& lo, int64_t& hi) {
      const double pos = (static_cast<double>(o) + 0.5) * static_cast<double>(size) / static_cast<double>(out) - 0.5;
      const double f = std::floor(pos);
      lo = std::clamp<int64_t>(static_cast<int64_t>(f), 0, size - 1);
      hi = std::clamp<int64_t>(static_cast<int64_t>(f) + 1, 0, size - 1);
      return pos - f;
    };
    Vec y;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          for (int64_t ch = 0; ch < c; ++ch) {
            int64_t i0, i1, j0, j1;
            const double a = tap(i, h, oh, i0, i1), b = tap(j, w, ow, j0, j1);
            auto at = [&](int64_t r, int64_t q) { return in[0][((s * h + r) * w + q) * c + ch]; };
            y.push_back((1 - a) * ((1 - b) * at(i0, j0) + b * at(i0, j1)) + a * ((1 - b) * at(i1, j0) + b * at(i1, j1)));
          }
    return y;
  };
}
}  // namespace

GRAD_TEST("resize_bilinear", "down (5, 7) -> (3, 4) and up (2, 3) -> (5, 4), batch 2", "[ops][augment]") {
  Tensor down = grad_check::random_tensor({2, 5, 7, 2}, 4), up = grad_check::random_tensor({2, 2, 3, 2}, 5);
  grad_check::check_gradients(
      "resize_bilinear", {down}, [](const std::vector<Tensor>& in) { return ops::resize_bilinear(in[0], 3, 4); },
      resize_ref({2, 5, 7, 2}, 3, 4));
  grad_check::check_gradients(
      "resize_bilinear", {up}, [](const std::vector<Tensor>& in) { return ops::resize_bilinear(in[0], 5, 4); },
      resize_ref({2, 2, 3, 2}, 5, 4));
}

// UpSampling2D's bilinear: an integer factor, so output row i reads input row (i + 0.5) / size - 0.5, clamped.
GRAD_TEST("resize_bilinear", "integer enlargements (2, 3) -> (4, 9) and (3, 2) -> (9, 2), as UpSampling2D",
          "[ops][augment]") {
  Tensor x = grad_check::random_tensor({2, 2, 3, 3}, 6), tall = grad_check::random_tensor({1, 3, 2, 2}, 7);
  grad_check::check_gradients(
      "resize_bilinear", {x}, [](const std::vector<Tensor>& in) { return ops::resize_bilinear(in[0], 4, 9); },
      resize_ref({2, 2, 3, 3}, 4, 9));
  grad_check::check_gradients(
      "resize_bilinear", {tall}, [](const std::vector<Tensor>& in) { return ops::resize_bilinear(in[0], 9, 2); },
      resize_ref({1, 3, 2, 2}, 9, 2));
}

TEST_CASE("resize_bilinear is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][augment][threads]") {
  auto op = [](const Tensor& x) { return ops::resize_bilinear(x, 13, 27); };
  const auto one = run_at(1, {16, 20, 20, 8}, op), two = run_at(2, {16, 20, 20, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::resize_bilinear(Tensor({1, 4, 4, 1}), 0, 2), "resize_bilinear: size (0, 2) must be >= 1");
}

namespace {
// Keras' affine_transform in double, written from its NumPy backend: the input padded by the fill mode (reflect:
// numpy "symmetric"), then map_coordinates of order 1 (bilinear) or 0 (nearest, half up).
grad_check::RefFn affine_ref(const Shape& x, std::vector<std::array<float, 8>> t, ops::AffineOptions o) {
  return [=](const std::vector<Vec>& in) {
    const int64_t n = x[0], h = x[1], w = x[2], c = x[3];
    auto index = [&](int64_t i, int64_t size) -> int64_t {  // -1: the fill value
      if (i >= 0 && i < size) return i;
      if (o.fill_mode == "constant") return -1;
      if (o.fill_mode == "nearest") return i < 0 ? 0 : size - 1;
      if (o.fill_mode == "wrap") return ((i % size) + size) % size;
      while (i < 0 || i >= size) i = i < 0 ? -1 - i : 2 * size - 1 - i;  // mirror about the edges, again if need be
      return i;
    };
    Vec y;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j)
          for (int64_t ch = 0; ch < c; ++ch) {
            const auto& a = t[static_cast<size_t>(s)];
            const double k = a[6] * j + a[7] * i + 1, row = (a[3] * j + a[4] * i + a[5]) / k;
            const double col = (a[0] * j + a[1] * i + a[2]) / k;
            auto at = [&](double r, double q) {
              const int64_t ri = index(static_cast<int64_t>(r), h), qi = index(static_cast<int64_t>(q), w);
              return ri < 0 || qi < 0 ? static_cast<double>(o.fill_value) : in[0][((s * h + ri) * w + qi) * c + ch];
            };
            if (o.interpolation == "nearest") {
              y.push_back(at(std::floor(row + 0.5), std::floor(col + 0.5)));
              continue;
            }
            const double r0 = std::floor(row), q0 = std::floor(col), dr = row - r0, dq = col - q0;
            y.push_back((1 - dr) * ((1 - dq) * at(r0, q0) + dq * at(r0, q0 + 1)) +
                        dr * ((1 - dq) * at(r0 + 1, q0) + dq * at(r0 + 1, q0 + 1)));
          }
    return y;
  };
}
}  // namespace

GRAD_TEST("affine_transform2d", "shifts, a rotation and a zoom under each fill mode and interpolation", "[ops][augment]") {
  Tensor x = grad_check::random_tensor({3, 4, 5, 2}, 6);
  // Sample 0 shifted by (1.3, -2.6) cells, sample 1 turned by 0.4 radians about its center, sample 2 zoomed by 0.7
  // and shifted past the edge (beyond one image width, so reflect mirrors twice).
  const float cs = std::cos(0.4f), sn = std::sin(0.4f);
  const std::vector<std::array<float, 8>> t{{1, 0, 2.6f, 0, 1, -1.3f, 0, 0},
                                            {cs, -sn, 2 - 2 * cs + 1.5f * sn, sn, cs, 1.5f - 2 * sn - 1.5f * cs, 0, 0},
                                            {0.7f, 0, 6.2f, 0, 0.7f, -0.45f, 0, 0}};
  for (const char* fill : {"reflect", "wrap", "nearest", "constant"})
    for (const char* interpolation : {"bilinear", "nearest"}) {
      const ops::AffineOptions o{interpolation, fill, 0.5f};
      INFO(fill << ", " << interpolation);
      grad_check::check_gradients(
          "affine_transform2d", {x}, [&](const std::vector<Tensor>& in) { return ops::affine_transform2d(in[0], t, o); },
          affine_ref({3, 4, 5, 2}, t, o));
    }
}

TEST_CASE("affine_transform2d is bit-identical at 1 and 2 threads, and refuses bad arguments", "[ops][augment][threads]") {
  std::vector<std::array<float, 8>> t(16);
  for (size_t i = 0; i < t.size(); ++i) t[i] = {1, 0, 0.3f * static_cast<float>(i), 0, 1, -0.7f * static_cast<float>(i), 0, 0};
  auto op = [&](const Tensor& x) { return ops::affine_transform2d(x, t, {}); };
  const auto one = run_at(1, {16, 20, 20, 8}, op), two = run_at(2, {16, 20, 20, 8}, op);
  CHECK(same_bits(one.first, two.first));
  CHECK(same_bits(one.second, two.second));
  CHECK_THROWS_WITH(ops::affine_transform2d(Tensor({1, 4, 4, 1}), {{}}, {.fill_mode = "mirror"}),
                    "affine_transform2d: fill_mode \"mirror\" is not one of reflect, wrap, nearest, constant");
  CHECK_THROWS_WITH(ops::affine_transform2d(Tensor({2, 4, 4, 1}), {{}}, {}),
                    "affine_transform2d: 1 transforms for input (2, 4, 4, 1), expected one per sample");
}
