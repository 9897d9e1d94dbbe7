// bfloat16 rounding: the scalar one on the float's bits (add 0x7fff plus the lowest kept bit, drop 16 bits), and
// the same integer arithmetic 16 floats at a time with AVX-512 (not vcvtneps2bf16, which flushes denormals to zero).
#include <elucid/core/kernels/bf16.hpp>

#include <elucid/core/kernels/team_loop.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstring>

namespace elucid::kernels {

namespace {
constexpr int64_t kParallelMin = 1 << 16;  // elements; fewer stay on the calling thread
constexpr int64_t kBlock = 1 << 14;        // elements per OpenMP iteration

uint32_t rounded_bits(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u | 0x00400000u) & 0xffff0000u;  // NaN: quiet, sign and payload top
  return (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;  // no overflow: u <= 0xff800000 here
}

#if defined(__x86_64__)
// 16 floats' bits at a time: the arithmetic of rounded_bits; the tail through a mask (nothing read past x + n).
__attribute__((target("avx512f"))) void round_avx512(const float* x, float* y, int64_t n) {
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), keep = _mm512_set1_epi32(-65536);
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i quiet = _mm512_set1_epi32(0x00400000);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512i u = _mm512_maskz_loadu_epi32(mask, x + i);
    const __m512i lsb = _mm512_and_si512(_mm512_maskz_srli_epi32(static_cast<__mmask16>(0xffff), u, 16), one);
    __m512i r = _mm512_and_si512(_mm512_add_epi32(_mm512_add_epi32(u, bias), lsb), keep);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
    r = _mm512_mask_mov_epi32(r, nan, _mm512_and_si512(_mm512_or_si512(u, quiet), keep));
    _mm512_mask_storeu_epi32(y + i, mask, r);
  }
}

bool cpu_has_avx512f() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
#endif

void round_serial(const float* x, float* y, int64_t n) {
#if defined(__x86_64__)
  if (cpu_has_avx512f()) {
    round_avx512(x, y, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = round_to_bfloat16(x[i]);
}
}  // namespace

bool cpu_has_avx512_bf16() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx512bf16");
  return has;
#else
  return false;
#endif
}

float round_to_bfloat16(float x) {
  uint32_t u = 0;
  std::memcpy(&u, &x, sizeof u);
  u = rounded_bits(u);
  float y = 0;
  std::memcpy(&y, &u, sizeof y);
  return y;
}

void round_to_bfloat16(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  team_loop(blocks, on_team(n, kParallelMin),
            [&](int64_t b) { round_serial(x + b * kBlock, y + b * kBlock, std::min(kBlock, n - b * kBlock)); });
}

}  // namespace elucid::kernels
