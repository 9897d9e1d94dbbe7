// Losses (core/ops/loss.cpp) against double references: sparse and categorical cross-entropy from logits and from
// probabilities (Keras' clipping), binary cross-entropy, MSE, MAE; stability for logits of magnitude 1e4; errors.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>
#include <cmath>

using namespace elucid;
using grad_check::Vec;

namespace {
constexpr double kEps = 1e-7;
double clip(double p) { return std::clamp(p, kEps, 1 - kEps); }

double lse(const double* x, size_t n) {
  double m = *std::max_element(x, x + n), s = 0;
  for (size_t j = 0; j < n; ++j) s += std::exp(x[j] - m);
  return m + std::log(s);
}

Tensor labels(std::vector<float> values) {
  const auto n = static_cast<int64_t>(values.size());
  return Tensor({n}, std::move(values));
}
}  // namespace

GRAD_TEST("sparse_categorical_crossentropy", "from logits and from probabilities, batch 1 and 5", "[ops][loss]") {
  for (bool from_logits : {true, false}) {
    for (auto [rows, lab] : {std::pair<int64_t, std::vector<float>>{1, {2}}, {5, {0, 3, 1, 3, 2}}}) {
      INFO((from_logits ? "logits" : "probabilities") << ", " << rows << " rows");
      // Probabilities are positive and not normalised, so the log(sum clip(p)) term of Keras' formula is tested.
      Tensor pred = from_logits ? grad_check::random_tensor({rows, 4}, 80, -3, 3)
                                : grad_check::random_tensor({rows, 4}, 81, 0.05f, 1.0f);
      grad_check::check_gradients(
          "sparse_categorical_crossentropy", {pred, labels(lab)},
          [from_logits](const std::vector<Tensor>& in) {
            return ops::sparse_categorical_crossentropy(in[0], in[1], from_logits);
          },
          [from_logits](const std::vector<Vec>& in) {
            const size_t cols = 4, n = in[1].size();
            double total = 0;
            for (size_t r = 0; r < n; ++r) {
              const double* x = in[0].data() + r * cols;
              const auto y = static_cast<size_t>(in[1][r]);
              if (from_logits) {
                total += lse(x, cols) - x[y];
              } else {
                double s = 0;
                for (size_t j = 0; j < cols; ++j) s += clip(x[j]);
                total += -std::log(clip(x[y])) + std::log(s);
              }
            }
            return Vec{total / static_cast<double>(n)};
          });
    }
  }
}

TEST_CASE("sparse_categorical_crossentropy is stable for logits of magnitude 1e4", "[ops][loss]") {
  Tensor logits({2, 3}, std::vector<float>{1e4f, -1e4f, 0.0f, -1e4f, 1e4f, 1e4f});
  logits.set_requires_grad();
  Tensor loss = ops::sparse_categorical_crossentropy(logits, labels({0, 0}), true);
  // Sample 0 is right with certainty (loss 0); sample 1 is 2e4 below two tied logits: 2e4 + log 2.
  CHECK(loss.item() == Approx((0.0 + 2e4 + std::log(2.0)) / 2).epsilon(1e-6));
  loss.backward();
  for (float g : logits.grad().values()) CHECK(std::isfinite(g));
  CHECK(logits.grad().at({1, 0}) == Approx(-0.5));
  CHECK(logits.grad().at({1, 1}) == Approx(0.25));
}

TEST_CASE("sparse_categorical_crossentropy clips probabilities as Keras", "[ops][loss]") {
  // p_y = 0 is clipped to 1e-7: the loss is -log(1e-7) + log(1 + 1e-7), finite.
  Tensor p({1, 2}, std::vector<float>{0.0f, 1.0f});
  CHECK(ops::sparse_categorical_crossentropy(p, labels({0}), false).item() == Approx(16.1180957));
}

TEST_CASE("sparse_categorical_crossentropy names the bad label, its sample and the class count", "[ops][loss]") {
  Tensor logits({3, 10});
  CHECK_THROWS_WITH(ops::sparse_categorical_crossentropy(logits, labels({1, 10, 2}), true),
                    "sparse_categorical_crossentropy: label 10 of sample 1 is not a class index in [0, 10) "
                    "(10 classes)");
  CHECK_THROWS_WITH(ops::sparse_categorical_crossentropy(logits, labels({-1, 0, 2}), true),
                    "sparse_categorical_crossentropy: label -1 of sample 0 is not a class index in [0, 10) "
                    "(10 classes)");
  CHECK_THROWS_WITH(ops::sparse_categorical_crossentropy(logits, labels({1, 2, 2.5f}), true),
                    "sparse_categorical_crossentropy: label 2.5 of sample 2 is not a class index in [0, 10) "
                    "(10 classes)");
  CHECK_THROWS_WITH(ops::sparse_categorical_crossentropy(logits, labels({1, 2}), true),
                    "sparse_categorical_crossentropy: predictions (3, 10) and labels (2,): labels must have shape "
                    "(3,), one class index per sample");
  CHECK(ops::sparse_categorical_crossentropy(logits, Tensor({3, 1}), true).item() == Approx(std::log(10.0)));
}

