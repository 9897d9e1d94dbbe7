// ELU and softmax kernels. Elementwise and row-wise work splits over OpenMP threads with no cross-thread sums.
// No FP exception flags are ever read, so GCC may turn the selects below into vector blends (with trapping math
// on, it keeps them as branches and the loops stay scalar). No contraction into FMA: the ELU loops are compiled
// per instruction set (core/kernels/simd.hpp) and every version must give the same bits.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#endif
#include <elucid/core/kernels/activation.hpp>

#include <elucid/core/kernels/simd.hpp>
#include <elucid/core/kernels/team_loop.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace elucid::kernels {

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // elements; smaller arrays stay on the calling thread
}

namespace {
// expm1(v) for v <= 0 (NaN gives -1; the caller keeps NaN), branch-free and without libm calls so the loop
// vectorises; within 2 float ulps of the exact value (checked by tests/core/ops/activation.cpp).
// v = k ln2 + r with |r| <= ln2 / 2, then expm1(v) = 2^k expm1(r) + (2^k - 1), where 2^k expm1(r) is exact scaling
// and expm1(r) is its Taylor series to r^7 (the next term is below 6e-9). Below -20, expm1 rounds to -1 in float.
inline float expm1_nonpositive(float v) {
  v = v > -20.0f ? v : -20.0f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer
  const float k = (v * 1.44269504088896341f + kRound) - kRound;  // in [-29, 0]
  // ln2 split in two (Cody and Waite): k * 0.693145751953125f is exact, so r keeps its low bits.
  const float r = (v - k * 0.693145751953125f) - k * 1.42860682030941723212e-6f;
  const float p =
      r + r * r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040))))));
  const float two_k = std::bit_cast<float>(static_cast<int32_t>(k + 127.0f) << 23);
  return two_k * p + (two_k - 1.0f);
}

// Elementwise loops run over fixed blocks of kBlock floats, each block one call of a per-CPU clone.
constexpr int64_t kBlock = 1 << 13;

ELUCID_SIMD_CLONES void elu_forward_block(const float* x, float* y, int64_t n, float alpha) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float neg = alpha * expm1_nonpositive(v < 0.0f ? v : 0.0f);
    y[i] = v > 0.0f ? v : (v == v ? neg : v);  // NaN stays NaN
  }
}

ELUCID_SIMD_CLONES void elu_backward_block(const float* y, const float* dy, float* dx, bool fresh, int64_t n,
                                           float alpha) {
  if (fresh) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const float v = y[i];
      dx[i] = dy[i] * (v > 0.0f ? 1.0f : v + alpha);
    }
    return;
  }
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = y[i];
    dx[i] += dy[i] * (v > 0.0f ? 1.0f : v + alpha);
  }
}
}  // namespace

void elu_forward_serial(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t b = 0; b < n; b += kBlock) elu_forward_block(x + b, y + b, std::min(kBlock, n - b), alpha);
}

void elu_backward_serial(const float* y, const float* dy, GradBuffer dx, int64_t n, float alpha) {
  for (int64_t b = 0; b < n; b += kBlock)
    elu_backward_block(y + b, dy + b, dx.data + b, dx.fresh, std::min(kBlock, n - b), alpha);
}

void elu_forward(const float* x, float* y, int64_t n, float alpha) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  team_loop(blocks, on_team(n, kParallelMin), [&](int64_t b) {
    elu_forward_block(x + b * kBlock, y + b * kBlock, std::min(kBlock, n - b * kBlock), alpha);
  });
}

void elu_backward(const float* y, const float* dy, GradBuffer dx, int64_t n, float alpha) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  team_loop(blocks, on_team(n, kParallelMin), [&](int64_t b) {
    elu_backward_block(y + b * kBlock, dy + b * kBlock, dx.data + b * kBlock, dx.fresh, std::min(kBlock, n - b * kBlock),
                       alpha);
  });
}

namespace {
// One row of softmax (or log-softmax), shifted by the row's maximum so exp never overflows.
void softmax_row(const float* xr, float* yr, int64_t cols, bool log) {
  float m = xr[0];
  for (int64_t j = 1; j < cols; ++j) m = std::fmax(m, xr[j]);
  float s = 0.0f;
  for (int64_t j = 0; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
  if (log) {
    const float shift = m + std::log(s);
    for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - shift;
  } else {
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
  }
}

void softmax_all_rows(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (cols == 0) return;
  team_loop(rows, on_team(rows * cols, kParallelMin),
            [&](int64_t r) { softmax_row(x + r * cols, y + r * cols, cols, log); });
}
}  // namespace

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) { softmax_all_rows(x, y, rows, cols, false); }
void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) { softmax_all_rows(x, y, rows, cols, true); }

void softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  team_loop(rows, on_team(rows * cols, kParallelMin), [&](int64_t r) {
    const float *yr = y + r * cols, *gr = dy + r * cols;
    float dot = 0.0f;
    for (int64_t j = 0; j < cols; ++j) dot += gr[j] * yr[j];
    for (int64_t j = 0; j < cols; ++j) dx[r * cols + j] += yr[j] * (gr[j] - dot);
  });
}

void log_softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  team_loop(rows, on_team(rows * cols, kParallelMin), [&](int64_t r) {
    const float *yr = y + r * cols, *gr = dy + r * cols;
    float total = 0.0f;
    for (int64_t j = 0; j < cols; ++j) total += gr[j];
    for (int64_t j = 0; j < cols; ++j) dx[r * cols + j] += gr[j] - std::exp(yr[j]) * total;
  });
}

}  // namespace elucid::kernels
