// The AVX-512 sgemm: C is cut into panels of 64 columns and each panel into tiles of up to 6 rows; a tile keeps its
// 6 x 64 sums in 24 zmm registers while k runs, each step one row of B (4 vectors) times 6 broadcast values of A.
// B is read in place (packed into a k x 64 panel first when it comes transposed); A is read in place either way, and
// for a convolution straight from its image: each row of A at its own address (sgemm_avx512_rows), or each step of
// k at its own address (the gathering tiles of sgemm_avx512_rows_transposed).
// Column tails are masked loads and stores, row tails smaller tiles; nothing is read past a matrix's last element.
#include <elucid/core/kernels/gemm_avx512.hpp>

#include <elucid/core/error.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <vector>

namespace elucid::kernels {

#if defined(__x86_64__)

namespace {

constexpr int64_t kTileRows = 6;      // rows of C per tile: 6 x 4 accumulators leave 8 of 32 zmm for B and A
constexpr int64_t kPanelVectors = 4;  // 16-float vectors per panel row
constexpr int64_t kPanelCols = 16 * kPanelVectors;
constexpr int64_t kMaxDepth = 1024;   // k: a panel of B (k x 64 floats, 256 KB at most) stays in L2
constexpr int64_t kMaxCols = 1024;

// Where a tile's operands sit. Row r of op(a) is read at a + a_offset[r], step a_depth per k; k runs in `segments`
// runs of `run` (a plain product: one run of k), run s starting segment_step floats after run s - 1 in a and
// run * b_row floats after it in b; op(b)(p, j) = b[p * b_row + j]. A gathering tile reads op(a)(r, p) at
// a_rows[p] + a_offset[r] instead (one run of k).
struct TileArgs {
  const float* a;
  const float* const* a_rows;
  std::array<int64_t, kTileRows> a_offset;
  int64_t a_depth;
  int64_t run, segments, segment_step;
  const float* b;  // the panel's first column
  int64_t b_row;
  float alpha, beta;
  const float* bias;  // the panel's first column of a bias added to every row, or null
  float* c;  // the tile's first element
  int64_t ldc;
  std::array<__mmask16, kPanelVectors> mask;  // the columns of each vector that exist
};

// One step of k in a tile: sum[r] += a[a_offset[r]] * b's row (V vectors).
template <int R, int V>
__attribute__((target("avx512f"), always_inline)) inline void multiply_add(
    __m512 (&sum)[R][V], const int64_t (&a_offset)[R], const std::array<__mmask16, kPanelVectors>& mask, const float* a,
    const float* b) {
  __m512 b_row[V];
#pragma GCC unroll 4
  for (int64_t v = 0; v < V; ++v) b_row[v] = _mm512_maskz_loadu_ps(mask[static_cast<size_t>(v)], b + 16 * v);
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r) {
    const __m512 a_value = _mm512_set1_ps(a[a_offset[r]]);
#pragma GCC unroll 4
    for (int64_t v = 0; v < V; ++v) sum[r][v] = _mm512_fmadd_ps(a_value, b_row[v], sum[r][v]);
  }
}

// One tile of R rows and V vectors: c = alpha * sum over p of a(r, p) * b(p, :) (+ bias) + beta * c.
template <int R, int V, bool Gather>
__attribute__((target("avx512f"))) void tile(const TileArgs& t) {
  __m512 sum[R][V];
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int64_t v = 0; v < V; ++v) sum[r][v] = _mm512_setzero_ps();
  int64_t a_offset[R];
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r) a_offset[r] = t.a_offset[static_cast<size_t>(r)];
  const int64_t run = t.run, a_depth = t.a_depth, b_step = t.b_row;
  if constexpr (Gather) {
    const float* b = t.b;
#pragma GCC unroll 4
    for (int64_t p = 0; p < run; ++p, b += b_step) multiply_add<R, V>(sum, a_offset, t.mask, t.a_rows[p], b);
  } else {
    for (int64_t segment = 0; segment < t.segments; ++segment) {
      const float* a = t.a + segment * t.segment_step;
      const float* b = t.b + segment * run * b_step;
#pragma GCC unroll 4
      for (int64_t p = 0; p < run; ++p, a += a_depth, b += b_step) multiply_add<R, V>(sum, a_offset, t.mask, a, b);
    }
  }
  const __m512 alpha = _mm512_set1_ps(t.alpha), beta = _mm512_set1_ps(t.beta);
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int64_t v = 0; v < V; ++v) {
      float* c = t.c + r * t.ldc + 16 * v;
      __m512 out = _mm512_mul_ps(alpha, sum[r][v]);
      if (t.bias) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(t.mask[v], t.bias + 16 * v));
      if (t.beta != 0.0f) out = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(t.mask[v], c), out);
      _mm512_mask_storeu_ps(c, t.mask[v], out);
    }
}

