// kernels::sgemm, through elucid's AVX-512 kernel (small products on a CPU with AVX-512F) and through OpenBLAS
// (the rest; and kernels::sgemm_openblas, OpenBLAS for every product), against a double-precision product: every transpose, tails of rows and columns, padded leading
// dimensions, alpha and beta, and c left unread when beta is 0.
#include <elucid/core/kernels/gemm.hpp>
#include <elucid/core/kernels/gemm_avx512.hpp>
#include <elucid/core/random.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

using namespace elucid;

namespace {

struct Product {
  int64_t m, n, k;
};

std::vector<float> random_values(int64_t size, uint64_t seed) {
  std::vector<float> v(static_cast<size_t>(size));
  Random rng(seed);
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

// Runs c = alpha * op(a) * op(b) + beta * c with every leading dimension 3 wider than needed, and checks each
// element of c against the product in double (within 1e-5 of the sum of the magnitudes) and the padding untouched.
using Sgemm = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                      float, float*, int64_t);

void check_product(Sgemm sgemm, bool trans_a, bool trans_b, Product p, float alpha, float beta) {
  const int64_t a_rows = trans_a ? p.k : p.m, a_cols = trans_a ? p.m : p.k;
  const int64_t b_rows = trans_b ? p.n : p.k, b_cols = trans_b ? p.k : p.n;
  const int64_t lda = a_cols + 3, ldb = b_cols + 3, ldc = p.n + 3;
  const std::vector<float> a = random_values(a_rows * lda, 1), b = random_values(b_rows * ldb, 2);
  std::vector<float> c = random_values(p.m * ldc, 3);
  const std::vector<float> c_before = c;
  if (beta == 0.0f)  // BLAS: c is not read, so NaN there must not show through
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) c[static_cast<size_t>(i * ldc + j)] = std::numeric_limits<float>::quiet_NaN();
  sgemm(trans_a, trans_b, p.m, p.n, p.k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);

  int64_t wrong = 0, padding_changed = 0;
  double worst = 0;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double sum = 0, magnitude = 0;
      for (int64_t q = 0; q < p.k; ++q) {
        const double x = trans_a ? a[static_cast<size_t>(q * lda + i)] : a[static_cast<size_t>(i * lda + q)];
        const double y = trans_b ? b[static_cast<size_t>(j * ldb + q)] : b[static_cast<size_t>(q * ldb + j)];
        sum += x * y;
        magnitude += std::abs(x * y);
      }
      const double c0 = beta == 0.0f ? 0.0 : c_before[static_cast<size_t>(i * ldc + j)];
      const double expected = alpha * sum + beta * c0;
      const double error = std::abs(c[static_cast<size_t>(i * ldc + j)] - expected);
      const double allowed = 1e-5 * (std::abs(alpha) * magnitude + std::abs(beta * c0)) + 1e-6;
      worst = std::max(worst, error / allowed);
      if (!(error <= allowed)) ++wrong;  // NaN counts as wrong
    }
    for (int64_t j = p.n; j < ldc; ++j)
      if (std::memcmp(&c[static_cast<size_t>(i * ldc + j)], &c_before[static_cast<size_t>(i * ldc + j)],
                      sizeof(float)) != 0)
        ++padding_changed;
  }
  INFO((sgemm == &kernels::sgemm ? "sgemm" : "sgemm_openblas") << " trans_a " << trans_a << " trans_b " << trans_b << " m " << p.m << " n " << p.n << " k " << p.k << " alpha "
                  << alpha << " beta " << beta << " avx512 " << kernels::sgemm_avx512_suits(p.m, p.n, p.k)
                  << " worst error / allowed " << worst);
  CHECK(wrong == 0);
  CHECK(padding_changed == 0);
}

}  // namespace

