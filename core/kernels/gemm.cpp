// sgemm (elucid's AVX-512 kernel for small products, else cblas_sgemm, OpenBLAS on one thread: core/parallel.cpp) and
// the matmul kernels: rows split over OpenMP threads in fixed blocks; the one reduction over rows (db = a^T dy) is
// summed per block and then in block order.
#include <elucid/core/kernels/gemm.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/gemm_avx512.hpp>
#include <elucid/core/kernels/gemm_bf16.hpp>
#include <elucid/core/kernels/team_loop.hpp>

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

namespace elucid::kernels {

namespace {
constexpr int64_t kRowBlock = 128;            // rows per parallel block of a matmul
constexpr int64_t kParallelFlops = 1 << 20;   // smaller products run on the calling thread

// The product of a matmul block: sgemm, or sgemm_bf16 (no alpha: always 1 here).
void block_product(bool bf16, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (bf16)
    sgemm_bf16(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
  else
    sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

// Checked on the calling thread, before a parallel region: an exception must not leave an OpenMP worker.
void require_bf16(bool bf16, const char* op) {
  if (bf16 && !cpu_has_avx512_bf16())
    throw Error(std::string(op) + ": bf16 products need a CPU with AVX512_BF16 (vdpbf16ps), and this one has none");
}

int blas_int(int64_t v) {
  if (v > INT_MAX) throw Error("sgemm: dimension " + std::to_string(v) + " is too large for BLAS (more than 2^31 - 1)");
  return static_cast<int>(v);
}
}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (sgemm_avx512_suits(m, n, k))
    sgemm_avx512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    sgemm_openblas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void sgemm_openblas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS leaves c untouched only for beta == 1; make the empty product explicit
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0 ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, blas_int(m),
              blas_int(n), blas_int(k), alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}

void matmul_forward(const float* a, const float* b, float* y, int64_t m, int64_t k, int64_t n, bool bf16) {
  require_bf16(bf16, "matmul_forward");
  const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  team_loop(blocks, blocks > 1 && on_team(m * n * k, kParallelFlops), [&](int64_t blk) {
    const int64_t r0 = blk * kRowBlock, rows = std::min(kRowBlock, m - r0);
    block_product(bf16, false, false, rows, n, k, a + r0 * k, k, b, n, 0.0f, y + r0 * n, n);
  });
}

void matmul_backward(const float* a, const float* b, const float* dy, GradBuffer da, GradBuffer db, int64_t m,
                     int64_t k, int64_t n, bool bf16) {
  require_bf16(bf16, "matmul_backward");
  const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  const bool team = blocks > 1 && on_team(m * n * k, kParallelFlops);
  if (da.data) {
    const float beta = da.fresh ? 0.0f : 1.0f;  // BLAS overwrites c when beta is 0 (never reads it)
    team_loop(blocks, team, [&](int64_t blk) {
      const int64_t r0 = blk * kRowBlock, rows = std::min(kRowBlock, m - r0);
      block_product(bf16, false, true, rows, k, n, dy + r0 * n, n, b, n, beta, da.data + r0 * k, k);
    });
  }
  if (db.data) {
    if (blocks <= 1) {
      block_product(bf16, true, false, k, n, m, a, k, dy, n, db.fresh ? 0.0f : 1.0f, db.data, n);
      return;
    }
    if (db.fresh) std::fill(db.data, db.data + k * n, 0.0f);
    // One partial (K, N) per row block, then summed in block order: the same bits at any thread count.
    std::vector<float> partial(static_cast<size_t>(blocks * k * n));
    team_loop(blocks, team, [&](int64_t blk) {
      const int64_t r0 = blk * kRowBlock, rows = std::min(kRowBlock, m - r0);
      block_product(bf16, true, false, k, n, rows, a + r0 * k, k, dy + r0 * n, n, 0.0f, partial.data() + blk * k * n,
                    n);
    });
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const float* p = partial.data() + blk * k * n;
      for (int64_t i = 0; i < k * n; ++i) db.data[i] += p[i];
    }
  }
}

}  // namespace elucid::kernels