using TileFunction = void (*)(const TileArgs&);

template <int R, bool Gather>
constexpr std::array<TileFunction, kPanelVectors> tiles_of_rows() {
  return {tile<R, 1, Gather>, tile<R, 2, Gather>, tile<R, 3, Gather>, tile<R, 4, Gather>};
}

using TileTable = std::array<std::array<TileFunction, kPanelVectors>, kTileRows>;

template <bool Gather>
constexpr TileTable tile_table() {
  return {tiles_of_rows<1, Gather>(), tiles_of_rows<2, Gather>(), tiles_of_rows<3, Gather>(),
          tiles_of_rows<4, Gather>(), tiles_of_rows<5, Gather>(), tiles_of_rows<6, Gather>()};
}

// kTiles[G][R - 1][V - 1] is the tile of R rows and V vectors, gathering (G 1) or not.
constexpr std::array<TileTable, 2> kTiles = {tile_table<false>(), tile_table<true>()};

bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

// Runs the tiles of c (m, n), panel by panel of 64 columns: set_b(j0, cols) points t.b at the panel (packing it if
// need be), set_a(i0) points t.a and t.a_offset at the tile's rows i0...
template <typename SetB, typename SetA>
void run_tiles(TileArgs& t, int64_t m, int64_t n, float* c, const SetB& set_b, const SetA& set_a) {
  for (int64_t j0 = 0; j0 < n; j0 += kPanelCols) {
    const int64_t cols = std::min(kPanelCols, n - j0);
    for (int64_t v = 0; v < kPanelVectors; ++v) {
      const int64_t left = std::clamp<int64_t>(cols - 16 * v, 0, 16);
      t.mask[static_cast<size_t>(v)] = static_cast<__mmask16>((1u << left) - 1u);
    }
    set_b(j0, cols);
    const int64_t vectors = (cols + 15) / 16;
    for (int64_t i0 = 0; i0 < m; i0 += kTileRows) {
      const int64_t rows = std::min(kTileRows, m - i0);
      set_a(i0);
      t.c = c + i0 * t.ldc + j0;
      kTiles[t.a_rows ? 1 : 0][static_cast<size_t>(rows - 1)][static_cast<size_t>(vectors - 1)](t);
    }
  }
}

}  // namespace

bool sgemm_avx512_suits(int64_t m, int64_t n, int64_t k) {
  return cpu_has_avx512() && m > 0 && n > 0 && n <= kMaxCols && k > 0 && k <= kMaxDepth;
}

void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (!sgemm_avx512_suits(m, n, k))
    throw Error("sgemm_avx512: the product (" + std::to_string(m) + " x " + std::to_string(k) + ") * (" +
                std::to_string(k) + " x " + std::to_string(n) + ") is not one it is made for");
  // A transposed b is packed panel by panel: (k, 64) floats, grown once per thread (256 KB at most).
  thread_local std::vector<float> packed;
  if (trans_b && static_cast<int64_t>(packed.size()) < k * kPanelCols)
    packed.resize(static_cast<size_t>(k * kPanelCols));
  TileArgs t{};
  const int64_t a_row = trans_a ? 1 : lda;
  for (int64_t r = 0; r < kTileRows; ++r) t.a_offset[static_cast<size_t>(r)] = r * a_row;
  t.a_depth = trans_a ? lda : 1;
  t.run = k;
  t.segments = 1;
  t.alpha = alpha;
  t.beta = beta;
  t.ldc = ldc;
  const auto set_b = [&](int64_t j0, int64_t cols) {
    if (trans_b) {  // op(b)(p, j) = b[j * ldb + p]
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < cols; ++j) packed[static_cast<size_t>(p * kPanelCols + j)] = b[(j0 + j) * ldb + p];
      t.b = packed.data();
      t.b_row = kPanelCols;
    } else {
      t.b = b + j0;
      t.b_row = ldb;
    }
  };
  run_tiles(t, m, n, c, set_b, [&](int64_t i0) { t.a = a + i0 * a_row; });
}

