// The AVX512_BF16 product: C is cut into panels of 64 columns and each panel into tiles of up to 6 rows; a tile
// keeps its 6 x 64 float sums in 24 zmm registers while k runs, each step one packed row of B (4 vectors of 16
// pairs) times 6 broadcast pairs of A (vdpbf16ps: sum += a(2p) b(2p) + a(2p + 1) b(2p + 1) per column). k runs in
// blocks of kBlockPairs pairs so that a panel's block of B stays in L2; between blocks the sums rest in C (a float
// store and load, exact), so blocking never changes a bit. Column tails are masked stores, row tails smaller tiles.
#include <elucid/core/kernels/gemm_bf16.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/bf16.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace elucid::kernels {

#if defined(__x86_64__)

#define ELUCID_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

namespace {

constexpr int64_t kTileRows = 6;      // rows of C per tile: 6 x 4 accumulators leave 8 of 32 zmm for B and A
constexpr int64_t kPanelVectors = 4;  // 16-column vectors per panel
constexpr int64_t kPanelCols = 16 * kPanelVectors;
constexpr int64_t kBlockPairs = 512;  // pairs of k per block: a panel's block of B is 128 KB

void require_bf16(const char* op) {
  if (!cpu_has_avx512_bf16())
    throw Error(std::string(op) + ": this CPU has no AVX512_BF16 (vdpbf16ps); bf16 products need it");
}

// vpermw / vpermt2w indices: word i of the result is word index[i] of the source (of two sources: 32 + j is the
// second's word j). kInterleave: the first 16 words of a vector's two halves in turn (lo0, hi0, lo1, hi1, ...);
// kInterleaveLow / kInterleaveHigh: words 0..15 / 16..31 of two vectors in turn.
template <int First, int Second>
constexpr std::array<int16_t, 32> interleaving() {
  std::array<int16_t, 32> index{};
  for (size_t i = 0; i < 16; ++i) {
    index[2 * i] = static_cast<int16_t>(First + static_cast<int>(i));
    index[2 * i + 1] = static_cast<int16_t>(Second + static_cast<int>(i));
  }
  return index;
}
alignas(64) constexpr std::array<int16_t, 32> kInterleave = interleaving<0, 16>();
alignas(64) constexpr std::array<int16_t, 32> kInterleaveLow = interleaving<0, 32>();
alignas(64) constexpr std::array<int16_t, 32> kInterleaveHigh = interleaving<16, 48>();

__mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

// Where a tile's operands sit and what it does at the end.
struct TileArgs {
  const uint32_t* a;  // the tile's first row, at its block's first pair
  std::array<int64_t, kTileRows> a_offset;
  int64_t a_step;
  const uint32_t* b;  // the panel's first column, at the block's first pair; rows bf16_packed_cols(n) apart
  int64_t b_row;
  int64_t pairs;       // in this block
  bool first, last;    // first block: sums start at zero (else from c); last: bias and beta * c_old, else c = sums
  const float* bias;   // the panel's first column, or null
  float beta;
  const float* c_old;  // the tile's first element of the c to scale by beta (c itself, or a saved copy)
  int64_t ld_old;
  float* c;
  int64_t ldc;
  __mmask16 mask[kPanelVectors];
};

template <int R, int V>
ELUCID_BF16_TARGET void tile(const TileArgs& t) {
  __m512 sum[R][V];
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int64_t v = 0; v < V; ++v)
      sum[r][v] = t.first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(t.mask[v], t.c + r * t.ldc + 16 * v);
  int64_t a_offset[R];
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r) a_offset[r] = t.a_offset[static_cast<size_t>(r)];
  const uint32_t* a = t.a;
  const uint32_t* b = t.b;
  const int64_t a_step = t.a_step, b_row = t.b_row;
  for (int64_t p = 0; p < t.pairs; ++p, a += a_step, b += b_row) {
    __m512bh b_pairs[V];
#pragma GCC unroll 4
    for (int64_t v = 0; v < V; ++v) b_pairs[v] = (__m512bh)_mm512_loadu_si512(b + 16 * v);
#pragma GCC unroll 8
    for (int64_t r = 0; r < R; ++r) {
      const __m512bh a_pair = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[a_offset[r]]));