TEST_CASE("sgemm matches a double-precision product for every transpose, tail and leading dimension", "[gemm][threads]") {
  // The seed model's products (conv1 k 9, conv2 k 288 and its backward's n 288, conv3 k 576, dense 576 -> 64 -> 10),
  // tails of 1 to 5 rows and 1 to 15 columns, products past the AVX-512 kernel's limits (n or k over 1024), and k 0.
  const Product products[] = {{1, 1, 1},    {5, 10, 9},     {7, 17, 3},    {13, 64, 288},  {6, 65, 64},
                              {25, 288, 64}, {288, 64, 121}, {9, 64, 576},  {32, 10, 64},   {4, 1024, 2},
                              {2, 1100, 5},  {3, 8, 1500},   {11, 47, 1024}, {128, 33, 17}, {3, 5, 0}};
  for (const bool trans_a : {false, true})
    for (const bool trans_b : {false, true})
      for (const Product& p : products)
        for (const Sgemm sgemm : {&kernels::sgemm, &kernels::sgemm_openblas}) {
          check_product(sgemm, trans_a, trans_b, p, 1.0f, 0.0f);
          check_product(sgemm, trans_a, trans_b, p, 1.0f, 1.0f);
          check_product(sgemm, trans_a, trans_b, p, 0.5f, -0.25f);
        }
}

TEST_CASE("sgemm takes the AVX-512 kernel for the seed model's products when the CPU has AVX-512F", "[gemm][threads]") {
  if (!__builtin_cpu_supports("avx512f")) {
    WARN("this CPU has no AVX-512F: every product goes to OpenBLAS");
    CHECK_FALSE(kernels::sgemm_avx512_suits(484, 64, 288));
    return;
  }
  CHECK(kernels::sgemm_avx512_suits(484, 64, 288));   // conv2 forward, one chunk of 4 samples
  CHECK(kernels::sgemm_avx512_suits(288, 64, 484));   // conv2 dW
  CHECK(kernels::sgemm_avx512_suits(484, 288, 64));   // conv2 dcol
  CHECK(kernels::sgemm_avx512_suits(2704, 32, 9));    // conv1 forward
  CHECK_FALSE(kernels::sgemm_avx512_suits(64, 64, 1025));
  CHECK_FALSE(kernels::sgemm_avx512_suits(64, 1025, 64));
  // Called directly outside its limits it refuses, naming the shapes.
  std::vector<float> a(2 * 1025), b(1025 * 2), c(4);
  CHECK_THROWS_WITH(kernels::sgemm_avx512(false, false, 2, 2, 1025, 1.0f, a.data(), 1025, b.data(), 2, 0.0f,
                                          c.data(), 2),
                    Catch::Contains("(2 x 1025) * (1025 x 2)"));
}

TEST_CASE("sgemm gives the same bits on every call, on any thread", "[gemm][threads]") {
  // conv2's input gradient: dcol (484, 288) = dy (484, 64) * w^T, b transposed (packed per thread).
  const Product p{121 * 4, 288, 64};
  const std::vector<float> a = random_values(p.m * p.k, 4), b = random_values(p.n * p.k, 5);
  std::vector<std::vector<float>> results(3, std::vector<float>(static_cast<size_t>(p.m * p.n)));
  const auto multiply = [&](std::vector<float>& c) {
    kernels::sgemm(false, true, p.m, p.n, p.k, 1.0f, a.data(), p.k, b.data(), p.k, 0.0f, c.data(), p.n);
  };
  multiply(results[0]);
  multiply(results[1]);
  std::thread other([&] { multiply(results[2]); });
  other.join();
  CHECK(std::memcmp(results[0].data(), results[1].data(), results[0].size() * sizeof(float)) == 0);
  CHECK(std::memcmp(results[0].data(), results[2].data(), results[0].size() * sizeof(float)) == 0);
}

