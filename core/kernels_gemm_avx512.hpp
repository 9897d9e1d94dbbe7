// elucid's own sgemm for CPUs with AVX-512, made for the small products a convolution layer's chunk and a Dense
// layer ask for (K and N up to 1024). kernels::sgemm takes it when it suits and OpenBLAS otherwise (large products,
// CPUs without AVX-512). Why: OpenBLAS runs the kernels of the CPU model it detects or is told
// (OPENBLAS_CORETYPE), and a machine may hold it to AVX2 ones; this kernel uses the CPU's AVX-512 whatever OpenBLAS
// was told. Each element of C is one FMA chain over k in order, so its bits depend on the shapes alone.
#pragma once
#include <cstdint>

namespace elucid::kernels {

// True when this CPU has AVX-512F and the product is small enough for sgemm_avx512 (k <= 1024, n <= 1024).
bool sgemm_avx512_suits(int64_t m, int64_t n, int64_t k);

// c (m, n) = alpha * op(a) * op(b) + beta * c, row-major, as kernels::sgemm; c is not read when beta is 0.
// Only to be called when sgemm_avx512_suits(m, n, k).
void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace elucid::kernels