#pragma GCC unroll 4
      for (int64_t v = 0; v < V; ++v) sum[r][v] = _mm512_dpbf16_ps(sum[r][v], a_pair, b_pairs[v]);
    }
  }
  const __m512 beta = _mm512_set1_ps(t.beta);
#pragma GCC unroll 8
  for (int64_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int64_t v = 0; v < V; ++v) {
      __m512 out = sum[r][v];
      if (t.last) {
        if (t.bias) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(t.mask[v], t.bias + 16 * v));
        if (t.beta != 0.0f)
          out = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(t.mask[v], t.c_old + r * t.ld_old + 16 * v), out);
      }
      _mm512_mask_storeu_ps(t.c + r * t.ldc + 16 * v, t.mask[v], out);
    }
}

using TileFunction = void (*)(const TileArgs&);

template <int R>
constexpr std::array<TileFunction, kPanelVectors> tiles_of_rows() {
  return {tile<R, 1>, tile<R, 2>, tile<R, 3>, tile<R, 4>};
}

// kTiles[R - 1][V - 1] is the tile of R rows and V vectors.
constexpr std::array<std::array<TileFunction, kPanelVectors>, kTileRows> kTiles = {
    tiles_of_rows<1>(), tiles_of_rows<2>(), tiles_of_rows<3>(), tiles_of_rows<4>(), tiles_of_rows<5>(),
    tiles_of_rows<6>()};

}  // namespace

ELUCID_BF16_TARGET void bf16_pack_row(const float* x, int64_t k, uint32_t* dst) {
  // 32 floats (16 pairs) at a time: vcvtne2ps2bf16 puts lo's 16 then hi's 16 words, which is their memory order.
  for (int64_t i = 0; i < k; i += 32) {
    const __m512 lo = _mm512_maskz_loadu_ps(tail_mask(k - i), x + i);
    const __m512 hi = _mm512_maskz_loadu_ps(tail_mask(std::max<int64_t>(k - i - 16, 0)), x + i + 16);
    const __m512i words = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
    _mm512_mask_storeu_epi32(dst + i / 2, tail_mask(bf16_pairs(k - i)), words);
  }
}

ELUCID_BF16_TARGET void bf16_round_operand(const float* x, int64_t n, float* y) {
  // 16 floats at a time to 16 bf16 words, each widened back into the high half of a float (zero-masked forms of the
  // widening and the shift: GCC 12 warns of the plain ones' undefined pass-through operand).
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = tail_mask(n - i);
    const __m256i words = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, x + i));
    const __m512i widened = _mm512_maskz_cvtepu16_epi32(mask, words);
    _mm512_mask_storeu_epi32(y + i, mask, _mm512_maskz_slli_epi32(mask, widened, 16));
  }
}

ELUCID_BF16_TARGET void bf16_pack_interleaved(const float* lo, const float* hi, int64_t count, int64_t padded,
                                              uint32_t* dst) {
  const __m512i index = _mm512_load_si512(kInterleave.data());
  for (int64_t j = 0; j < padded; j += 16) {
    const __mmask16 mask = tail_mask(std::max<int64_t>(count - j, 0));
    const __m512 l = _mm512_maskz_loadu_ps(mask, lo + j);
    const __m512 h = hi ? _mm512_maskz_loadu_ps(mask, hi + j) : _mm512_setzero_ps();
    const __m512i words = _mm512_permutexvar_epi16(index, (__m512i)_mm512_cvtne2ps_pbh(h, l));
    _mm512_mask_storeu_epi32(dst + j, tail_mask(padded - j), words);
  }
}

