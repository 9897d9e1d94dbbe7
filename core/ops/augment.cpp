// Image augmentations over (N, H, W, C), each sample with its own parameters (drawn by the layer): flip2d,
// adjust_contrast, crop2d_each, affine_transform2d; and resize_bilinear, which RandomCrop uses at inference. Each backward sits right under its forward. Samples are independent, so a loop over samples (or
// rows) splits over threads with no two iterations writing the same value: the same bits at any thread count.
#include <elucid/core/ops.hpp>

#include <elucid/core/bilinear.hpp>
#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace elucid::ops {

using detail::check_rank;
using detail::shape_of;

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // values touched; fewer stay on the calling thread

void check_per_sample(const char* op, const Tensor& x, size_t count, const char* what) {
  if (count != static_cast<size_t>(x.dim(0)))
    throw Error(std::string(op) + ": " + std::to_string(count) + " " + what + " for input " + shape_of(x) +
                ", expected one per sample");
}
}  // namespace

// ---- flip2d: y[s, i, j] = x[s, i', j'], i' = H-1-i when sample s flips top-bottom, j' likewise left-right ----
// A permutation, its own inverse: x's gradient is the same flip of y's.

Tensor flip2d(const Tensor& x, const std::vector<uint8_t>& flip_w, const std::vector<uint8_t>& flip_h) {
  check_rank("flip2d", x, 4, "input", "(N, H, W, C)");
  check_per_sample("flip2d", x, flip_w.size(), "left-right flags");
  check_per_sample("flip2d", x, flip_h.size(), "top-bottom flags");
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  // Calls pixel(to, from) for every pixel of every sample: C values at offset `to` of y come from offset `from` of x.
  auto each_pixel = [=](auto pixel) {
#pragma omp parallel for schedule(static) if (n * h * w * c >= kParallelMin)
    for (int64_t r = 0; r < n * h; ++r) {
      const int64_t s = r / h, i = r % h, si = flip_h[s] ? h - 1 - i : i;
      for (int64_t j = 0; j < w; ++j) {
        const int64_t sj = flip_w[s] ? w - 1 - j : j;
        pixel((r * w + j) * c, ((s * h + si) * w + sj) * c);
      }
    }
  };
  Tensor y = Tensor::empty(x.shape());  // every value written
  const float* px = x.data();
  float* py = y.data();
  each_pixel([&](int64_t to, int64_t from) { std::copy(px + from, px + from + c, py + to); });
  if (needs_grad(x))
    y.set_backward("flip2d", {x}, [each_pixel, c](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const GradBuffer gx = x.grad_buffer();  // every value written once: the flip is a permutation
      each_pixel([&](int64_t to, int64_t from) { add_into({gx.data + from, gx.fresh}, g + to, c); });
    });
  return y;
}

// ---- adjust_contrast: y = clip((x - mean) * f + mean, low, high), mean over the sample's H and W per channel ----
// Unclipped, y_k = f x_k + (1 - f) mean, so dy_k/dx_m = f [k = m] + (1 - f) / (H W) within one sample and channel.
// Clipped values pass no gradient (as tf.clip_by_value: only strictly outside [low, high]).

