// Activation kernels over raw float arrays: the fused ELU pair and row-wise softmax / log-softmax.
#pragma once
#include <elucid/core/grad_buffer.hpp>

#include <cstdint>

namespace elucid::kernels {

// y = x > 0 ? x : alpha * expm1(x); x and y hold n floats. Finite for every finite x (expm1 only sees x <= 0);
// expm1 is computed in the kernel, vectorised, within 2 ulps.
void elu_forward(const float* x, float* y, int64_t n, float alpha);
// dx += dy * (y > 0 ? 1 : y + alpha), from the saved output y (y + alpha = alpha * exp(x) for x <= 0);
// a fresh dx is assigned instead.
void elu_backward(const float* y, const float* dy, GradBuffer dx, int64_t n, float alpha);
// Both on the calling thread only, for callers already inside a parallel region (conv2d_elu's batch chunks).
void elu_forward_serial(const float* x, float* y, int64_t n, float alpha);
void elu_backward_serial(const float* y, const float* dy, GradBuffer dx, int64_t n, float alpha);

// x and y are (rows, cols); each row is normalised on its own, shifted by its maximum for stability.
void softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
void log_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
// From the saved output y: softmax dx += y * (dy - sum_j dy_j y_j); log_softmax dx += dy - exp(y) * sum_j dy_j.
void softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
void log_softmax_rows_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);

}  // namespace elucid::kernels