GRAD_TEST("categorical_crossentropy", "from logits and from probabilities, soft targets", "[ops][loss]") {
  for (bool from_logits : {true, false}) {
    INFO((from_logits ? "logits" : "probabilities"));
    Tensor pred = from_logits ? grad_check::random_tensor({3, 4}, 82, -3, 3)
                              : grad_check::random_tensor({3, 4}, 83, 0.05f, 1.0f);
    Tensor target = grad_check::random_tensor({3, 4}, 84, 0, 1, false);
    grad_check::check_gradients(
        "categorical_crossentropy", {pred, target},
        [from_logits](const std::vector<Tensor>& in) {
          return ops::categorical_crossentropy(in[0], in[1], from_logits);
        },
        [from_logits](const std::vector<Vec>& in) {
          double total = 0;
          for (size_t r = 0; r < 3; ++r) {
            const double* x = in[0].data() + r * 4;
            const double* t = in[1].data() + r * 4;
            double s = 0;
            for (size_t j = 0; j < 4; ++j) s += x[j];
            for (size_t j = 0; j < 4; ++j)
              total -= t[j] * (from_logits ? x[j] - lse(x, 4) : std::log(clip(x[j] / s)));
          }
          return Vec{total / 3};
        });
  }
}

GRAD_TEST("binary_crossentropy", "from logits and from probabilities", "[ops][loss]") {
  for (bool from_logits : {true, false}) {
    INFO((from_logits ? "logits" : "probabilities"));
    Tensor pred = from_logits ? grad_check::random_tensor({4, 3}, 85, -4, 4)
                              : grad_check::random_tensor({4, 3}, 86, 0.05f, 0.95f);
    Tensor target = grad_check::random_tensor({4, 3}, 87, 0, 1, false);
    grad_check::check_gradients(
        "binary_crossentropy", {pred, target},
        [from_logits](const std::vector<Tensor>& in) { return ops::binary_crossentropy(in[0], in[1], from_logits); },
        [from_logits](const std::vector<Vec>& in) {
          double total = 0;
          for (size_t i = 0; i < in[0].size(); ++i) {
            const double p = from_logits ? 1 / (1 + std::exp(-in[0][i])) : in[0][i], t = in[1][i];
            total -= t * std::log(p) + (1 - t) * std::log(1 - p);
          }
          return Vec{total / static_cast<double>(in[0].size())};
        });
  }
}

TEST_CASE("binary_crossentropy from logits is stable for logits of magnitude 1e4", "[ops][loss]") {
  Tensor logits({2}, std::vector<float>{1e4f, -1e4f});
  CHECK(ops::binary_crossentropy(logits, Tensor({2}, std::vector<float>{1, 0}), true).item() == 0.0f);
  CHECK(ops::binary_crossentropy(logits, Tensor({2}, std::vector<float>{0, 1}), true).item() == Approx(1e4));
}

GRAD_TEST("mean_squared_error", "(4, 3)", "[ops][loss]") {
  grad_check::check_gradients(
      "mean_squared_error", {grad_check::random_tensor({4, 3}, 88), grad_check::random_tensor({4, 3}, 89, -1, 1, false)},
      [](const std::vector<Tensor>& in) { return ops::mean_squared_error(in[0], in[1]); },
      [](const std::vector<Vec>& in) {
        double total = 0;
        for (size_t i = 0; i < in[0].size(); ++i) total += (in[0][i] - in[1][i]) * (in[0][i] - in[1][i]);
        return Vec{total / static_cast<double>(in[0].size())};
      });
}

GRAD_TEST("mean_absolute_error", "(4, 3), no ties between prediction and target", "[ops][loss]") {
  Tensor pred = grad_check::random_tensor({4, 3}, 90, -1, 1, false);
  Tensor target = pred.clone();
  for (float& v : target.values()) v += 0.1f;  // alternate the sign of the difference, never 0
  for (int64_t i = 0; i < target.size(); i += 2) target.data()[i] -= 0.2f;
  pred.set_requires_grad();
  grad_check::check_gradients(
      "mean_absolute_error", {pred, target},
      [](const std::vector<Tensor>& in) { return ops::mean_absolute_error(in[0], in[1]); },
      [](const std::vector<Vec>& in) {
        double total = 0;
        for (size_t i = 0; i < in[0].size(); ++i) total += std::fabs(in[0][i] - in[1][i]);
        return Vec{total / static_cast<double>(in[0].size())};
      });
}

TEST_CASE("losses name both shapes when predictions and targets differ", "[ops][loss]") {
  CHECK_THROWS_WITH(ops::mean_squared_error(Tensor({4, 3}), Tensor({4, 2})),
                    "mean_squared_error: (4, 3) and (4, 2): shapes differ");
  CHECK_THROWS_WITH(ops::categorical_crossentropy(Tensor({4, 3}), Tensor({4}), true),
                    "categorical_crossentropy: (4, 3) and (4,): shapes differ");
  CHECK_THROWS_WITH(ops::binary_crossentropy(Tensor(Shape{0}), Tensor(Shape{0}), true),
                    "binary_crossentropy: predictions (0,) have no elements");
  CHECK_THROWS_WITH(ops::sparse_categorical_crossentropy(Tensor(Shape{0, 3}), Tensor(Shape{0}), true),
                    "sparse_categorical_crossentropy: predictions (0, 3) must be (N, C) with at least one sample and "
                    "one class");
}