Tensor adjust_contrast(const Tensor& x, const std::vector<float>& factors, float low, float high) {
  check_rank("adjust_contrast", x, 4, "input", "(N, H, W, C)");
  check_per_sample("adjust_contrast", x, factors.size(), "factors");
  if (!(low <= high))
    throw Error("adjust_contrast: value range [" + std::to_string(low) + ", " + std::to_string(high) + "] is empty");
  const int64_t n = x.dim(0), hw = x.dim(1) * x.dim(2), c = x.dim(3);
  Tensor y = Tensor::empty(x.shape());  // every value written
  const float* px = x.data();
  float* py = y.data();
  // One sample per iteration; the means summed in double, in pixel order.
#pragma omp parallel for schedule(static) if (x.size() >= kParallelMin)
  for (int64_t s = 0; s < n; ++s) {
    const float* xs = px + s * hw * c;
    float* ys = py + s * hw * c;
    std::vector<double> mean(static_cast<size_t>(c), 0.0);
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t ch = 0; ch < c; ++ch) mean[ch] += xs[p * c + ch];
    const float f = factors[s];
    for (int64_t ch = 0; ch < c; ++ch) {
      const float m = static_cast<float>(mean[ch] / static_cast<double>(hw));
      for (int64_t p = 0; p < hw; ++p) ys[p * c + ch] = (xs[p * c + ch] - m) * f + m;
    }
  }
  // The unclipped values decide which ones pass a gradient; keep them only when needed.
  std::shared_ptr<std::vector<uint8_t>> inside;
  if (needs_grad(x)) inside = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(y.size()));
  for (int64_t i = 0; i < y.size(); ++i) {
    if (inside) (*inside)[i] = py[i] >= low && py[i] <= high;
    py[i] = std::clamp(py[i], low, high);
  }
  if (needs_grad(x))
    y.set_backward("adjust_contrast", {x}, [factors, inside, n, hw, c](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const GradBuffer gx = x.grad_buffer();
#pragma omp parallel for schedule(static) if (n * hw * c >= kParallelMin)
      for (int64_t s = 0; s < n; ++s) {
        const int64_t base = s * hw * c;
        const uint8_t* pass = inside->data() + base;
        std::vector<double> total(static_cast<size_t>(c), 0.0);  // the sum of the passed gradient per channel
        for (int64_t p = 0; p < hw; ++p)
          for (int64_t ch = 0; ch < c; ++ch)
            if (pass[p * c + ch]) total[ch] += g[base + p * c + ch];
        const float f = factors[s];
        for (int64_t ch = 0; ch < c; ++ch) {
          const float spread = static_cast<float>((1.0 - f) * total[ch] / static_cast<double>(hw));
          for (int64_t p = 0; p < hw; ++p) {
            const int64_t k = base + p * c + ch;
            const float v = (pass[p * c + ch] ? f * g[k] : 0.0f) + spread;
            gx.data[k] = gx.fresh ? v : gx.data[k] + v;
          }
        }
      }
    });
  return y;
}

// ---- crop2d_each: y[s] = x[s, tops[s] : tops[s] + height, lefts[s] : lefts[s] + width] ----
// x's gradient is y's inside each sample's window, zero outside.

Tensor crop2d_each(const Tensor& x, int64_t height, int64_t width, const std::vector<int64_t>& tops,
                   const std::vector<int64_t>& lefts) {
  check_rank("crop2d_each", x, 4, "input", "(N, H, W, C)");
  check_per_sample("crop2d_each", x, tops.size(), "tops");
  check_per_sample("crop2d_each", x, lefts.size(), "lefts");
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  for (int64_t s = 0; s < n; ++s)
    if (height < 1 || width < 1 || tops[s] < 0 || lefts[s] < 0 || tops[s] + height > h || lefts[s] + width > w)
      throw Error("crop2d_each: a (" + std::to_string(height) + ", " + std::to_string(width) + ") window at (" +
                  std::to_string(tops[s]) + ", " + std::to_string(lefts[s]) + ") is not inside sample " +
                  std::to_string(s) + " of input " + shape_of(x));
  // Calls row(y_offset, x_offset) for each row of each sample's window: width * c values correspond one to one.
  auto each_row = [=](auto row) {
#pragma omp parallel for schedule(static) if (n * height * width * c >= kParallelMin)
    for (int64_t r = 0; r < n * height; ++r) {
      const int64_t s = r / height, i = r % height;
      row(r * width * c, ((s * h + tops[s] + i) * w + lefts[s]) * c);
    }
  };
  Tensor y = Tensor::empty({n, height, width, c});  // every value written
  const float* px = x.data();
  float* py = y.data();
  const int64_t count = width * c;
  each_row([&](int64_t to, int64_t from) { std::copy(px + from, px + from + count, py + to); });
  if (needs_grad(x))
    y.set_backward("crop2d_each", {x}, [each_row, count](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      GradBuffer gx = x.grad_buffer();
      if (gx.fresh) std::fill(gx.data, gx.data + x.size(), 0.0f);  // outside the windows: no gradient
      each_row([&](int64_t to, int64_t from) { add_into({gx.data + from, false}, g + to, count); });
    });
  return y;
}

