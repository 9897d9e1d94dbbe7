// sgemm_bf16 (core/kernels/gemm_bf16.cpp) against a double-precision product of the bfloat16-rounded operands: every
// transpose, odd k, row and column tails, padded leading dimensions, beta, c unread when beta is 0, and k and n
// above 1024 (k blocks, many panels). Skipped, with a warning, on a CPU without AVX512_BF16.
#include <elucid/core/error.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/gemm_bf16.hpp>
#include <elucid/core/random.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace elucid;

namespace {
std::vector<float> bf16_random_values(int64_t size, uint64_t seed) {
  std::vector<float> v(static_cast<size_t>(size));
  Random rng(seed);
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

// c = bf16(op(a)) bf16(op(b)) + beta c with leading dimensions wider than needed (or, `tight`, a and b without
// padding); each element within 1e-5 of the sum of the magnitudes of its terms from the double product, the padding
// of c untouched.
void bf16_check_product(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float beta, bool tight = false) {
  const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
  const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
  const int64_t lda = a_cols + (tight ? 0 : 3), ldb = b_cols + (tight ? 0 : 1), ldc = n + 2;
  const std::vector<float> a = bf16_random_values(a_rows * lda, 1), b = bf16_random_values(b_rows * ldb, 2);
  std::vector<float> c = bf16_random_values(m * ldc, 3);
  const std::vector<float> c_before = c;
  if (beta == 0.0f)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[static_cast<size_t>(i * ldc + j)] = std::numeric_limits<float>::quiet_NaN();
  kernels::sgemm_bf16(trans_a, trans_b, m, n, k, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  std::vector<double> ar(a.size()), br(b.size());
  for (size_t i = 0; i < a.size(); ++i) ar[i] = kernels::round_to_bfloat16(a[i]);
  for (size_t i = 0; i < b.size(); ++i) br[i] = kernels::round_to_bfloat16(b[i]);
  int64_t wrong = 0, padding_changed = 0;
  double worst = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0, magnitude = 0;
      for (int64_t q = 0; q < k; ++q) {
        const double x = trans_a ? ar[static_cast<size_t>(q * lda + i)] : ar[static_cast<size_t>(i * lda + q)];
        const double y = trans_b ? br[static_cast<size_t>(j * ldb + q)] : br[static_cast<size_t>(q * ldb + j)];
        sum += x * y;
        magnitude += std::abs(x * y);
      }
      const double c0 = beta == 0.0f ? 0.0 : c_before[static_cast<size_t>(i * ldc + j)];
      const double error = std::abs(c[static_cast<size_t>(i * ldc + j)] - (sum + beta * c0));
      const double allowed = 1e-5 * (magnitude + std::abs(beta * c0)) + 1e-6;
      worst = std::max(worst, error / allowed);
      if (!(error <= allowed)) ++wrong;
    }
    for (int64_t j = n; j < ldc; ++j)
      if (std::memcmp(&c[static_cast<size_t>(i * ldc + j)], &c_before[static_cast<size_t>(i * ldc + j)],
                      sizeof(float)) != 0)
        ++padding_changed;
  }
  INFO("trans_a " << trans_a << " trans_b " << trans_b << " m " << m << " n " << n << " k " << k << " beta " << beta
                  << " tight " << tight << " worst error / allowed " << worst);
  CHECK(wrong == 0);
  CHECK(padding_changed == 0);
}
}  // namespace

TEST_CASE("sgemm_bf16 matches a double product of bf16-rounded operands for every transpose and tail",
          "[kernels][gemm][bf16]") {
  if (!kernels::cpu_has_avx512_bf16()) {
    WARN("skipped: this CPU has no AVX512_BF16");
    return;
  }
  for (bool trans_a : {false, true})
    for (bool trans_b : {false, true})
      for (const auto& [m, n, k] : std::vector<std::array<int64_t, 3>>{
               {1, 1, 1}, {6, 64, 2}, {7, 65, 3}, {13, 17, 31}, {5, 130, 64}, {40, 100, 33}, {12, 48, 257}})
        for (float beta : {0.0f, 1.0f, -0.5f}) {
          bf16_check_product(trans_a, trans_b, m, n, k, beta);
          bf16_check_product(trans_a, trans_b, m, n, k, beta, true);  // an even k packs a whole in one row
        }
}

