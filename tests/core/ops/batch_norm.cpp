// batch_norm (core/ops/batch_norm.cpp) against a double reference: gradients for x, gamma and beta in training
// (batch statistics) and inference (moving statistics), the moving-average update, and shape errors.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <cmath>

using namespace elucid;
using grad_check::Vec;

namespace {
constexpr float kEpsilon = 1e-3f;

// in = {x (M, C), gamma, beta}; stats: {mean, variance} per channel or empty for the batch's own.
grad_check::RefFn batch_norm_ref(size_t c, Vec moving_mean, Vec moving_var, bool training) {
  return [=](const std::vector<Vec>& in) {
    const size_t m = in[0].size() / c;
    Vec mean(c, 0.0), var(c, 0.0);
    for (size_t j = 0; j < c; ++j) {
      if (!training) {
        mean[j] = moving_mean[j];
        var[j] = moving_var[j];
        continue;
      }
      for (size_t r = 0; r < m; ++r) mean[j] += in[0][r * c + j] / static_cast<double>(m);
      for (size_t r = 0; r < m; ++r) var[j] += std::pow(in[0][r * c + j] - mean[j], 2) / static_cast<double>(m);
    }
    Vec y(in[0].size());
    for (size_t r = 0; r < m; ++r)
      for (size_t j = 0; j < c; ++j)
        y[r * c + j] = in[1][j] * (in[0][r * c + j] - mean[j]) / std::sqrt(var[j] + kEpsilon) + in[2][j];
    return y;
  };
}
}  // namespace

GRAD_TEST("batch_norm", "training and inference, (5, 3) and (2, 3, 2, 4)", "[ops][batch_norm]") {
  for (bool training : {true, false}) {
    for (const Shape& s : {Shape{5, 3}, Shape{2, 3, 2, 4}}) {
      INFO((training ? "training" : "inference") << " on " << to_string(s));
      const int64_t c = s.back();
      Tensor moving_mean = grad_check::random_tensor({c}, 110, -0.5f, 0.5f, false);
      Tensor moving_var = grad_check::random_tensor({c}, 111, 0.5f, 2.0f, false);
      const Vec mm = grad_check::to_double(moving_mean), mv = grad_check::to_double(moving_var);
      grad_check::check_gradients(
          "batch_norm",
          {grad_check::random_tensor(s, 112, -2, 2), grad_check::random_tensor({c}, 113, 0.5f, 1.5f),
           grad_check::random_tensor({c}, 114)},
          [&](const std::vector<Tensor>& in) {
            return ops::batch_norm(in[0], in[1], in[2], moving_mean, moving_var, 0.99f, kEpsilon, training);
          },
          batch_norm_ref(static_cast<size_t>(c), mm, mv, training), {{1e-5, 1e-4}, {1e-4, 1e-3}, 1e-6, 99});
    }
  }
}

TEST_CASE("batch_norm updates the moving statistics with the biased batch variance", "[ops][batch_norm]") {
  Tensor x({4, 1}, std::vector<float>{1, 2, 3, 6});  // mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
  Tensor mean = Tensor::zeros({1}), var = Tensor::ones({1});
  Tensor y = ops::batch_norm(x, Tensor(), Tensor(), mean, var, 0.9f, 1e-3f, true);
  CHECK(mean.item() == Approx(0.3));
  CHECK(var.item() == Approx(0.9 + 0.35));
  CHECK(y.at({3, 0}) == Approx(3 / std::sqrt(3.5 + 1e-3)));
  ops::batch_norm(x, Tensor(), Tensor(), mean, var, 0.9f, 1e-3f, false);
  CHECK(mean.item() == Approx(0.3));  // inference leaves them alone
}

TEST_CASE("batch_norm names the input and the parameter that does not fit", "[ops][batch_norm]") {
  Tensor mean = Tensor::zeros({3}), var = Tensor::ones({3});
  CHECK_THROWS_WITH(ops::batch_norm(Tensor({4, 3}), Tensor({2}), Tensor(), mean, var, 0.99f, 1e-3f, true),
                    "batch_norm: input (4, 3) and gamma (2,): gamma must have shape (3,)");
  Tensor bad_var = Tensor::ones({4});
  CHECK_THROWS_WITH(ops::batch_norm(Tensor({4, 3}), Tensor(), Tensor(), mean, bad_var, 0.99f, 1e-3f, false),
                    "batch_norm: input (4, 3) and moving_variance (4,): moving_variance must have shape (3,)");
  CHECK_THROWS_WITH(ops::batch_norm(Tensor({4, 3}), Tensor(), Tensor(), mean, var, 0.99f, 0.0f, false),
                    "batch_norm: epsilon must be > 0, got 0.000000");
}