ELUCID_BF16_TARGET void bf16_pack_segments(const float* x, int64_t segments, int64_t run, int64_t segment_step,
                                           uint32_t* dst) {
  // 16 floats at a time to 16 bf16 words, stored at the word where they sit in the row (masked: runs of any length
  // meet without overlapping); then the zero that pads an odd row.
  auto* words = reinterpret_cast<uint16_t*>(dst);
  for (int64_t s = 0; s < segments; ++s) {
    const float* src = x + s * segment_step;
    uint16_t* out = words + s * run;
    for (int64_t j = 0; j < run; j += 16) {
      const __mmask16 mask = tail_mask(run - j);
      const __m256i w = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + j));
      _mm256_mask_storeu_epi16(out + j, mask, w);
    }
  }
  if (segments * run % 2) _mm256_mask_storeu_epi16(words + segments * run, 1, _mm256_setzero_si256());
}

ELUCID_BF16_TARGET void bf16_pack_fields(const float* const* starts, int64_t count, int64_t segments, int64_t run,
                                         int64_t segment_step, uint32_t* dst, int64_t dst_row) {
  if (run > 16) {
    for (int64_t i = 0; i < count; ++i) bf16_pack_segments(starts[i], segments, run, segment_step, dst + i * dst_row);
    return;
  }
  // Runs of one vector or less (few channels): one masked load, conversion and store per run, no loop inside.
  const __mmask16 mask = tail_mask(run);
  const bool odd = segments * run % 2 != 0;
  for (int64_t i = 0; i < count; ++i) {
    const float* src = starts[i];
    auto* words = reinterpret_cast<uint16_t*>(dst + i * dst_row);
    for (int64_t s = 0; s < segments; ++s) {
      const __m256i w = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + s * segment_step));
      _mm256_mask_storeu_epi16(words + s * run, mask, w);
    }
    if (odd) _mm256_mask_storeu_epi16(words + segments * run, 1, _mm256_setzero_si256());
  }
}

ELUCID_BF16_TARGET void bf16_pack_field_pairs(const float* const* starts, int64_t count, int64_t segments,
                                              int64_t run, int64_t segment_step, uint32_t* dst) {
  // Per pair of rows and segment, 16 values of each row at a time: converted together and interleaved into the 16
  // pairs of taps s * run + j ... (contiguous in a row of dst).
  const __m512i index = _mm512_load_si512(kInterleave.data());
  const int64_t k = segments * run;
  for (int64_t p = 0; p < bf16_pairs(count); ++p) {
    const float* lo = starts[2 * p];
    const float* hi = 2 * p + 1 < count ? starts[2 * p + 1] : nullptr;
    uint32_t* out = dst + p * k;
    for (int64_t s = 0; s < segments; ++s)
      for (int64_t j = 0; j < run; j += 16) {
        const __mmask16 mask = tail_mask(run - j);
        const __m512 l = _mm512_maskz_loadu_ps(mask, lo + s * segment_step + j);
        const __m512 h = hi ? _mm512_maskz_loadu_ps(mask, hi + s * segment_step + j) : _mm512_setzero_ps();
        const __m512i words = _mm512_permutexvar_epi16(index, (__m512i)_mm512_cvtne2ps_pbh(h, l));
        _mm512_mask_storeu_epi32(out + s * run + j, mask, words);
      }
  }
}

ELUCID_BF16_TARGET void bf16_interleave_rows(const uint32_t* lo, const uint32_t* hi, int64_t count, uint32_t* dst) {
  const __m512i low = _mm512_load_si512(kInterleaveLow.data()), high = _mm512_load_si512(kInterleaveHigh.data());
  for (int64_t j = 0; j < count; j += 32) {  // 32 values: 16 pairs of each row
    const __mmask16 pairs = tail_mask(bf16_pairs(count - j));
    const __m512i l = _mm512_maskz_loadu_epi32(pairs, lo + j / 2);
    const __m512i h = hi ? _mm512_maskz_loadu_epi32(pairs, hi + j / 2) : _mm512_setzero_si512();
    _mm512_mask_storeu_epi32(dst + j, tail_mask(count - j), _mm512_permutex2var_epi16(l, low, h));
    if (count - j > 16)
      _mm512_mask_storeu_epi32(dst + j + 16, tail_mask(count - j - 16), _mm512_permutex2var_epi16(l, high, h));
  }
}

