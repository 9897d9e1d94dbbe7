// Winograd F(4x4, 3x3), and F(6x6, 3x3) under bf16 where it saves products (tile_size), in blocks of tiles that keep
// their transformed inputs V (P, T, C) and products M (P, T, F), P = 36 or 64 positions, in the core's L2 cache:
// transform the block's input windows, run the P products, transform the products back into the block's outputs
// (the weight gradient: transform the windows and dy, and add the products over the tiles; the input gradient:
// transform dy, run the products with the kernel transposed, and add them back into the windows). The
// transforms are AVX-512 adds and FMAs over 16 channels at a time, each 2-D transform a 1-D one over the rows and
// then over the columns; the products are tiles of up to 12 rows by 32 columns (24 zmm accumulators), each element
// one FMA chain in order over C (over the tiles for the weight gradient).
#include <elucid/core/kernels/winograd.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/gemm_avx512.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace elucid::kernels {

namespace {

// Each tile is M x M outputs from the (M + 2) x (M + 2) input window around it: (M + 2)^2 products. M is 4,
// F(4x4, 3x3), or 6, F(6x6, 3x3) (tile_size).
template <int M>
constexpr int kWindowOf = M + 2;
template <int M>
constexpr int kPositionsOf = (M + 2) * (M + 2);

// Tiles per block: V (P, T, C) and M (P, T, F) together about 384 KB (Zen 4's L2 holds 1 MB), a whole number of
// product tiles.
constexpr int64_t kTileRows = 12;
constexpr int64_t kBlockFloats = int64_t{96} * 1024;
template <int M>
int64_t block_tiles(const Conv2DGeometry& g) {
  const int64_t tiles = kBlockFloats / (kPositionsOf<M> * (g.c + g.f));
  return std::max<int64_t>(kTileRows, tiles / kTileRows * kTileRows);
}

// Floats from one position's rows of V, M or the transformed dy to the next's in the scratch: the block's rows and
// one cache line more. The positions of a tile are read or written together (a window's transform, a tile's products
// transformed back); without the extra line their rows would sit a multiple of 2 or 4 KB apart for the usual channel
// counts and share a few sets of the L1 cache.
int64_t position_stride(int64_t block, int64_t channels) { return block * channels + 16; }

// The kernel's transforms, u = G w G^T, and their adjoints dw = G^T du G. F(4x4, 3x3): the points 0, 1, -1, 2, -2
// and infinity, G (6, 3); F(6x6, 3x3): 0, 1, -1, 2, -2, 1/2, -1/2 and infinity, G (8, 3).
template <size_t Rows, size_t Columns>
using Matrix = std::array<std::array<float, Columns>, Rows>;
constexpr Matrix<6, 3> kG4 = {{{1.0f / 4, 0.0f, 0.0f},
                               {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                               {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                               {1.0f / 24, 1.0f / 12, 1.0f / 6},
                               {1.0f / 24, -1.0f / 12, 1.0f / 6},
                               {0.0f, 0.0f, 1.0f}}};
constexpr Matrix<8, 3> kG6 = {{{1.0f, 0.0f, 0.0f},
                               {-2.0f / 9, -2.0f / 9, -2.0f / 9},
                               {-2.0f / 9, 2.0f / 9, -2.0f / 9},
                               {1.0f / 90, 1.0f / 45, 2.0f / 45},
                               {1.0f / 90, -1.0f / 45, 2.0f / 45},
                               {32.0f / 45, 16.0f / 45, 8.0f / 45},
                               {32.0f / 45, -16.0f / 45, 8.0f / 45},
                               {0.0f, 0.0f, 1.0f}}};
template <size_t I>
constexpr Matrix<3, I> transposed(const Matrix<I, 3>& g) {
  Matrix<3, I> t{};
  for (size_t i = 0; i < I; ++i)
    for (size_t j = 0; j < 3; ++j) t[j][i] = g[i][j];
  return t;
}

// Tiles per image: (tiles_h, tiles_w), the last row and column of tiles partly outside when OH or OW is not a
// multiple of M.
template <int M>
int64_t tiles_h(const Conv2DGeometry& g) {
  return (g.oh + M - 1) / M;
}
template <int M>
int64_t tiles_w(const Conv2DGeometry& g) {
  return (g.ow + M - 1) / M;
}
// Products of one channel pair over an image's tiles.
template <int M>
int64_t image_products(const Conv2DGeometry& g) {
  return kPositionsOf<M> * tiles_h<M>(g) * tiles_w<M>(g);
}

// The tile's outputs a side, 4 or 6. F(6x6, 3x3) takes 64 products for 36 outputs against F(4x4, 3x3)'s 36 for 16
// (1.78 an output against 2.25), but its constants (up to 32 and 1/90) round to about 2.4 times F(4x4, 3x3)'s error:
// far below bfloat16's (4e-3), so with g.bf16 it is taken where it saves at least a tenth of the products (its
// transforms cost more a tile); float32 keeps F(4x4, 3x3) (about 4e-6 of the outputs' largest value).
int tile_size(const Conv2DGeometry& g) {
  return g.bf16 && 10 * image_products<6>(g) <= 9 * image_products<4>(g) ? 6 : 4;
}

}  // namespace

bool winograd_suits(const Conv2DGeometry& g) {
  // sgemm_avx512_suits: an AVX-512F CPU (the direct kernels this stands in for need it too), C and F <= 1024. The
  // tiles may cover at most twice the outputs: measured on Zen 4 (elucid-kernel-bench, forward and backward), 3x3
  // outputs (one tile of 16 for 9, 1.78x) ran in 0.87 of the direct kernels' time and 13x13 (16x16, 1.51x) in 0.9,
  // but 5x5 (8x8, 2.56x) took 1.4 times as long. Against the bf16 kernels, which multiply at twice the rate, at most
  // 1.6 times: 2.25 float32 products an output a tile covers against 4.5 bf16 ones (9 at twice the rate), and the
  // transforms' share on top; measured, the 3x3 outputs' forward (1.78x) was slower than the bf16 kernels' and
  // 11x11 outputs (12x12, 1.19x) were 0.9 of theirs, forward and backward.
  const int64_t covered = int64_t{16} * tiles_h<4>(g) * tiles_w<4>(g), outputs = g.oh * g.ow;
  const bool tiles_fit = g.bf16 ? 5 * covered <= 8 * outputs : covered <= 2 * outputs;
  return (!g.bf16 || cpu_has_avx512_bf16()) && g.kh == 3 && g.kw == 3 && g.stride_h == 1 && g.stride_w == 1 &&
         g.dilation_h == 1 && g.dilation_w == 1 && g.pad_top >= 0 && g.pad_top <= 2 && g.pad_left >= 0 &&
         g.pad_left <= 2 && g.h > 0 && g.w > 0 && g.oh > 0 && g.ow > 0 && g.c > 0 && g.f > 0 && g.c % 16 == 0 &&
         g.f % 16 == 0 && sgemm_avx512_suits(1, g.f, g.c) && tiles_fit;
}

namespace {
int64_t positions(const Conv2DGeometry& g) { return tile_size(g) == 6 ? kPositionsOf<6> : kPositionsOf<4>; }
}  // namespace

int64_t winograd_kernel_floats(const Conv2DGeometry& g) { return positions(g) * g.c * g.f; }

int64_t winograd_scratch_floats(const Conv2DGeometry& g) {
  const int64_t block = tile_size(g) == 6 ? block_tiles<6>(g) : block_tiles<4>(g);
  return positions(g) * (position_stride(block, g.c) + position_stride(block, g.f));
}

int64_t winograd_weight_gradient_scratch_floats(const Conv2DGeometry& g) {
  return winograd_scratch_floats(g) + positions(g) * g.c * g.f;
}

#if defined(__x86_64__)

namespace {

// out (O, O, C, F) = L in L^T for every (c, f), in (I, I, C, F), L (O, I): the elements e = c * F + f of each (C, F)
// matrix in blocks of 64 (innermost, so that the loops vectorise; C * F is a multiple of 256, as C and F are of 16 in
// every convolution winograd_suits). A block's I * I rows of in are copied into a local array first and its O * O
// rows of out written from one: the rows sit C * F floats apart, a multiple of 4 KB for the usual channel counts, so
// read and written in place they would all fall into the same few sets of the L1 cache and evict each other (about
// twice as slow). Each sum in order of its index: t = L in, then out = t L^T. Compiled for AVX-512 (Winograd runs on
// AVX-512 CPUs alone), whose FMAs the compiler may contract the sums into: the same bits on every such CPU.
template <size_t O, size_t I>
__attribute__((target("avx512f"))) void transform_pairs(const Matrix<O, I>& L, const float* in, int64_t cf,
                                                        float* out) {
  constexpr int64_t kBlock = 64;
  constexpr int kO = static_cast<int>(O), kI = static_cast<int>(I);
  alignas(64) float local_in[I][I][kBlock];
  alignas(64) float t[O][I][kBlock];
  alignas(64) float local_out[O][O][kBlock];
  for (int64_t e0 = 0; e0 < cf; e0 += kBlock) {
    for (int a = 0; a < kI; ++a)
      for (int b = 0; b < kI; ++b) std::copy_n(in + (a * kI + b) * cf + e0, kBlock, local_in[a][b]);
    for (int i = 0; i < kO; ++i)
      for (int b = 0; b < kI; ++b)
        for (int64_t e = 0; e < kBlock; ++e) {
          float sum = L[i][0] * local_in[0][b][e];
          for (int a = 1; a < kI; ++a) sum += L[i][a] * local_in[a][b][e];
          t[i][b][e] = sum;
        }
    for (int i = 0; i < kO; ++i)
      for (int j = 0; j < kO; ++j)
        for (int64_t e = 0; e < kBlock; ++e) {
          float sum = t[i][0][e] * L[j][0];
          for (int b = 1; b < kI; ++b) sum += t[i][b][e] * L[j][b];
          local_out[i][j][e] = sum;
        }
    for (int i = 0; i < kO; ++i)
      for (int j = 0; j < kO; ++j) std::copy_n(local_out[i][j], kBlock, out + (i * kO + j) * cf + e0);
  }
}

// Zeros for the cells of a window outside the image: as many as a pixel has channels at most (sgemm_avx512_suits).
constexpr int64_t kMaxChannels = 1024;
alignas(64) constexpr float kZeros[kMaxChannels] = {};

// The three 1-D transforms, each on 16 channels at once; a 2-D transform is the 1-D one over the rows, then over the
// columns of the result.

// t = B^T d for 6 values d, B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
// 0 4 0 -5 0 1] (the input window's transform).
__attribute__((target("avx512f"), always_inline)) inline void window_transform(const __m512 (&d)[6],
                                                                              __m512 (&t)[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  t[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));  // 4 d0 - 5 d2 + d4
  t[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(d[1], d[2]), _mm512_add_ps(d[3], d[4]));
  t[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(d[1], d[2]), _mm512_sub_ps(d[4], d[3]));
  const __m512 d42 = _mm512_sub_ps(d[4], d[2]), d31 = _mm512_sub_ps(d[3], d[1]);
  t[3] = _mm512_fmadd_ps(two, d31, d42);   // -2 d1 - d2 + 2 d3 + d4
  t[4] = _mm512_fnmadd_ps(two, d31, d42);  // 2 d1 - d2 - 2 d3 + d4
  t[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));  // 4 d1 - 5 d3 + d5
}

// d = B t for 6 values t, the adjoint of window_transform (B^T's columns as rows): d = (4 t0, 4 (t2 - t1) + 2 (t4 -
// t3) + 4 t5, -5 t0 - 4 (t1 + t2) - (t3 + t4), (t1 - t2) + 2 (t3 - t4) - 5 t5, t0 + t1 + t2 + t3 + t4, t5).
__attribute__((target("avx512f"), always_inline)) inline void window_transform_adjoint(const __m512 (&t)[6],
                                                                                      __m512 (&d)[6]) {
  const __m512 zero = _mm512_setzero_ps(), two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f);
  const __m512 five = _mm512_set1_ps(5.0f);
  const __m512 s12 = _mm512_add_ps(t[1], t[2]), d21 = _mm512_sub_ps(t[2], t[1]);
  const __m512 s34 = _mm512_add_ps(t[3], t[4]), d43 = _mm512_sub_ps(t[4], t[3]);
  d[0] = _mm512_mul_ps(four, t[0]);
  d[1] = _mm512_fmadd_ps(four, _mm512_add_ps(d21, t[5]), _mm512_mul_ps(two, d43));
  d[2] = _mm512_sub_ps(zero, _mm512_fmadd_ps(five, t[0], _mm512_fmadd_ps(four, s12, s34)));
  d[3] = _mm512_sub_ps(zero, _mm512_fmadd_ps(five, t[5], _mm512_fmadd_ps(two, d43, d21)));
  d[4] = _mm512_add_ps(_mm512_add_ps(t[0], s12), s34);
  d[5] = t[5];
}

// o = A^T m for 6 values m, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] (the products' transform
// into outputs).
__attribute__((target("avx512f"), always_inline)) inline void product_transform(const __m512 (&m)[6],
                                                                               __m512 (&o)[4]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), eight = _mm512_set1_ps(8.0f);
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  const __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
  o[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
  o[1] = _mm512_fmadd_ps(two, d34, d12);
  o[2] = _mm512_fmadd_ps(four, s34, s12);
  o[3] = _mm512_add_ps(_mm512_fmadd_ps(eight, d34, d12), m[5]);
}

// r = A g for 4 values g (the adjoint of product_transform: an output gradient's transform for the weight
// gradient): r = (g0, g0 + g1 + g2 + g3, g0 - g1 + g2 - g3, g0 + 2 g1 + 4 g2 + 8 g3, g0 - 2 g1 + 4 g2 - 8 g3, g3).
__attribute__((target("avx512f"), always_inline)) inline void gradient_transform(const __m512 (&g)[4],
                                                                                __m512 (&r)[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f);
  const __m512 s02 = _mm512_add_ps(g[0], g[2]), s13 = _mm512_add_ps(g[1], g[3]);
  const __m512 p = _mm512_fmadd_ps(four, g[2], g[0]), q = _mm512_fmadd_ps(four, g[3], g[1]);  // g0 + 4 g2, g1 + 4 g3
  r[0] = g[0];
  r[1] = _mm512_add_ps(s02, s13);
  r[2] = _mm512_sub_ps(s02, s13);
  r[3] = _mm512_fmadd_ps(two, q, p);
  r[4] = _mm512_fnmadd_ps(two, q, p);
  r[5] = g[3];
}

// c x + y, 16 values at once.
__attribute__((target("avx512f"), always_inline)) inline __m512 times_plus(float c, __m512 x, __m512 y) {
  return _mm512_fmadd_ps(_mm512_set1_ps(c), x, y);
}

// F(6x6, 3x3)'s three: t = B^T d for 8 values d (rows of B^T: 1 0 -21/4 0 21/4 0 -1 0; 0 1 1 -17/4 -17/4 1 1 0;
// 0 -1 1 17/4 -17/4 -1 1 0; 0 1/2 1/4 -5/2 -5/4 2 1 0; 0 -1/2 1/4 5/2 -5/4 -2 1 0; 0 2 4 -5/2 -5 1/2 1 0;
// 0 -2 4 5/2 -5 -1/2 1 0; 0 -1 0 21/4 0 -21/4 0 1), the rows in pairs a + b, a - b.
__attribute__((target("avx512f"), always_inline)) inline void window_transform(const __m512 (&d)[8],
                                                                              __m512 (&t)[8]) {
  const __m512 c5_25 = _mm512_set1_ps(5.25f), c4_25 = _mm512_set1_ps(4.25f), c2_5 = _mm512_set1_ps(2.5f);
  const __m512 c1_25 = _mm512_set1_ps(1.25f), c0_5 = _mm512_set1_ps(0.5f), c0_25 = _mm512_set1_ps(0.25f);
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  t[0] = _mm512_fmadd_ps(c5_25, _mm512_sub_ps(d[4], d[2]), _mm512_sub_ps(d[0], d[6]));
  t[7] = _mm512_fmadd_ps(c5_25, _mm512_sub_ps(d[3], d[5]), _mm512_sub_ps(d[7], d[1]));
  __m512 a = _mm512_fnmadd_ps(c4_25, d[4], _mm512_add_ps(d[2], d[6]));  // d2 + d6 - 17/4 d4
  __m512 b = _mm512_fnmadd_ps(c4_25, d[3], _mm512_add_ps(d[1], d[5]));  // d1 + d5 - 17/4 d3
  t[1] = _mm512_add_ps(a, b);
  t[2] = _mm512_sub_ps(a, b);
  a = _mm512_fnmadd_ps(c1_25, d[4], _mm512_fmadd_ps(c0_25, d[2], d[6]));                    // 1/4 d2 - 5/4 d4 + d6
  b = _mm512_fmadd_ps(two, d[5], _mm512_fnmadd_ps(c2_5, d[3], _mm512_mul_ps(c0_5, d[1])));  // d1/2 - 5/2 d3 + 2 d5
  t[3] = _mm512_add_ps(a, b);
  t[4] = _mm512_sub_ps(a, b);
  a = _mm512_fnmadd_ps(five, d[4], _mm512_fmadd_ps(four, d[2], d[6]));                      // 4 d2 - 5 d4 + d6
  b = _mm512_fmadd_ps(c0_5, d[5], _mm512_fnmadd_ps(c2_5, d[3], _mm512_mul_ps(two, d[1])));  // 2 d1 - 5/2 d3 + d5/2
  t[5] = _mm512_add_ps(a, b);
  t[6] = _mm512_sub_ps(a, b);
}

// o = A^T m for 8 values m, A^T's rows (1, 1, 1, 1, 1, 1, 1, 0) and (0, 1, -1, 2^k, -2^k, 2^-k, -2^-k, 0) for k = 1
// to 5 with signs alternating by k (the last row also + m7).
__attribute__((target("avx512f"), always_inline)) inline void product_transform(const __m512 (&m)[8],
                                                                               __m512 (&o)[6]) {
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  const __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
  const __m512 s56 = _mm512_add_ps(m[5], m[6]), d56 = _mm512_sub_ps(m[5], m[6]);
  o[0] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(m[0], s12), s34), s56);
  o[1] = times_plus(0.5f, d56, times_plus(2.0f, d34, d12));
  o[2] = times_plus(0.25f, s56, times_plus(4.0f, s34, s12));
  o[3] = times_plus(0.125f, d56, times_plus(8.0f, d34, d12));
  o[4] = times_plus(0.0625f, s56, times_plus(16.0f, s34, s12));
  o[5] = _mm512_add_ps(times_plus(0.03125f, d56, times_plus(32.0f, d34, d12)), m[7]);
}