// ---- resize_bilinear: as tf.image.resize(method="bilinear", antialias=False), the taps of core/bilinear.hpp ----
// x's gradient spreads each output value back over its four inputs with the same weights, one sample per iteration.

Tensor resize_bilinear(const Tensor& x, int64_t height, int64_t width) {
  check_rank("resize_bilinear", x, 4, "input", "(N, H, W, C)");
  if (height < 1 || width < 1)
    throw Error("resize_bilinear: size (" + std::to_string(height) + ", " + std::to_string(width) + ") must be >= 1");
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  using Taps = std::vector<BilinearTap>;
  auto rows = std::make_shared<const Taps>(bilinear_taps(h, height));
  auto cols = std::make_shared<const Taps>(bilinear_taps(w, width));
  // Calls tap(output offset, input offset, weight) for the four taps of every output value of sample s, in order.
  auto each_tap = [=](int64_t s, auto tap) {
    for (int64_t i = 0; i < height; ++i)
      for (int64_t j = 0; j < width; ++j) {
        const BilinearTap& ti = (*rows)[i];
        const BilinearTap& tj = (*cols)[j];
        const float a = ti.weight, b = tj.weight;
        const int64_t out = ((s * height + i) * width + j) * c;
        const int64_t r0 = (s * h + ti.low) * w, r1 = (s * h + ti.high) * w;
        const std::pair<int64_t, float> four[4] = {{(r0 + tj.low) * c, (1 - a) * (1 - b)},
                                                   {(r0 + tj.high) * c, (1 - a) * b},
                                                   {(r1 + tj.low) * c, a * (1 - b)},
                                                   {(r1 + tj.high) * c, a * b}};
        for (const auto& [in, weight] : four)
          for (int64_t ch = 0; ch < c; ++ch) tap(out + ch, in + ch, weight);
      }
  };
  Tensor y({n, height, width, c});  // zeros, summed into
  const float* px = x.data();
  float* py = y.data();
#pragma omp parallel for schedule(static) if (y.size() * 4 >= kParallelMin)
  for (int64_t s = 0; s < n; ++s) each_tap(s, [&](int64_t out, int64_t in, float weight) { py[out] += weight * px[in]; });
  if (needs_grad(x))
    y.set_backward("resize_bilinear", {x}, [each_tap, n](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      GradBuffer gx = x.grad_buffer();
      if (gx.fresh) std::fill(gx.data, gx.data + x.size(), 0.0f);
#pragma omp parallel for schedule(static) if (x.size() >= kParallelMin)
      for (int64_t s = 0; s < n; ++s)
        each_tap(s, [&](int64_t out, int64_t in, float weight) { gx.data[in] += weight * g[out]; });
    });
  return y;
}

// ---- affine_transform2d: y[s, i, j] = x[s] read at the point sample s's transform maps (i, j) to ----
// As Keras' affine_transform (its NumPy backend: the input padded by the fill mode, then map_coordinates). A
// transform [a0, a1, a2, b0, b1, b2, c0, c1] maps output (row i, column j) to the input point (row, column) =
// ((b0 j + b1 i + b2) / k, (a0 j + a1 i + a2) / k), k = c0 j + c1 i + 1. Bilinear reads the four cells around the
// point, nearest the closest one; a cell outside the image is found by the fill mode along each axis: reflect
// (d c b a | a b c d | d c b a), wrap (a b c d | a b c d), nearest (a a | a b c d | d d), or constant (fill_value,
// no gradient). x's gradient spreads each output value back over the cells it read, one sample per iteration.

