// Image margins and resizing over (N, H, W, C): zero_pad2d, crop2d, upsample2d_nearest; each backward sits right under its forward.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <string>

namespace elucid::ops {

using detail::check_rank;
using detail::shape_of;

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // copied values; fewer stay on the calling thread

// A small (SH, SW, C) image lying inside a big (BH, BW, C) one with its cell (0, 0) at the big one's (top, left):
// the unpadded input inside zero_pad2d's output, crop2d's output inside its input.
struct Block {
  int64_t n, small_h, small_w, big_h, big_w, c, top, left;
};

// Calls row(small_offset, big_offset, count) for each of the small image's rows, in every sample: `count` values
// starting at those offsets correspond one to one. Rows are split over threads; no two rows share a value.
template <class Row>
void each_row(const Block& b, Row row) {
  const int64_t rows = b.n * b.small_h, count = b.small_w * b.c;
#pragma omp parallel for schedule(static) if (rows * count >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t s = r / b.small_h, i = r % b.small_h;
    row(r * count, ((s * b.big_h + b.top + i) * b.big_w + b.left) * b.c, count);
  }
}

std::string margins_string(const Margins2D& m) {
  return "((" + std::to_string(m.top) + ", " + std::to_string(m.bottom) + "), (" + std::to_string(m.left) + ", " +
         std::to_string(m.right) + "))";
}

void check_margins(const char* op, const char* what, const Margins2D& m) {
  if (m.top < 0 || m.bottom < 0 || m.left < 0 || m.right < 0)
    throw Error(std::string(op) + ": " + what + " " + margins_string(m) + " must be >= 0");
}
}  // namespace

// ---- zero_pad2d: y's middle is x, the rest zero; x's gradient is the middle of y's ----

Tensor zero_pad2d(const Tensor& x, const Margins2D& pad) {
  check_rank("zero_pad2d", x, 4, "input", "(N, H, W, C)");
  check_margins("zero_pad2d", "padding", pad);
  const Block b{x.dim(0), x.dim(1), x.dim(2), pad.top + x.dim(1) + pad.bottom, pad.left + x.dim(2) + pad.right,
                x.dim(3), pad.top, pad.left};
  Tensor y({b.n, b.big_h, b.big_w, b.c});  // zeros
  const float* px = x.data();
  float* py = y.data();
  each_row(b, [&](int64_t small, int64_t big, int64_t count) { std::copy(px + small, px + small + count, py + big); });
  if (needs_grad(x))
    y.set_backward("zero_pad2d", {x}, [b](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const GradBuffer gx = x.grad_buffer();  // every value of a fresh buffer is written: the rows cover x
      each_row(b, [&](int64_t small, int64_t big, int64_t count) {
        add_into({gx.data + small, gx.fresh}, g + big, count);
      });
    });
  return y;
}

// ---- crop2d: y is the middle of x; x's gradient is y's in the middle, zero on the cropped sides ----

Tensor crop2d(const Tensor& x, const Margins2D& crop) {
  check_rank("crop2d", x, 4, "input", "(N, H, W, C)");
  check_margins("crop2d", "cropping", crop);
  const int64_t oh = x.dim(1) - crop.top - crop.bottom, ow = x.dim(2) - crop.left - crop.right;
  if (oh < 1 || ow < 1)
    throw Error("crop2d: cropping " + margins_string(crop) + " leaves nothing of input " + shape_of(x));
  const Block b{x.dim(0), oh, ow, x.dim(1), x.dim(2), x.dim(3), crop.top, crop.left};
  Tensor y = Tensor::empty({b.n, oh, ow, b.c});  // every value written: the rows cover y
  const float* px = x.data();
  float* py = y.data();
  each_row(b, [&](int64_t small, int64_t big, int64_t count) { std::copy(px + big, px + big + count, py + small); });
  if (needs_grad(x))
    y.set_backward("crop2d", {x}, [b](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      GradBuffer gx = x.grad_buffer();
      if (gx.fresh) std::fill(gx.data, gx.data + x.size(), 0.0f);  // the cropped sides get no gradient
      each_row(b, [&](int64_t small, int64_t big, int64_t count) {
        add_into({gx.data + big, false}, g + small, count);
      });
    });
  return y;
}

// ---- upsample2d_nearest: each pixel repeated size_h x size_w times; x's gradient sums its block of y's ----

Tensor upsample2d_nearest(const Tensor& x, int size_h, int size_w) {
  check_rank("upsample2d_nearest", x, 4, "input", "(N, H, W, C)");
  if (size_h < 1 || size_w < 1)
    throw Error("upsample2d_nearest: size (" + std::to_string(size_h) + ", " + std::to_string(size_w) +
                ") must be >= 1");
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3), oh = h * size_h, ow = w * size_w;
  Tensor y = Tensor::empty({n, oh, ow, c});  // every value written
  const float* px = x.data();
  float* py = y.data();
  // One output row per iteration: its source row, each pixel copied size_w times.
#pragma omp parallel for schedule(static) if (y.size() >= kParallelMin)
  for (int64_t r = 0; r < n * oh; ++r) {
    const float* src = px + ((r / oh) * h + (r % oh) / size_h) * w * c;
    float* dst = py + r * ow * c;
    for (int64_t j = 0; j < ow; ++j) std::copy(src + (j / size_w) * c, src + (j / size_w + 1) * c, dst + j * c);
  }
  if (needs_grad(x))
    y.set_backward("upsample2d_nearest", {x}, [=](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const GradBuffer gx = x.grad_buffer();
      // One input row per iteration, its block summed in a fixed order (a, b): the same bits at any thread count.
#pragma omp parallel for schedule(static) if (n * oh * ow * c >= kParallelMin)
      for (int64_t r = 0; r < n * h; ++r) {
        const int64_t s = r / h, i = r % h;
        for (int64_t j = 0; j < w; ++j)
          for (int64_t ch = 0; ch < c; ++ch) {
            float total = 0;
            for (int64_t a = 0; a < size_h; ++a)
              for (int64_t b = 0; b < size_w; ++b)
                total += g[((s * oh + i * size_h + a) * ow + j * size_w + b) * c + ch];
            float& out = gx.data[(r * w + j) * c + ch];
            out = gx.fresh ? total : out + total;
          }
      }
    });
  return y;
}

}  // namespace elucid::ops