// r = A g for 6 values g (the adjoint of the one above): r0 = g0, r7 = g5, and for x = 1, -1, 2, -2, 1/2, -1/2 the
// sums g0 + g1 x + ... + g5 x^5, as even and odd parts.
__attribute__((target("avx512f"), always_inline)) inline void gradient_transform(const __m512 (&g)[6],
                                                                                __m512 (&r)[8]) {
  r[0] = g[0];
  __m512 even = _mm512_add_ps(_mm512_add_ps(g[0], g[2]), g[4]), odd = _mm512_add_ps(_mm512_add_ps(g[1], g[3]), g[5]);
  r[1] = _mm512_add_ps(even, odd);
  r[2] = _mm512_sub_ps(even, odd);
  even = times_plus(16.0f, g[4], times_plus(4.0f, g[2], g[0]));
  odd = times_plus(32.0f, g[5], times_plus(8.0f, g[3], _mm512_mul_ps(_mm512_set1_ps(2.0f), g[1])));
  r[3] = _mm512_add_ps(even, odd);
  r[4] = _mm512_sub_ps(even, odd);
  even = times_plus(0.0625f, g[4], times_plus(0.25f, g[2], g[0]));
  odd = times_plus(0.03125f, g[5], times_plus(0.125f, g[3], _mm512_mul_ps(_mm512_set1_ps(0.5f), g[1])));
  r[5] = _mm512_add_ps(even, odd);
  r[6] = _mm512_sub_ps(even, odd);
  r[7] = g[5];
}