namespace {
// The index a cell at `i` along an axis of `size` reads after the fill mode; -1 for a constant fill.
int64_t fill_index(int64_t i, int64_t size, char mode) {
  if (i >= 0 && i < size) return i;
  if (mode == 'c') return -1;
  if (mode == 'n') return std::clamp<int64_t>(i, 0, size - 1);
  if (mode == 'w') return (i % size + size) % size;
  const int64_t period = 2 * size, k = (i % period + period) % period;  // reflect
  return k < size ? k : period - 1 - k;
}
}  // namespace

Tensor affine_transform2d(const Tensor& x, const std::vector<std::array<float, 8>>& transforms,
                          const AffineOptions& options) {
  check_rank("affine_transform2d", x, 4, "input", "(N, H, W, C)");
  check_per_sample("affine_transform2d", x, transforms.size(), "transforms");
  const std::string& fill = options.fill_mode;
  if (fill != "reflect" && fill != "wrap" && fill != "nearest" && fill != "constant")
    throw Error("affine_transform2d: fill_mode \"" + fill + "\" is not one of reflect, wrap, nearest, constant");
  if (options.interpolation != "bilinear" && options.interpolation != "nearest")
    throw Error("affine_transform2d: interpolation \"" + options.interpolation + "\" is not one of bilinear, nearest");
  const char mode = fill[0] == 'c' ? 'c' : fill[0] == 'n' ? 'n' : fill[0] == 'w' ? 'w' : 'r';
  const bool bilinear = options.interpolation == "bilinear";
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  // Calls cell(output pixel offset, input pixel offset or -1 for the fill value, weight) for every output pixel of
  // sample s and each cell it reads, in order.
  auto each_cell = [=](int64_t s, auto cell) {
    const std::array<float, 8>& t = transforms[s];
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        const double fi = static_cast<double>(i), fj = static_cast<double>(j), k = t[6] * fj + t[7] * fi + 1.0;
        const double row = (t[3] * fj + t[4] * fi + t[5]) / k, col = (t[0] * fj + t[1] * fi + t[2]) / k;
        const int64_t out = ((s * h + i) * w + j) * c;
        auto read = [&](double r, double q, double weight) {
          const int64_t ri = fill_index(static_cast<int64_t>(r), h, mode), qi = fill_index(static_cast<int64_t>(q), w, mode);
          cell(out, ri < 0 || qi < 0 ? -1 : ((s * h + ri) * w + qi) * c, static_cast<float>(weight));
        };
        if (!bilinear) {
          read(std::floor(row + 0.5), std::floor(col + 0.5), 1.0);
          continue;
        }
        const double r0 = std::floor(row), q0 = std::floor(col), a = row - r0, b = col - q0;
        read(r0, q0, (1 - a) * (1 - b));
        read(r0, q0 + 1, (1 - a) * b);
        read(r0 + 1, q0, a * (1 - b));
        read(r0 + 1, q0 + 1, a * b);
      }
  };
  Tensor y({n, h, w, c});  // zeros, summed into
  const float* px = x.data();
  float* py = y.data();
  const float fill_value = options.fill_value;
#pragma omp parallel for schedule(static) if (x.size() * 4 >= kParallelMin)
  for (int64_t s = 0; s < n; ++s)
    each_cell(s, [&](int64_t out, int64_t in, float weight) {
      if (weight == 0.0f) return;
      for (int64_t ch = 0; ch < c; ++ch) py[out + ch] += weight * (in < 0 ? fill_value : px[in + ch]);
    });
  if (needs_grad(x))
    y.set_backward("affine_transform2d", {x}, [each_cell, n, c](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      GradBuffer gx = x.grad_buffer();
      if (gx.fresh) std::fill(gx.data, gx.data + x.size(), 0.0f);
#pragma omp parallel for schedule(static) if (x.size() * 4 >= kParallelMin)
      for (int64_t s = 0; s < n; ++s)
        each_cell(s, [&](int64_t out, int64_t from, float weight) {
          if (from < 0 || weight == 0.0f) return;
          for (int64_t ch = 0; ch < c; ++ch) gx.data[from + ch] += weight * g[out + ch];
        });
    });
  return y;
}

}  // namespace elucid::ops
