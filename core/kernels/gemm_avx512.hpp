// elucid's own sgemm for CPUs with AVX-512, made for the small products a convolution layer's chunk and a Dense
// layer ask for (K and N up to 1024), and a variant that reads a convolution's input in place (no im2col).
// kernels::sgemm takes it when it suits and OpenBLAS otherwise (large products, CPUs without AVX-512). Why:
// OpenBLAS runs the kernels of the CPU model it detects or is told (OPENBLAS_CORETYPE), and a machine may hold it to
// AVX2 ones; this kernel uses the CPU's AVX-512 whatever OpenBLAS was told. Each element of C is one FMA chain over
// k in order, so its bits depend on the shapes alone.
#pragma once
#include <cstdint>

namespace elucid::kernels {

// True when this CPU has AVX-512F and the product is small enough for sgemm_avx512 (k <= 1024, n <= 1024).
bool sgemm_avx512_suits(int64_t m, int64_t n, int64_t k);

// c (m, n) = alpha * op(a) * op(b) + beta * c, row-major, as kernels::sgemm; c is not read when beta is 0.
// Only to be called when sgemm_avx512_suits(m, n, k).
void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// A convolution's product without im2col: c (m, n) = A * b + bias + beta * c, where row r of A (m, segments * run)
// is the `segments` runs of `run` floats at rows[r], rows[r] + segment_step, ... (an output's receptive field, one run
// per kernel row, read in place from the image), b is (segments * run, n) with row step ldb, and bias (n) is added
// to every row (none when null); c is not read when beta is 0. Each element is the FMA chain sgemm_avx512 runs on the
// im2col matrix, in the same order, and then + bias: with beta 0, the bits of sgemm_avx512 with c set to the bias and
// beta 1.
bool sgemm_avx512_rows_suit(int64_t n, int64_t segments, int64_t run);  // AVX-512F, n and segments * run <= 1024
void sgemm_avx512_rows(int64_t m, int64_t n, int64_t segments, int64_t run, const float* const* rows,
                       int64_t segment_step, const float* b, int64_t ldb, const float* bias, float beta, float* c,
                       int64_t ldc);

// The weight gradient's product of a convolution without im2col: c (K, n) = A^T * b, A (depth, K) the matrix
// sgemm_avx512_rows reads in place (K = segments * run; its row p at rows[p], ...), b (depth, n) with row step ldb;
// c is only written. The bits of sgemm_avx512 with trans_a on the im2col matrix and beta 0. Only to be called when
// sgemm_avx512_suits(K, n, depth).
void sgemm_avx512_rows_transposed(int64_t segments, int64_t run, int64_t n, int64_t depth, const float* const* rows,
                                  int64_t segment_step, const float* b, int64_t ldb, float* c, int64_t ldc);

}  // namespace elucid::kernels
