// matmul and bias_add (core/ops/linear.cpp) against direct double loops; shape errors; matmul with bf16 products
// against double loops over the bfloat16-rounded operands and output gradient.
#include "support/bf16_testing.hpp"
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <tuple>

using namespace elucid;
using grad_check::Vec;

namespace {
grad_check::RefFn matmul_ref(int64_t m, int64_t k, int64_t n) {
  return [=](const std::vector<Vec>& in) {
    Vec out(static_cast<size_t>(m * n), 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < k; ++p) out[i * n + j] += in[0][i * k + p] * in[1][p * n + j];
    return out;
  };
}
}  // namespace

GRAD_TEST("matmul", "batch 1, odd sizes, and more rows than one parallel block", "[ops][linear]") {
  // (M, K, N); 300 rows cross the kernel's 128-row blocks, so the per-block sums of dB are exercised.
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 5, 3}, {7, 3, 4}, {300, 6, 5}}) {
    INFO("matmul (" << m << ", " << k << ") x (" << k << ", " << n << ")");
    grad_check::check_gradients(
        "matmul", {grad_check::random_tensor({m, k}, 1), grad_check::random_tensor({k, n}, 2)},
        [](const std::vector<Tensor>& in) { return ops::matmul(in[0], in[1]); }, matmul_ref(m, k, n));
  }
}

GRAD_TEST("bias_add", "(5, 3) and (2, 3, 2, 4)", "[ops][linear]") {
  for (Shape s : {Shape{5, 3}, Shape{2, 3, 2, 4}}) {
    const int64_t c = s.back();
    grad_check::check_gradients(
        "bias_add", {grad_check::random_tensor(s, 3), grad_check::random_tensor({c}, 4)},
        [](const std::vector<Tensor>& in) { return ops::bias_add(in[0], in[1]); },
        [c](const std::vector<Vec>& in) {
          Vec out = in[0];
          for (size_t i = 0; i < out.size(); ++i) out[i] += in[1][i % static_cast<size_t>(c)];
          return out;
        });
  }
}

TEST_CASE("matmul and bias_add name both shapes when they do not fit", "[ops][linear]") {
  CHECK_THROWS_WITH(ops::matmul(Tensor({32, 576}), Tensor({512, 64})),
                    "matmul: (32, 576) x (512, 64): inner dimensions differ");
  CHECK_THROWS_WITH(ops::matmul(Tensor({32, 576}), Tensor({576})),
                    "matmul: (32, 576) x (576,): both operands must have rank 2");
  CHECK_THROWS_WITH(ops::bias_add(Tensor({32, 64}), Tensor({10})),
                    "bias_add: input (32, 64) and bias (10,): the bias must have shape (C,) for the last axis C of "
                    "the input");
}

TEST_CASE("matmul of a (2, 3) by a (3, 2) matrix", "[ops][linear]") {
  Tensor a({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor b({3, 2}, std::vector<float>{7, 8, 9, 10, 11, 12});
  Tensor y = ops::matmul(a, b);
  CHECK(y.shape() == Shape{2, 2});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) == std::vector<float>{58, 64, 139, 154});
}

TEST_CASE("matmul forward and backward are bit-identical at 1 and 2 threads", "[ops][linear][threads]") {
  // 600 rows: several row blocks, split over threads, with per-block partial sums of dB.
  auto run = [](int threads) {
    set_num_threads(threads);
    Tensor a = grad_check::random_tensor({600, 64}, 5), b = grad_check::random_tensor({64, 40}, 6);
    Tensor y = ops::matmul(a, b);
    grad_check::weighted_sum(y, Vec(static_cast<size_t>(y.size()), 0.5)).backward();
    std::vector<float> out(y.values().begin(), y.values().end());
    for (const Tensor& t : {a.grad(), b.grad()}) out.insert(out.end(), t.values().begin(), t.values().end());
    return out;
  };
  const std::vector<float> one = run(1), two = run(2);
  set_num_threads(0);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}

namespace {
struct Bf16MatmulRun {
  std::vector<float> a, b, dy, y, da, db;
};

// matmul (m, k) x (k, n) with bf16 products, forward and backward with a fixed dy, at `threads`.
Bf16MatmulRun bf16_run_matmul(int64_t m, int64_t k, int64_t n, int threads) {
  set_num_threads(threads);
  Tensor a = grad_check::random_tensor({m, k}, 90), b = grad_check::random_tensor({k, n}, 91);
  Tensor y = ops::matmul(a, b, true);
  auto dy = std::make_shared<std::vector<float>>(static_cast<size_t>(y.size()));
  Random rng(92);
  for (float& v : *dy) v = rng.uniform(-1.0f, 1.0f);
  bf16_testing::seed_gradient(y, dy).backward();
  set_num_threads(0);
  return {bf16_testing::values_of(a), bf16_testing::values_of(b), *dy, bf16_testing::values_of(y),
          bf16_testing::values_of(a.grad()), bf16_testing::values_of(b.grad())};
}
}  // namespace

TEST_CASE("matmul with bf16 products matches double loops over bf16-rounded a, b and dy", "[ops][linear][bf16]") {
  if (!bf16_testing::runs_here()) return;
  // 300 rows cross the 128-row blocks (per-block dB sums); odd k; n above a 64-column panel.
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 5, 3}, {7, 33, 70}, {300, 41, 10}, {32, 576, 64}}) {
    INFO("matmul bf16 (" << m << ", " << k << ") x (" << k << ", " << n << ")");
    const Bf16MatmulRun run = bf16_run_matmul(m, k, n, 0);
    const Vec a = bf16_testing::rounded(run.a.data(), m * k), b = bf16_testing::rounded(run.b.data(), k * n),
              dy = bf16_testing::rounded(run.dy.data(), m * n);
    Vec y(static_cast<size_t>(m * n), 0.0), y_mag = y, da(static_cast<size_t>(m * k), 0.0), da_mag = da,
        db(static_cast<size_t>(k * n), 0.0), db_mag = db;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < k; ++p) {
          const double ab = a[i * k + p] * b[p * n + j], gb = dy[i * n + j] * b[p * n + j];
          const double ag = a[i * k + p] * dy[i * n + j];
          y[i * n + j] += ab;
          y_mag[i * n + j] += std::fabs(ab);
          da[i * k + p] += gb;
          da_mag[i * k + p] += std::fabs(gb);
          db[p * n + j] += ag;
          db_mag[p * n + j] += std::fabs(ag);
        }
    bf16_testing::check_close(run.y, y, y_mag, "y");
    bf16_testing::check_close(run.da, da, da_mag, "da");
    bf16_testing::check_close(run.db, db, db_mag, "db");
  }
}

TEST_CASE("matmul with bf16 products is bit-identical at 1 and 2 threads", "[ops][linear][bf16][threads]") {
  if (!bf16_testing::runs_here()) return;
  const Bf16MatmulRun one = bf16_run_matmul(600, 65, 40, 1), two = bf16_run_matmul(600, 65, 40, 2);
  CHECK(bf16_testing::same_bits(one.y, two.y));
  CHECK(bf16_testing::same_bits(one.da, two.da));
  CHECK(bf16_testing::same_bits(one.db, two.db));
}
