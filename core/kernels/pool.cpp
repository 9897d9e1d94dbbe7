// Max and average pooling kernels, NHWC, parallel over samples.
// No FP exception flags are ever read, so GCC may turn the selects below into vector blends (with trapping math
// on, it keeps them as branches and the loops stay scalar). Max pooling is compiled per instruction set
// (core/kernels/simd.hpp); compares and selects give the same bits in every version.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#endif
#include <elucid/core/kernels/pool.hpp>

#include <elucid/core/kernels/simd.hpp>
#include <elucid/core/kernels/team_loop.hpp>

#include <algorithm>

namespace elucid::kernels {

namespace {
constexpr int64_t kParallelMin = 1 << 14;  // output elements; fewer stay on the calling thread
constexpr int64_t kChannelBlock = 64;      // channels max-pooled together in registers / L1

// The window of output (oh, ow) clipped to the image: rows [i0, i1), columns [j0, j1).
struct Window {
  int64_t i0, i1, j0, j1;
};
Window clip(const Pool2DGeometry& g, int64_t oh, int64_t ow) {
  const int64_t top = oh * g.stride_h - g.pad_top, left = ow * g.stride_w - g.pad_left;
  return {std::max<int64_t>(top, 0), std::min(top + g.ph, g.h), std::max<int64_t>(left, 0),
          std::min(left + g.pw, g.w)};
}
int64_t cells(const Window& win) { return (win.i1 - win.i0) * (win.j1 - win.j0); }

// Calls visit(xs, out, win) for every output window: xs is the offset of the window's sample in x, out the offset
// of the output's C values in y. Samples are split over threads; each visit touches its own sample only.
template <class Visit>
void each_window(const Pool2DGeometry& g, Visit visit) {
  const int64_t in_sample = g.h * g.w * g.c, out_sample = g.oh * g.ow * g.c;
  team_loop(g.n, on_team(g.n * out_sample, kParallelMin), [&](int64_t s) {
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow)
        visit(s * in_sample, s * out_sample + (oh * g.ow + ow) * g.c, clip(g, oh, ow));
  });
}
}  // namespace

namespace {
// Max pooling of one sample: xs (H, W, C) -> ys (OH, OW, C), argmax within the sample.
ELUCID_SIMD_CLONES void max_pool2d_sample(const Pool2DGeometry& g, const float* xs, float* ys, int32_t* argmax) {
  for (int64_t oh = 0; oh < g.oh; ++oh)
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const Window win = clip(g, oh, ow);
      const int64_t out = (oh * g.ow + ow) * g.c;
      // Channels in blocks held in local arrays, so the compare-and-select loop vectorises. The window's first
      // cell seeds the maximum, so a window of NaNs still has an argmax.
      const int32_t first = static_cast<int32_t>((win.i0 * g.w + win.j0) * g.c);
      for (int64_t c0 = 0; c0 < g.c; c0 += kChannelBlock) {
        const int64_t cb = std::min(kChannelBlock, g.c - c0);
        float best[kChannelBlock];
        int32_t arg[kChannelBlock];
        for (int64_t c = 0; c < cb; ++c) {
          best[c] = xs[first + c0 + c];
          arg[c] = first + static_cast<int32_t>(c0 + c);
        }
        for (int64_t i = win.i0; i < win.i1; ++i)
          for (int64_t j = win.j0; j < win.j1; ++j) {
            const int32_t base = static_cast<int32_t>((i * g.w + j) * g.c + c0);
            const float* xc = xs + base;
#pragma omp simd
            for (int64_t c = 0; c < cb; ++c) {  // selects as bit masks: GCC keeps ?: on int32 as a branch
              const float v = xc[c];
              const int32_t greater = -static_cast<int32_t>(v > best[c]);  // all ones or zero
              best[c] = best[c] < v ? v : best[c];
              arg[c] = (arg[c] & ~greater) | ((base + static_cast<int32_t>(c)) & greater);
            }
          }
        for (int64_t c = 0; c < cb; ++c) {
          ys[out + c0 + c] = best[c];
          if (argmax) argmax[out + c0 + c] = arg[c];
        }
      }
    }
}
// The common case, a 2x2 window at stride 2 wholly inside the image (Keras' MaxPooling2D((2, 2)), valid padding),
// without the general loop's window clipping and channel blocks: the same compares in the same cell order, so the
// same bits and the same argmax as max_pool2d_sample.
ELUCID_SIMD_CLONES void max_pool2d_sample_2x2(const Pool2DGeometry& g, const float* xs, float* ys, int32_t* argmax) {
  const int64_t row = g.w * g.c;  // floats from one image row to the next
  for (int64_t oh = 0; oh < g.oh; ++oh)
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const int32_t base = static_cast<int32_t>((2 * oh * g.w + 2 * ow) * g.c);  // the window's top-left cell
      const float *p00 = xs + base, *p01 = p00 + g.c, *p10 = p00 + row, *p11 = p10 + g.c;
      float* y = ys + (oh * g.ow + ow) * g.c;
      int32_t* arg = argmax ? argmax + (oh * g.ow + ow) * g.c : nullptr;
      const int32_t offsets[4] = {0, static_cast<int32_t>(g.c), static_cast<int32_t>(row),
                                  static_cast<int32_t>(row + g.c)};
#pragma omp simd
      for (int64_t c = 0; c < g.c; ++c) {
        float best = p00[c];
        int32_t cell = offsets[0];
        const float v1 = p01[c], v2 = p10[c], v3 = p11[c];
        int32_t greater = -static_cast<int32_t>(v1 > best);  // selects as bit masks, as max_pool2d_sample
        best = best < v1 ? v1 : best;
        cell = (cell & ~greater) | (offsets[1] & greater);
        greater = -static_cast<int32_t>(v2 > best);
        best = best < v2 ? v2 : best;
        cell = (cell & ~greater) | (offsets[2] & greater);
        greater = -static_cast<int32_t>(v3 > best);
        best = best < v3 ? v3 : best;
        cell = (cell & ~greater) | (offsets[3] & greater);
        y[c] = best;
        if (arg) arg[c] = base + cell + static_cast<int32_t>(c);
      }
    }
}

