// Row-major single-precision matrix products (elucid's AVX-512 kernel for the small ones on a CPU that has it,
// OpenBLAS's cblas_sgemm otherwise: core/kernels/gemm_avx512.hpp), and the dense matmul kernels built on them.
// OpenBLAS always runs single-threaded here: elucid splits work itself with OpenMP in fixed-size chunks, so every
// float sum has the same order at any thread count.
#pragma once
#include <elucid/core/grad_buffer.hpp>

#include <cstdint>

namespace elucid::kernels {

// c (m, n) = alpha * op(a) * op(b) + beta * c, op(a) (m, k), op(b) (k, n); row-major with leading dimensions.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// The same product through OpenBLAS alone: what sgemm runs when the AVX-512 kernel does not suit (tests run both).
void sgemm_openblas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// a is (M, K), b is (K, N), y is (M, N): y = a * b. With bf16, through sgemm_bf16 (core/kernels/gemm_bf16.hpp):
// operands rounded to bfloat16, float32 sums; throws elucid::Error on a CPU without AVX512_BF16.
void matmul_forward(const float* a, const float* b, float* y, int64_t m, int64_t k, int64_t n, bool bf16 = false);
// Adds da += dy * b^T (M, K) and db += a^T * dy (K, N), or assigns a fresh one; a null one is skipped. With bf16,
// every product through sgemm_bf16 (a, b and dy rounded to bfloat16); the sums over row blocks stay float32.
void matmul_backward(const float* a, const float* b, const float* dy, GradBuffer da, GradBuffer db, int64_t m,
                     int64_t k, int64_t n, bool bf16 = false);

}  // namespace elucid::kernels