// d = B t for 8 values t, the adjoint of F(6x6, 3x3)'s window_transform (B^T's columns as rows), in sums and
// differences of the pairs (t1, t2), (t3, t4), (t5, t6).
__attribute__((target("avx512f"), always_inline)) inline void window_transform_adjoint(const __m512 (&t)[8],
                                                                                      __m512 (&d)[8]) {
  const __m512 s12 = _mm512_add_ps(t[1], t[2]), d12 = _mm512_sub_ps(t[1], t[2]);
  const __m512 s34 = _mm512_add_ps(t[3], t[4]), d34 = _mm512_sub_ps(t[3], t[4]);
  const __m512 s56 = _mm512_add_ps(t[5], t[6]), d56 = _mm512_sub_ps(t[5], t[6]);
  d[0] = t[0];
  d[1] = _mm512_sub_ps(times_plus(2.0f, d56, times_plus(0.5f, d34, d12)), t[7]);  // d12 + d34 / 2 + 2 d56 - t7
  d[2] = times_plus(4.0f, s56, times_plus(0.25f, s34, times_plus(-5.25f, t[0], s12)));
  const __m512 d12_scaled = _mm512_mul_ps(_mm512_set1_ps(-4.25f), d12);
  const __m512 t0_scaled = _mm512_mul_ps(_mm512_set1_ps(5.25f), t[0]);
  d[3] = times_plus(5.25f, t[7], times_plus(-2.5f, d56, times_plus(-2.5f, d34, d12_scaled)));
  d[4] = times_plus(-5.0f, s56, times_plus(-1.25f, s34, times_plus(-4.25f, s12, t0_scaled)));
  d[5] = times_plus(-5.25f, t[7], times_plus(0.5f, d56, times_plus(2.0f, d34, d12)));
  d[6] = _mm512_add_ps(_mm512_add_ps(_mm512_sub_ps(s12, t[0]), s34), s56);  // -t0 + s12 + s34 + s56
  d[7] = t[7];
}

