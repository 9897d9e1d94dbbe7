// round_to_bfloat16 (core/kernels/bf16.cpp): ties to even, NaN, infinities, denormals, the floats that round up to
// infinity, and the vectorised one giving the scalar one's bits on many random values and every tail length.
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/core/random.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace elucid;

namespace {
float bf16_from_bits(uint32_t u) {
  float f = 0;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
uint32_t bf16_bits_of(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
uint32_t bf16_rounded_bits(uint32_t u) { return bf16_bits_of(kernels::round_to_bfloat16(bf16_from_bits(u))); }
}  // namespace

TEST_CASE("round_to_bfloat16 rounds to nearest with ties to even", "[kernels][bf16]") {
  CHECK(bf16_rounded_bits(0x3f800000u) == 0x3f800000u);  // 1 is a bfloat16
  CHECK(bf16_rounded_bits(0x3f807fffu) == 0x3f800000u);  // below half: down
  CHECK(bf16_rounded_bits(0x3f808001u) == 0x3f810000u);  // above half: up
  CHECK(bf16_rounded_bits(0x3f808000u) == 0x3f800000u);  // tie, even below: down
  CHECK(bf16_rounded_bits(0x3f818000u) == 0x3f820000u);  // tie, odd below: up to even
  CHECK(bf16_rounded_bits(0xbf818000u) == 0xbf820000u);  // negative the same
  CHECK(bf16_rounded_bits(0x3fff8000u) == 0x40000000u);  // carry into the exponent
  CHECK(kernels::round_to_bfloat16(0.0f) == 0.0f);
  CHECK(bf16_rounded_bits(0x80000000u) == 0x80000000u);  // -0 keeps its sign
  CHECK(kernels::round_to_bfloat16(3.14159265f) == 3.140625f);
}

TEST_CASE("round_to_bfloat16 keeps NaN, infinities and denormals, and rounds FLT_MAX to infinity", "[kernels][bf16]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(kernels::round_to_bfloat16(inf) == inf);
  CHECK(kernels::round_to_bfloat16(-inf) == -inf);
  CHECK(std::isnan(kernels::round_to_bfloat16(std::numeric_limits<float>::quiet_NaN())));
  // A signalling NaN whose payload lies in the dropped bits stays a NaN (quiet) instead of becoming infinity.
  CHECK(bf16_rounded_bits(0x7f800001u) == 0x7fc00000u);
  CHECK(bf16_rounded_bits(0xff800001u) == 0xffc00000u);
  CHECK(bf16_rounded_bits(0x7fc12345u) == 0x7fc10000u);
  CHECK(kernels::round_to_bfloat16(std::numeric_limits<float>::max()) == inf);
  CHECK(kernels::round_to_bfloat16(-std::numeric_limits<float>::max()) == -inf);
  CHECK(bf16_rounded_bits(0x7f7f7fffu) == 0x7f7f0000u);  // the largest that stays finite
  CHECK(bf16_rounded_bits(0x7f7f8000u) == 0x7f800000u);  // tie above the largest bfloat16 (odd): up to infinity
  // Denormals round like any value: no flush to zero.
  CHECK(bf16_rounded_bits(0x00012345u) == 0x00010000u);
  CHECK(bf16_rounded_bits(0x00018000u) == 0x00020000u);
  CHECK(bf16_rounded_bits(0x00008000u) == 0x00000000u);  // tie to even zero
  CHECK(bf16_rounded_bits(0x00008001u) == 0x00010000u);
  CHECK(bf16_rounded_bits(0x007fffffu) == 0x00800000u);  // the largest denormal rounds to the smallest normal
}

TEST_CASE("round_to_bfloat16 on arrays gives the scalar bits for every tail, in place, at 1 and 2 threads",
          "[kernels][bf16][threads]") {
  // Random bit patterns (every exponent, NaNs and infinities included) and ordinary values.
  Random rng(11);
  std::vector<float> x(200003);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint32_t bits = static_cast<uint32_t>(rng.uniform(0.0f, 1.0f) * 65536.0f) << 16 |
                          static_cast<uint32_t>(rng.uniform(0.0f, 1.0f) * 65536.0f);
    x[i] = i % 2 ? bf16_from_bits(bits) : rng.uniform(-3.0f, 3.0f);
  }
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (int64_t n : {0, 1, 5, 15, 16, 17, 31, 33, 100, 1000, 70001, 200003}) {
      INFO("n " << n << ", threads " << threads);
      std::vector<float> y(static_cast<size_t>(n) + 1, 7.0f), z(x.begin(), x.begin() + n);
      kernels::round_to_bfloat16(x.data(), y.data(), n);
      kernels::round_to_bfloat16(z.data(), z.data(), n);  // y may equal x
      int64_t wrong = 0;
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t want = bf16_bits_of(kernels::round_to_bfloat16(x[static_cast<size_t>(i)]));
        wrong += bf16_bits_of(y[static_cast<size_t>(i)]) != want || bf16_bits_of(z[static_cast<size_t>(i)]) != want;
      }
      CHECK(wrong == 0);
      CHECK(y[static_cast<size_t>(n)] == 7.0f);  // nothing written past the end
    }
  }
  set_num_threads(0);
}