bool sgemm_avx512_rows_suit(int64_t n, int64_t segments, int64_t run) {
  return cpu_has_avx512() && n > 0 && n <= kMaxCols && segments > 0 && run > 0 && segments * run <= kMaxDepth;
}

void sgemm_avx512_rows(int64_t m, int64_t n, int64_t segments, int64_t run, const float* const* rows,
                       int64_t segment_step, const float* b, int64_t ldb, const float* bias, float beta, float* c,
                       int64_t ldc) {
  if (!sgemm_avx512_rows_suit(n, segments, run))
    throw Error("sgemm_avx512_rows: " + std::to_string(segments) + " runs of " + std::to_string(run) +
                " floats times n " + std::to_string(n) + " is not a product it is made for");
  if (m <= 0) return;
  TileArgs t{};
  t.a_depth = 1;
  t.run = run;
  t.segments = segments;
  t.segment_step = segment_step;
  t.alpha = 1.0f;
  t.beta = beta;
  t.ldc = ldc;
  const auto set_b = [&](int64_t j0, int64_t /*cols*/) {
    t.b = b + j0;
    t.b_row = ldb;
    t.bias = bias ? bias + j0 : nullptr;
  };
  const auto set_a = [&](int64_t i0) {
    t.a = rows[i0];
    for (int64_t r = 0; r < std::min(kTileRows, m - i0); ++r)
      t.a_offset[static_cast<size_t>(r)] = rows[i0 + r] - rows[i0];
  };
  run_tiles(t, m, n, c, set_b, set_a);
}

void sgemm_avx512_rows_transposed(int64_t segments, int64_t run, int64_t n, int64_t depth, const float* const* rows,
                                  int64_t segment_step, const float* b, int64_t ldb, float* c, int64_t ldc) {
  const int64_t m = segments * run;
  if (!sgemm_avx512_suits(m, n, depth))
    throw Error("sgemm_avx512_rows_transposed: (" + std::to_string(m) + " x " + std::to_string(depth) + ") * (" +
                std::to_string(depth) + " x " + std::to_string(n) + ") is not a product it is made for");
  TileArgs t{};
  t.a_rows = rows;
  t.run = depth;
  t.segments = 1;
  t.alpha = 1.0f;
  t.ldc = ldc;
  const auto set_b = [&](int64_t j0, int64_t /*cols*/) {
    t.b = b + j0;
    t.b_row = ldb;
  };
  const auto set_a = [&](int64_t i0) {  // column i of A: kernel row i / run, float i % run of that run
    for (int64_t r = 0; r < std::min(kTileRows, m - i0); ++r)
      t.a_offset[static_cast<size_t>(r)] = (i0 + r) / run * segment_step + (i0 + r) % run;
  };
  run_tiles(t, m, n, c, set_b, set_a);
}

#else  // not x86-64: OpenBLAS does every product

bool sgemm_avx512_suits(int64_t, int64_t, int64_t) { return false; }
bool sgemm_avx512_rows_suit(int64_t, int64_t, int64_t) { return false; }

void sgemm_avx512(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                  float*, int64_t) {
  throw Error("sgemm_avx512: this build is not for x86-64");
}

void sgemm_avx512_rows(int64_t, int64_t, int64_t, int64_t, const float* const*, int64_t, const float*, int64_t,
                       const float*, float, float*, int64_t) {
  throw Error("sgemm_avx512_rows: this build is not for x86-64");
}

void sgemm_avx512_rows_transposed(int64_t, int64_t, int64_t, int64_t, const float* const*, int64_t, const float*,
                                  int64_t, float*, int64_t) {
  throw Error("sgemm_avx512_rows_transposed: this build is not for x86-64");
}

#endif

}  // namespace elucid::kernels