// v (P positions, row step ldv) = B^T d B for the window d (M + 2 by M + 2) of an image (H, W, C) whose pixels start
// at `at` (kZeros outside the image), channels [c0, c0 + 16) of each.
template <int M>
__attribute__((target("avx512f"))) void transform_window(const float* const (&at)[M + 2][M + 2], int64_t c0,
                                                         float* v, int64_t ldv) {
  constexpr int W = kWindowOf<M>;
  __m512 e[W][W];  // d B, row by row
  for (int i = 0; i < W; ++i) {
    __m512 d[W];
    for (int j = 0; j < W; ++j) d[j] = _mm512_loadu_ps(at[i][j] + c0);
    window_transform(d, e[i]);
  }
  for (int j = 0; j < W; ++j) {
    __m512 column[W], t[W];
    for (int i = 0; i < W; ++i) column[i] = e[i][j];
    window_transform(column, t);
    for (int i = 0; i < W; ++i) _mm512_storeu_ps(v + (i * W + j) * ldv, t[i]);
  }
}

// The adjoint of transform_window: B q B^T for a tile's positions q (row step ldq), channels [c0, c0 + 16), added
// into the pixels of its window at `at` (null outside the image).
template <int M>
__attribute__((target("avx512f"))) void transform_window_adjoint(const float* q, int64_t ldq, int64_t c0,
                                                                 float* const (&at)[M + 2][M + 2]) {
  constexpr int W = kWindowOf<M>;
  __m512 e[W][W];  // B q, column by column
  for (int j = 0; j < W; ++j) {
    __m512 column[W], r[W];
    for (int i = 0; i < W; ++i) column[i] = _mm512_loadu_ps(q + (i * W + j) * ldq);
    window_transform_adjoint(column, r);
    for (int i = 0; i < W; ++i) e[i][j] = r[i];
  }
  for (int i = 0; i < W; ++i) {
    __m512 d[W];
    window_transform_adjoint(e[i], d);
    for (int j = 0; j < W; ++j)
      if (at[i][j]) _mm512_storeu_ps(at[i][j] + c0, _mm512_add_ps(_mm512_loadu_ps(at[i][j] + c0), d[j]));
  }
}