bool is_2x2_inside(const Pool2DGeometry& g) {
  return g.ph == 2 && g.pw == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_top == 0 && g.pad_left == 0 &&
         2 * g.oh <= g.h && 2 * g.ow <= g.w;
}
}  // namespace

void max_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t in_sample = g.h * g.w * g.c, out_sample = g.oh * g.ow * g.c;
  const auto pool_sample = is_2x2_inside(g) ? max_pool2d_sample_2x2 : max_pool2d_sample;
  team_loop(g.n, on_team(g.n * out_sample, kParallelMin), [&](int64_t s) {
    pool_sample(g, x + s * in_sample, y + s * out_sample, argmax ? argmax + s * out_sample : nullptr);
  });
}

namespace {
// The backward of max_pool2d_sample_2x2 into a fresh dx: each window's four cells written once (dy at its argmax, 0
// elsewhere) and the row and column no window covers (odd H or W) zeroed, instead of zeroing all of dx first.
ELUCID_SIMD_CLONES void max_pool2d_backward_2x2(const Pool2DGeometry& g, const int32_t* argmax, const float* dy,
                                                float* dxs) {
  const int64_t row = g.w * g.c;
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const int32_t base = static_cast<int32_t>((2 * oh * g.w + 2 * ow) * g.c);
      float *d00 = dxs + base, *d01 = d00 + g.c, *d10 = d00 + row, *d11 = d10 + g.c;
      const int64_t out = (oh * g.ow + ow) * g.c;
      const int32_t* arg = argmax + out;
      const float* dyo = dy + out;
      const int32_t right = static_cast<int32_t>(g.c), below = static_cast<int32_t>(row), diagonal = right + below;
#pragma omp simd
      for (int64_t c = 0; c < g.c; ++c) {
        const int32_t at = arg[c] - base - static_cast<int32_t>(c);  // the winning cell's offset in the window
        d00[c] = at == 0 ? dyo[c] : 0.0f;
        d01[c] = at == right ? dyo[c] : 0.0f;
        d10[c] = at == below ? dyo[c] : 0.0f;
        d11[c] = at == diagonal ? dyo[c] : 0.0f;
      }
    }
    if (2 * g.ow < g.w)  // the last column of these two rows
      for (int64_t i = 2 * oh; i < 2 * oh + 2; ++i) std::fill_n(dxs + (i * g.w + 2 * g.ow) * g.c, g.c, 0.0f);
  }
  if (2 * g.oh < g.h) std::fill(dxs + 2 * g.oh * row, dxs + g.h * row, 0.0f);  // the last row
}
}  // namespace

void max_pool2d_backward(const Pool2DGeometry& g, const int32_t* argmax, const float* dy, GradBuffer dx) {
  const int64_t in_sample = g.h * g.w * g.c, out_sample = g.oh * g.ow * g.c;
  const bool team = on_team(g.n * out_sample, kParallelMin);
  if (dx.fresh && is_2x2_inside(g)) {
    team_loop(g.n, team, [&](int64_t s) {
      max_pool2d_backward_2x2(g, argmax + s * out_sample, dy + s * out_sample, dx.data + s * in_sample);
    });
    return;
  }
  // argmax of sample s points into sample s only, so samples can go to different threads.
  team_loop(g.n, team, [&](int64_t s) {
    float* dxs = dx.data + s * in_sample;
    if (dx.fresh) std::fill(dxs, dxs + in_sample, 0.0f);
    for (int64_t i = s * out_sample; i < (s + 1) * out_sample; ++i) dxs[argmax[i]] += dy[i];
  });
}

void avg_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y) {
  each_window(g, [&](int64_t in, int64_t out, const Window& win) {
    float* yo = y + out;
    std::fill(yo, yo + g.c, 0.0f);
    for (int64_t i = win.i0; i < win.i1; ++i)
      for (int64_t j = win.j0; j < win.j1; ++j) {
        const float* xc = x + in + (i * g.w + j) * g.c;
        for (int64_t c = 0; c < g.c; ++c) yo[c] += xc[c];
      }
    const float inv = 1.0f / static_cast<float>(cells(win));
    for (int64_t c = 0; c < g.c; ++c) yo[c] *= inv;
  });
}

void avg_pool2d_backward(const Pool2DGeometry& g, const float* dy, float* dx) {
  each_window(g, [&](int64_t in, int64_t out, const Window& win) {
    const float* dyo = dy + out;
    const float inv = 1.0f / static_cast<float>(cells(win));
    for (int64_t i = win.i0; i < win.i1; ++i)
      for (int64_t j = win.j0; j < win.j1; ++j) {
        float* dxc = dx + in + (i * g.w + j) * g.c;
        for (int64_t c = 0; c < g.c; ++c) dxc[c] += dyo[c] * inv;
      }
  });
}

}  // namespace elucid::kernels