TEST_CASE("sgemm_avx512_rows and its transpose read a convolution's input in place with the bits of sgemm_avx512 on im2col",
          "[gemm]") {
  if (!kernels::sgemm_avx512_rows_suit(64, 3, 6)) {
    WARN("this CPU has no AVX-512F: the convolution forward builds im2col columns");
    return;
  }
  // x (2, 9, 6, 2) NHWC; a 3x2 kernel at stride (2, 1), dilation (2, 1): outputs (2, 3, 5), rows of K = 3 * 2 * 2
  // (runs of 4 floats: the transpose's tiles of 6 columns of A cross from one kernel row to the next).
  const int64_t samples = 2, h = 9, w = 6, c = 2, kh = 3, kw = 2, stride_h = 2, stride_w = 1, dilation_h = 2;
  const int64_t oh = (h - (kh - 1) * dilation_h - 1) / stride_h + 1, ow = (w - kw) / stride_w + 1;
  const int64_t m = samples * oh * ow, run = kw * c, k = kh * run;
  const std::vector<float> x = random_values(samples * h * w * c, 6);
  std::vector<const float*> starts;
  std::vector<float> columns;  // the im2col matrix (m, k)
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const float* start = x.data() + ((s * h + i * stride_h) * w + j * stride_w) * c;
        starts.push_back(start);
        for (int64_t segment = 0; segment < kh; ++segment)
          columns.insert(columns.end(), start + segment * dilation_h * w * c,
                         start + segment * dilation_h * w * c + run);
      }
  for (const int64_t n : {5, 64, 70}) {
    const std::vector<float> b = random_values(k * (n + 1), 7), bias = random_values(n, 9);  // b's row step n + 1
    for (const bool with_bias : {false, true}) {
      // sgemm_avx512 on the columns, c set to the bias rows and beta 1 (or beta 0 without bias), is the reference.
      std::vector<float> expected(static_cast<size_t>(m * n)), got(static_cast<size_t>(m * n), 123.0f);
      for (int64_t r = 0; r < m; ++r) std::copy(bias.begin(), bias.end(), expected.begin() + r * n);
      kernels::sgemm_avx512(false, false, m, n, k, 1.0f, columns.data(), k, b.data(), n + 1, with_bias ? 1.0f : 0.0f,
                            expected.data(), n);
      kernels::sgemm_avx512_rows(m, n, kh, run, starts.data(), dilation_h * w * c, b.data(), n + 1,
                                 with_bias ? bias.data() : nullptr, 0.0f, got.data(), n);
      INFO("n " << n << " bias " << with_bias);
      CHECK(std::memcmp(expected.data(), got.data(), expected.size() * sizeof(float)) == 0);
    }
    {  // beta 1 adds the product to c: the bits of sgemm_avx512 with beta 1
      const std::vector<float> c0 = random_values(m * n, 11);
      std::vector<float> expected = c0, got = c0;
      kernels::sgemm_avx512(false, false, m, n, k, 1.0f, columns.data(), k, b.data(), n + 1, 1.0f, expected.data(), n);
      kernels::sgemm_avx512_rows(m, n, kh, run, starts.data(), dilation_h * w * c, b.data(), n + 1, nullptr, 1.0f,
                                 got.data(), n);
      INFO("n " << n << " beta 1");
      CHECK(std::memcmp(expected.data(), got.data(), expected.size() * sizeof(float)) == 0);
    }
    // The weight gradient's product: (K, n) = columns^T (K, m) * dy (m, n).
    const std::vector<float> dy = random_values(m * (n + 1), 10);
    std::vector<float> expected(static_cast<size_t>(k * n)), got(static_cast<size_t>(k * n), 123.0f);
    kernels::sgemm_avx512(true, false, k, n, m, 1.0f, columns.data(), k, dy.data(), n + 1, 0.0f, expected.data(), n);
    kernels::sgemm_avx512_rows_transposed(kh, run, n, m, starts.data(), dilation_h * w * c, dy.data(), n + 1,
                                          got.data(), n);
    INFO("transposed, n " << n);
    CHECK(std::memcmp(expected.data(), got.data(), expected.size() * sizeof(float)) == 0);
  }
  CHECK_THROWS_WITH(kernels::sgemm_avx512_rows(m, 64, 3, 400, starts.data(), 0, x.data(), 64, nullptr, 0.0f, nullptr, 64),
                    "sgemm_avx512_rows: 3 runs of 400 floats times n 64 is not a product it is made for");
}