// A tile's outputs, channels [f0, f0 + 16): A^T m A (+ bias), m the P positions' products (row step ldm); written
// (added to when kAdd) at out[i][j] where not null (outside the output).
template <int M, bool kAdd>
__attribute__((target("avx512f"))) void transform_products(const float* m, int64_t ldm, const float* bias, int64_t f0,
                                                           float* const (&out)[M][M]) {
  constexpr int W = kWindowOf<M>;
  __m512 s[M][W];  // A^T m, column by column
  for (int j = 0; j < W; ++j) {
    __m512 column[W], o[M];
    for (int i = 0; i < W; ++i) column[i] = _mm512_loadu_ps(m + (i * W + j) * ldm);
    product_transform(column, o);
    for (int i = 0; i < M; ++i) s[i][j] = o[i];
  }
  const __m512 b = bias ? _mm512_loadu_ps(bias + f0) : _mm512_setzero_ps();
  for (int i = 0; i < M; ++i) {
    __m512 y[M];
    product_transform(s[i], y);
    for (int j = 0; j < M; ++j) {
      if (!out[i][j]) continue;
      float* at = out[i][j] + f0;
      __m512 value = bias ? _mm512_add_ps(y[j], b) : y[j];
      if constexpr (kAdd) value = _mm512_add_ps(_mm512_loadu_ps(at), value);
      _mm512_storeu_ps(at, value);
    }
  }
}

