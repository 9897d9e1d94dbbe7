// ELU and softmax kernels. Elementwise and row-wise work splits over OpenMP threads with no cross-thread sums.
#include <elucid/core/kernels_activation.hpp>

#include <cmath>

namespace elucid::kernels {

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // elements; smaller arrays stay on the calling thread
}

void elu_forward(const float* x, float* y, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v > 0.0f ? v : alpha * std::expm1(v);
  }
}

void elu_backward(const float* y, const float* dy, float* dx, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float v = y[i];
    dx[i] += dy[i] * (v > 0.0f ? 1.0f : v + alpha);
  }
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  if (cols == 0) return;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = xr[0];
    for (int64_t j = 1; j < cols; ++j) m = std::fmax(m, xr[j]);
    float s = 0.0f;
    for (int64_t j = 0; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
  }
}

void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  if (cols == 0) return;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = xr[0];
    for (int64_t j = 1; j < cols; ++j) m = std::fmax(m, xr[j]);
    float s = 0.0f;
    for (int64_t j = 0; j < cols; ++j) s += std::exp(xr[j] - m);
    const float shift = m + std::log(s);
    for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - shift;
  }
}

}  // namespace elucid::kernels