ELUCID_BF16_TARGET void bf16_pack_b(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb,
                                    uint32_t* packed) {
  const int64_t pairs = bf16_pairs(k), cols = bf16_packed_cols(n);
  if (!trans_b) {  // rows 2p and 2p + 1 of b, interleaved
    for (int64_t p = 0; p < pairs; ++p)
      bf16_pack_interleaved(b + 2 * p * ldb, 2 * p + 1 < k ? b + (2 * p + 1) * ldb : nullptr, n, cols,
                            packed + p * cols);
    return;
  }
  // op(b)(q, j) = b[j * ldb + q]: row j of b is column j's pairs in order. 16 rows at a time are paired into a
  // per-thread block (16, pairs), rows past n zero, and each pair's 16 columns gathered from it in one vector.
  thread_local std::vector<uint32_t> rows;
  if (static_cast<int64_t>(rows.size()) < 16 * pairs) rows.resize(static_cast<size_t>(16 * pairs));
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i index = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(static_cast<int>(pairs)));  // row j at j * pairs
  for (int64_t j0 = 0; j0 < n; j0 += 16) {
    for (int64_t j = 0; j < 16; ++j) {
      uint32_t* row = rows.data() + j * pairs;
      if (j0 + j < n)
        bf16_pack_row(b + (j0 + j) * ldb, k, row);
      else
        std::fill(row, row + pairs, 0u);
    }
    for (int64_t p = 0; p < pairs; ++p) {
      const __m512i column = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), static_cast<__mmask16>(0xffff), index,
                                                         rows.data() + p, 4);
      _mm512_storeu_si512(packed + p * cols + j0, column);
    }
  }
}

void bf16_gemm_packed(int64_t m, int64_t n, int64_t pairs, const uint32_t* a, int64_t a_row, int64_t a_step,
                      const uint32_t* b, const float* bias, float beta, float* c, int64_t ldc) {
  require_bf16("bf16_gemm_packed");
  if (m <= 0 || n <= 0) return;
  const int64_t b_row = bf16_packed_cols(n);
  const int64_t blocks = std::max<int64_t>(1, (pairs + kBlockPairs - 1) / kBlockPairs);
  // With several blocks the sums rest in c, so beta's c is saved first: one panel's columns (m, 64) at a time.
  thread_local std::vector<float> saved;
  const bool save = blocks > 1 && beta != 0.0f;
  if (save && static_cast<int64_t>(saved.size()) < m * kPanelCols) saved.resize(static_cast<size_t>(m * kPanelCols));
  TileArgs t{};
  t.a_step = a_step;
  t.b_row = b_row;
  t.beta = beta;
  t.ldc = ldc;
  for (int64_t j0 = 0; j0 < n; j0 += kPanelCols) {
    const int64_t cols = std::min(kPanelCols, n - j0), vectors = (cols + 15) / 16;
    for (int64_t v = 0; v < kPanelVectors; ++v) t.mask[v] = tail_mask(std::max<int64_t>(cols - 16 * v, 0));
    if (save)
      for (int64_t i = 0; i < m; ++i)
        std::copy(c + i * ldc + j0, c + i * ldc + j0 + cols, saved.data() + i * kPanelCols);
    t.bias = bias ? bias + j0 : nullptr;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t p0 = blk * kBlockPairs;
      t.pairs = std::min(kBlockPairs, pairs - p0);
      t.first = blk == 0;
      t.last = blk == blocks - 1;
      t.b = b + p0 * b_row + j0;
      for (int64_t i0 = 0; i0 < m; i0 += kTileRows) {
        const int64_t rows = std::min(kTileRows, m - i0);
        t.a = a + i0 * a_row + p0 * a_step;
        for (int64_t r = 0; r < kTileRows; ++r) t.a_offset[static_cast<size_t>(r)] = r * a_row;
        t.c = c + i0 * ldc + j0;
        t.c_old = save ? saved.data() + i0 * kPanelCols : t.c;
        t.ld_old = save ? kPanelCols : ldc;
        kTiles[static_cast<size_t>(rows - 1)][static_cast<size_t>(vectors - 1)](t);
      }
    }
  }
}

void sgemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  require_bf16("sgemm_bf16");
  if (m <= 0 || n <= 0) return;
  const int64_t pairs = bf16_pairs(k);
  // Both operands packed whole into per-thread buffers that only grow: A row-major pairs (m, pairs), or pair-major
  // (pairs, m) when it comes transposed (rows 2p and 2p + 1 of a interleaved); B as bf16_pack_b.
  thread_local std::vector<uint32_t> a_packed, b_packed;
  const int64_t a_size = m * pairs, b_size = pairs * bf16_packed_cols(n);
  if (static_cast<int64_t>(a_packed.size()) < a_size) a_packed.resize(static_cast<size_t>(a_size));
  if (static_cast<int64_t>(b_packed.size()) < b_size) b_packed.resize(static_cast<size_t>(b_size));
  if (trans_a) {  // op(a)(i, q) = a[q * lda + i]
    for (int64_t p = 0; p < pairs; ++p)
      bf16_pack_interleaved(a + 2 * p * lda, 2 * p + 1 < k ? a + (2 * p + 1) * lda : nullptr, m, m,
                            a_packed.data() + p * m);
  } else if (lda == k && k % 2 == 0) {  // rows back to back and no pair across two: one row of m * k values
    bf16_pack_row(a, m * k, a_packed.data());
  } else {
    for (int64_t i = 0; i < m; ++i) bf16_pack_row(a + i * lda, k, a_packed.data() + i * pairs);
  }
  bf16_pack_b(trans_b, k, n, b, ldb, b_packed.data());
  bf16_gemm_packed(m, n, pairs, a_packed.data(), trans_a ? 1 : pairs, trans_a ? m : 1, b_packed.data(), nullptr,
                   beta, c, ldc);
}

#else  // not x86-64: no AVX512_BF16

void bf16_round_operand(const float*, int64_t, float*) {
  throw Error("bf16_round_operand: this build is not for x86-64");
}
void bf16_pack_row(const float*, int64_t, uint32_t*) { throw Error("bf16_pack_row: this build is not for x86-64"); }
void bf16_pack_interleaved(const float*, const float*, int64_t, int64_t, uint32_t*) {
  throw Error("bf16_pack_interleaved: this build is not for x86-64");
}
void bf16_pack_segments(const float*, int64_t, int64_t, int64_t, uint32_t*) {
  throw Error("bf16_pack_segments: this build is not for x86-64");
}
void bf16_pack_fields(const float* const*, int64_t, int64_t, int64_t, int64_t, uint32_t*, int64_t) {
  throw Error("bf16_pack_fields: this build is not for x86-64");
}
void bf16_pack_field_pairs(const float* const*, int64_t, int64_t, int64_t, int64_t, uint32_t*) {
  throw Error("bf16_pack_field_pairs: this build is not for x86-64");
}
void bf16_interleave_rows(const uint32_t*, const uint32_t*, int64_t, uint32_t*) {
  throw Error("bf16_interleave_rows: this build is not for x86-64");
}
void bf16_pack_b(bool, int64_t, int64_t, const float*, int64_t, uint32_t*) {
  throw Error("bf16_pack_b: this build is not for x86-64");
}
void bf16_gemm_packed(int64_t, int64_t, int64_t, const uint32_t*, int64_t, int64_t, const uint32_t*, const float*,
                      float, float*, int64_t) {
  throw Error("bf16_gemm_packed: this build is not for x86-64 (bf16 products need AVX512_BF16)");
}
void sgemm_bf16(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*,
                int64_t) {
  throw Error("sgemm_bf16: this build is not for x86-64 (bf16 products need AVX512_BF16)");
}

#endif

}  // namespace elucid::kernels