// d (P positions, row step ldd) = A dy A^T for a tile's M x M outputs dy (kZeros outside the output), channels
// [f0, f0 + 16): the adjoint of transform_products.
template <int M>
__attribute__((target("avx512f"))) void transform_output_gradient(const float* const (&dy)[M][M], int64_t f0,
                                                                  float* d, int64_t ldd) {
  constexpr int W = kWindowOf<M>;
  __m512 h[M][W];  // dy A^T, row by row
  for (int i = 0; i < M; ++i) {
    __m512 g[M];
    for (int j = 0; j < M; ++j) g[j] = _mm512_loadu_ps(dy[i][j] + f0);
    gradient_transform(g, h[i]);
  }
  for (int j = 0; j < W; ++j) {
    __m512 column[M], r[W];
    for (int i = 0; i < M; ++i) column[i] = h[i][j];
    gradient_transform(column, r);
    for (int i = 0; i < W; ++i) _mm512_storeu_ps(d + (i * W + j) * ldd, r[i]);
  }
}

// c (R, 16 * V) = a (R, depth) * b (depth, 16 * V; row step ldb), a(r, k) at a[r * a_row + k * a_step]: R x V
// accumulators, each element one FMA chain over depth, from 0 or, when kAccumulate, from c's value.
template <int R, int V, bool kAccumulate>
__attribute__((target("avx512f"))) void product_tile(const float* a, int64_t a_row, int64_t a_step, const float* b,
                                                     int64_t ldb, float* c, int64_t ldc, int64_t depth) {
  __m512 acc[R][V];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int64_t v = 0; v < V; ++v) acc[r][v] = kAccumulate ? _mm512_loadu_ps(c + r * ldc + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < depth; ++k) {
    __m512 bk[V];
#pragma GCC unroll 2
    for (int64_t v = 0; v < V; ++v) bk[v] = _mm512_loadu_ps(b + k * ldb + 16 * v);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r * a_row + k * a_step]);
#pragma GCC unroll 2
      for (int64_t v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(ar, bk[v], acc[r][v]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int64_t v = 0; v < V; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
}

using ProductTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, int64_t);
template <int V, bool kAccumulate, size_t... R>
constexpr std::array<ProductTile, kTileRows> product_tiles(std::index_sequence<R...>) {
  return {&product_tile<static_cast<int>(R) + 1, V, kAccumulate>...};
}
// kProductTiles[kAccumulate][V - 1][R - 1]: the tile of R rows and V vectors.
constexpr auto kRows = std::make_index_sequence<kTileRows>();
constexpr std::array<std::array<std::array<ProductTile, kTileRows>, 2>, 2> kProductTiles = {{
    {product_tiles<1, false>(kRows), product_tiles<2, false>(kRows)},
    {product_tiles<1, true>(kRows), product_tiles<2, true>(kRows)},
}};

// c (rows, n) = (or += when `accumulate`) a (rows, depth) * b (depth, n), n a multiple of 16, a(r, k) at
// a[r * a_row + k * a_step]: tiles of up to 12 rows by 32 columns.
void product(const float* a, int64_t a_row, int64_t a_step, int64_t rows, int64_t depth, const float* b, int64_t n,
             bool accumulate, float* c) {
  for (int64_t j = 0; j < n; j += 32) {
    const int64_t vectors = std::min<int64_t>(2, (n - j) / 16);
    for (int64_t i = 0; i < rows; i += kTileRows) {
      const int64_t r = std::min(kTileRows, rows - i);
      kProductTiles[accumulate][vectors - 1][r - 1](a + i * a_row, a_row, a_step, b + j, n, c + i * n + j, n, depth);
    }
  }
}

// out[p] (count, n) = in[p] (count, depth) * kernel[p] (depth, n) for the tile's P positions p, in[p] and out[p]
// ld_in and ld_out floats apart: one FMA chain per element over depth.
template <int M>
void position_products(const float* in, int64_t ld_in, int64_t count, int64_t depth, const float* kernel, int64_t n,
                       float* out, int64_t ld_out) {
  for (int p = 0; p < kPositionsOf<M>; ++p)
    product(in + p * ld_in, depth, 1, count, depth, kernel + p * depth * n, n, false, out + p * ld_out);
}

// Tile t of images (samples, tiles_h, tiles_w): its image and the row and column of its first output.
struct TilePlace {
  int64_t image, row, column;
};
template <int M>
TilePlace place_of(const Conv2DGeometry& g, int64_t t) {
  const int64_t per_image = tiles_h<M>(g) * tiles_w<M>(g), in_image = t % per_image;
  return {t / per_image, M * (in_image / tiles_w<M>(g)), M * (in_image % tiles_w<M>(g))};
}

// at[i][j] = where pixel (i, j) of tile t's window sits in images x (samples, H, W, C), `outside` where it falls
// outside the image. The window of a tile whose first output is (row, column) starts at (row - pad_top, column -
// pad_left).
template <int M, typename T>
void window_pixels(const Conv2DGeometry& g, T* x, int64_t t, T* outside, T* (&at)[M + 2][M + 2]) {
  const TilePlace tile = place_of<M>(g, t);
  T* image = x + tile.image * g.h * g.w * g.c;
  for (int i = 0; i < M + 2; ++i)
    for (int j = 0; j < M + 2; ++j) {
      const int64_t iy = tile.row - g.pad_top + i, ix = tile.column - g.pad_left + j;
      at[i][j] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? image + (iy * g.w + ix) * g.c : outside;
    }
}