TEST_CASE("sgemm_bf16 takes k and n above 1024: k in blocks, beta's c kept aside", "[kernels][gemm][bf16]") {
  if (!kernels::cpu_has_avx512_bf16()) {
    WARN("skipped: this CPU has no AVX512_BF16");
    return;
  }
  bf16_check_product(false, false, 7, 1100, 2051, 0.0f);
  bf16_check_product(true, true, 9, 1030, 1500, 0.5f);
  bf16_check_product(false, true, 3, 1025, 1025, 1.0f);
  bf16_check_product(true, false, 8, 70, 3000, -1.0f);
}

TEST_CASE("sgemm_bf16 gives each row the same bits on every call, whatever rows are around it",
          "[kernels][gemm][bf16]") {
  if (!kernels::cpu_has_avx512_bf16()) {
    WARN("skipped: this CPU has no AVX512_BF16");
    return;
  }
  // The same product twice gives the same bits (no state carried over in the per-thread buffers), and rows of a
  // product do not depend on the other rows around them: the first 5 rows alone are the first 5 rows of 13.
  const int64_t m = 13, n = 70, k = 1201;
  const std::vector<float> a = bf16_random_values(m * k, 4), b = bf16_random_values(k * n, 5);
  std::vector<float> c1(static_cast<size_t>(m * n)), c2(c1.size()), c3(static_cast<size_t>(5 * n));
  kernels::sgemm_bf16(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c1.data(), n);
  kernels::sgemm_bf16(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c2.data(), n);
  kernels::sgemm_bf16(false, false, 5, n, k, a.data(), k, b.data(), n, 0.0f, c3.data(), n);
  CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(c1.data(), c3.data(), c3.size() * sizeof(float)) == 0);
}

TEST_CASE("bf16_round_operand rounds as round_to_bfloat16, but denormals to zero, and writes n floats only",
          "[kernels][bf16]") {
  if (!kernels::cpu_has_avx512_bf16()) {
    WARN("skipped: this CPU has no AVX512_BF16");
    return;
  }
  auto bits = [](float x) {
    uint32_t u = 0;
    std::memcpy(&u, &x, sizeof u);
    return u;
  };
  // Random values of every exponent range, ties, infinities, the largest float and a denormal of each sign.
  std::vector<float> x = bf16_random_values(37, 6);
  for (size_t i = 0; i < x.size(); i += 3) x[i] = std::ldexp(x[i], static_cast<int>(i) * 7 - 120);
  x[1] = 1.0f + std::ldexp(1.0f, -8);  // halfway between two bfloat16 values: to even (1.0)
  x[2] = 1.0f + std::ldexp(3.0f, -8);  // halfway: to even (1 + 2^-6)
  x[4] = std::numeric_limits<float>::infinity();
  x[5] = -std::numeric_limits<float>::max();
  x[7] = std::numeric_limits<float>::denorm_min() * 1000;
  x[8] = -std::numeric_limits<float>::denorm_min();
  for (int64_t n : {1, 15, 16, 17, 33, 37}) {
    INFO("n " << n);
    std::vector<float> y(x.size() + 1, 7.0f);
    kernels::bf16_round_operand(x.data(), n, y.data());
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[static_cast<size_t>(i)];
      const bool denormal = v != 0 && std::fabs(v) < std::numeric_limits<float>::min();
      const uint32_t want = denormal ? bits(v) & 0x80000000u : bits(kernels::round_to_bfloat16(v));
      INFO("value " << v);
      CHECK(bits(y[static_cast<size_t>(i)]) == want);
    }
    for (size_t i = static_cast<size_t>(n); i < y.size(); ++i) CHECK(y[i] == 7.0f);
  }
  // In place, and a NaN stays a NaN.
  std::vector<float> z = {std::numeric_limits<float>::quiet_NaN(), 1.1f};
  kernels::bf16_round_operand(z.data(), 2, z.data());
  CHECK(std::isnan(z[0]));
  CHECK(bits(z[1]) == bits(kernels::round_to_bfloat16(1.1f)));
}