// The windows of tiles [t0, t0 + count) of images x, transformed: v (P, count, C), position p's rows from v + p * ldv.
template <int M>
void transform_windows(const Conv2DGeometry& g, const float* x, int64_t t0, int64_t count, float* v, int64_t ldv) {
  for (int64_t tl = 0; tl < count; ++tl) {
    const float* at[M + 2][M + 2];
    window_pixels<M>(g, x, t0 + tl, kZeros, at);
    for (int64_t c0 = 0; c0 < g.c; c0 += 16) transform_window<M>(at, c0, v + tl * g.c + c0, ldv);
  }
}

// out[i][j] = where tile t's output (row + i, column + j) sits in y (samples, OH, OW, F), null outside the output.
template <int M, typename T>
void tile_outputs(const Conv2DGeometry& g, T* y, int64_t t, T* (&out)[M][M]) {
  const TilePlace tile = place_of<M>(g, t);
  T* image = y + tile.image * g.oh * g.ow * g.f;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < M; ++j) {
      const int64_t oy = tile.row + i, ox = tile.column + j;
      out[i][j] = oy < g.oh && ox < g.ow ? image + (oy * g.ow + ox) * g.f : nullptr;
    }
}

// The output gradients of tiles [t0, t0 + count) of dy (samples, OH, OW, F), transformed: d (P, count, F) = A dy A^T
// per tile (zeros outside the output), position p's rows from d + p * ldd.
template <int M>
void transform_output_gradients(const Conv2DGeometry& g, const float* dy, int64_t t0, int64_t count, float* d,
                                int64_t ldd) {
  for (int64_t tl = 0; tl < count; ++tl) {
    const float* at[M][M];
    tile_outputs<M>(g, dy, t0 + tl, at);
    for (auto& row : at)
      for (const float*& cell : row) cell = cell ? cell : kZeros;  // outside the output: zeros
    for (int64_t f0 = 0; f0 < g.f; f0 += 16) transform_output_gradient<M>(at, f0, d + tl * g.f + f0, ldd);
  }
}

// winograd_forward on tiles of M x M outputs.
template <int M>
void forward_tiles(const Conv2DGeometry& g, const float* x, int64_t samples, const float* u, const float* b, bool add,
                   float* y, float* scratch) {
  constexpr int P = kPositionsOf<M>;
  const int64_t tiles = samples * tiles_h<M>(g) * tiles_w<M>(g), block = block_tiles<M>(g);
  const int64_t ldv = position_stride(block, g.c), ldm = position_stride(block, g.f);
  float* v = scratch;            // (P, block, C), positions ldv apart
  float* m = scratch + P * ldv;  // (P, block, F), positions ldm apart
  for (int64_t t0 = 0; t0 < tiles; t0 += block) {
    const int64_t count = std::min(block, tiles - t0);
    transform_windows<M>(g, x, t0, count, v, ldv);
    position_products<M>(v, ldv, count, g.c, u, g.f, m, ldm);
    for (int64_t tl = 0; tl < count; ++tl) {
      float* out[M][M];
      tile_outputs<M>(g, y, t0 + tl, out);
      for (int64_t f0 = 0; f0 < g.f; f0 += 16) {
        if (add)
          transform_products<M, true>(m + tl * g.f + f0, ldm, b, f0, out);
        else
          transform_products<M, false>(m + tl * g.f + f0, ldm, b, f0, out);
      }
    }
  }
}

// winograd_weight_gradient on tiles of M x M outputs; gt = G^T, the adjoint of the kernel's transform.
template <int M, size_t I>
void weight_gradient_tiles(const Conv2DGeometry& g, const float* x, int64_t samples, const float* dy,
                           const Matrix<3, I>& gt, float* dw, float* scratch) {
  constexpr int P = kPositionsOf<M>;
  const int64_t tiles = samples * tiles_h<M>(g) * tiles_w<M>(g), block = block_tiles<M>(g), cf = g.c * g.f;
  const int64_t ldv = position_stride(block, g.c), ldd = position_stride(block, g.f);
  float* v = scratch;                     // (P, block, C), positions ldv apart
  float* d = scratch + P * ldv;           // (P, block, F), positions ldd apart
  float* du = scratch + P * (ldv + ldd);  // (P, C, F)
  for (int64_t t0 = 0; t0 < tiles; t0 += block) {
    const int64_t count = std::min(block, tiles - t0);
    transform_windows<M>(g, x, t0, count, v, ldv);
    transform_output_gradients<M>(g, dy, t0, count, d, ldd);
    // du[p] (C, F) += v[p]^T (C, count) * d[p] (count, F): one FMA chain per element over the chunk's tiles in order.
    for (int p = 0; p < P; ++p) product(v + p * ldv, 1, g.c, g.c, count, d + p * ldd, g.f, t0 > 0, du + p * cf);
  }
  transform_pairs(gt, du, cf, dw);  // dw (3, 3, C, F) = G^T du G per (c, f)
}

// winograd_input_gradient on tiles of M x M outputs.
template <int M>
void input_gradient_tiles(const Conv2DGeometry& g, const float* dy, int64_t samples, const float* ut, bool add,
                          float* dx, float* scratch) {
  constexpr int P = kPositionsOf<M>;
  const int64_t tiles = samples * tiles_h<M>(g) * tiles_w<M>(g), block = block_tiles<M>(g);
  const int64_t ldd = position_stride(block, g.f), ldq = position_stride(block, g.c);
  float* d = scratch;            // (P, block, F), positions ldd apart
  float* q = scratch + P * ldd;  // (P, block, C), positions ldq apart
  if (!add) std::fill_n(dx, samples * g.h * g.w * g.c, 0.0f);
  for (int64_t t0 = 0; t0 < tiles; t0 += block) {
    const int64_t count = std::min(block, tiles - t0);
    transform_output_gradients<M>(g, dy, t0, count, d, ldd);
    position_products<M>(d, ldd, count, g.f, ut, g.c, q, ldq);  // q[p] (count, C) = d[p] (count, F) * ut[p] (F, C)
    // Each tile's window gets B q B^T, the tiles in order (neighbouring windows share 2 rows or columns).
    for (int64_t tl = 0; tl < count; ++tl) {
      float* at[M + 2][M + 2];
      window_pixels<M>(g, dx, t0 + tl, static_cast<float*>(nullptr), at);
      for (int64_t c0 = 0; c0 < g.c; c0 += 16) transform_window_adjoint<M>(q + tl * g.c + c0, ldq, c0, at);
    }
  }
}

}  // namespace

void winograd_transform_kernel(const Conv2DGeometry& g, const float* w, float* u) {
  if (!winograd_suits(g)) throw Error("winograd_transform_kernel: called for a convolution it does not suit");
  if (tile_size(g) == 6)
    transform_pairs(kG6, w, g.c * g.f, u);  // u = G w G^T per (c, f)
  else
    transform_pairs(kG4, w, g.c * g.f, u);
}

void winograd_forward(const Conv2DGeometry& g, const float* x, int64_t samples, const float* u, const float* b,
                      bool add, float* y, float* scratch) {
  if (!winograd_suits(g)) throw Error("winograd_forward: called for a convolution it does not suit");
  if (tile_size(g) == 6)
    forward_tiles<6>(g, x, samples, u, b, add, y, scratch);
  else
    forward_tiles<4>(g, x, samples, u, b, add, y, scratch);
}

void winograd_weight_gradient(const Conv2DGeometry& g, const float* x, int64_t samples, const float* dy, float* dw,
                              float* scratch) {
  if (!winograd_suits(g)) throw Error("winograd_weight_gradient: called for a convolution it does not suit");
  if (tile_size(g) == 6)
    weight_gradient_tiles<6>(g, x, samples, dy, transposed(kG6), dw, scratch);
  else
    weight_gradient_tiles<4>(g, x, samples, dy, transposed(kG4), dw, scratch);
}

void winograd_transform_kernel_for_input_gradient(const Conv2DGeometry& g, const float* w, float* ut) {
  if (!winograd_suits(g))
    throw Error("winograd_transform_kernel_for_input_gradient: called for a convolution it does not suit");
  thread_local std::vector<float> swapped;  // w (3, 3, F, C): each tap's (C, F) matrix transposed
  swapped.resize(static_cast<size_t>(9 * g.c * g.f));
  // In blocks of 16 x 16 (C and F are multiples of 16), whose rows and columns both stay in L1.
  for (int64_t tap = 0; tap < 9; ++tap)
    for (int64_t c0 = 0; c0 < g.c; c0 += 16)
      for (int64_t f0 = 0; f0 < g.f; f0 += 16) {
        const float* from = w + (tap * g.c + c0) * g.f + f0;
        float* to = swapped.data() + (tap * g.f + f0) * g.c + c0;
        for (int64_t f = 0; f < 16; ++f)
          for (int64_t c = 0; c < 16; ++c) to[f * g.c + c] = from[c * g.f + f];
      }
  if (tile_size(g) == 6)
    transform_pairs(kG6, swapped.data(), g.c * g.f, ut);  // ut = G w G^T per (f, c)
  else
    transform_pairs(kG4, swapped.data(), g.c * g.f, ut);
}

void winograd_input_gradient(const Conv2DGeometry& g, const float* dy, int64_t samples, const float* ut, bool add,
                             float* dx, float* scratch) {
  if (!winograd_suits(g)) throw Error("winograd_input_gradient: called for a convolution it does not suit");
  if (tile_size(g) == 6)
    input_gradient_tiles<6>(g, dy, samples, ut, add, dx, scratch);
  else
    input_gradient_tiles<4>(g, dy, samples, ut, add, dx, scratch);
}

#else

void winograd_transform_kernel(const Conv2DGeometry&, const float*, float*) {
  throw Error("winograd_transform_kernel: this build is not for x86-64");
}

void winograd_forward(const Conv2DGeometry&, const float*, int64_t, const float*, const float*, bool, float*, float*) {
  throw Error("winograd_forward: this build is not for x86-64");
}

void winograd_weight_gradient(const Conv2DGeometry&, const float*, int64_t, const float*, float*, float*) {
  throw Error("winograd_weight_gradient: this build is not for x86-64");
}

void winograd_transform_kernel_for_input_gradient(const Conv2DGeometry&, const float*, float*) {
  throw Error("winograd_transform_kernel_for_input_gradient: this build is not for x86-64");
}

void winograd_input_gradient(const Conv2DGeometry&, const float*, int64_t, const float*, bool, float*, float*) {
  throw Error("winograd_input_gradient: this build is not for x86-64");
}

#endif

}  // namespace elucid::kernels
