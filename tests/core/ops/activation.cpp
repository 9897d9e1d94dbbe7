// Activations (core/ops/activation.cpp): ELU pinned values and gradients for alpha 1.0 and 0.5, the other pointwise
// activations, softmax and log_softmax, each against a double reference.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <cmath>
#include <limits>

using namespace elucid;
using grad_check::Vec;

namespace {
// Random values in [-3, 3] pushed at least 0.05 away from 0, the kink of ELU (alpha != 1), ReLU and SELU.
Tensor away_from_zero(Shape shape, uint64_t seed) {
  Tensor t = grad_check::random_tensor(std::move(shape), seed, -3.0f, 3.0f, false);
  for (float& v : t.values()) v = std::copysign(0.05f + std::fabs(v), v);
  t.set_requires_grad();
  return t;
}

template <class F>
grad_check::RefFn pointwise_ref(F f) {
  return [f](const std::vector<Vec>& in) {
    Vec out(in[0].size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = f(in[0][i]);
    return out;
  };
}

const std::vector<Shape> kShapes = {{1, 7}, {3, 5, 2}};

void check_pointwise(const char* name, Tensor (*op)(const Tensor&), double (*ref)(double)) {
  uint64_t seed = 20;
  for (const Shape& s : kShapes) {
    INFO(name << " on " << to_string(s));
    grad_check::check_gradients(name, {away_from_zero(s, seed++)},
                                [op](const std::vector<Tensor>& in) { return op(in[0]); }, pointwise_ref(ref));
  }
}
}  // namespace

TEST_CASE("elu values are pinned from -10 to 3e38 for alpha 1.0 and 0.5", "[ops][activation][elu]") {
  const std::vector<float> xs = {-10.0f, -1.0f, 0.0f, 1.0f, 88.0f, 3e38f};
  for (float alpha : {1.0f, 0.5f}) {
    Tensor x({6}, xs);
    x.set_requires_grad();
    Tensor y = ops::elu(x, alpha);
    const std::vector<double> want = {alpha * -0.99995460007023751514, alpha * -0.63212055882855767840, 0.0, 1.0,
                                      88.0, 3e38};
    for (size_t i = 0; i < xs.size(); ++i) {
      INFO("elu(" << xs[i] << ", alpha " << alpha << ")");
      CHECK(std::isfinite(y.values()[i]));
      CHECK(y.values()[i] == Approx(want[i]).epsilon(1e-6));
    }
    // Backward from the saved output: 1 for x > 0, alpha * exp(x) for x <= 0.
    grad_check::weighted_sum(y, Vec(6, 1.0)).backward();
    const std::vector<double> dwant = {alpha * std::exp(-10.0), alpha * std::exp(-1.0), alpha, 1, 1, 1};
    for (size_t i = 0; i < xs.size(); ++i) {
      INFO("elu'(" << xs[i] << ", alpha " << alpha << ")");
      CHECK(std::isfinite(x.grad().values()[i]));
      CHECK(x.grad().values()[i] == Approx(dwant[i]).epsilon(1e-5).margin(1e-7));
    }
  }
  // The extremes of float: no NaN and no inf from expm1.
  const float big = std::numeric_limits<float>::max();
  Tensor y = ops::elu(Tensor({3}, std::vector<float>{big, -big, -std::numeric_limits<float>::infinity()}), 0.5f);
  CHECK(y.values()[0] == big);
  CHECK(y.values()[1] == -0.5f);
  CHECK(y.values()[2] == -0.5f);
}

TEST_CASE("elu: the vectorised expm1 is within 2 ulps of the exact value from -25 to 0", "[ops][activation][elu]") {
  // Every 1e-4 from -25 to 0, plus tiny and subnormal inputs where expm1(x) = x.
  std::vector<float> xs;
  for (int i = 0; i <= 250000; ++i) xs.push_back(-25.0f + 1e-4f * static_cast<float>(i));
  for (float v : {-1e-3f, -1e-8f, -1e-20f, -1e-40f, -0.34657359f, -0.34657360f, -17.0f, -17.5f, -20.0f})
    xs.push_back(v);
  Tensor y = ops::elu(Tensor({static_cast<int64_t>(xs.size())}, xs), 1.0f);
  int64_t worst_index = 0;
  double worst_ulps = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double exact = std::expm1(static_cast<double>(xs[i]));
    const float f = static_cast<float>(exact);
    const double ulp = std::nextafter(std::fabs(f), std::numeric_limits<float>::infinity()) - std::fabs(f);
    const double ulps = std::fabs(y.values()[i] - exact) / ulp;
    if (ulps > worst_ulps) {
      worst_ulps = ulps;
      worst_index = static_cast<int64_t>(i);
    }
  }
  INFO("worst at x = " << xs[static_cast<size_t>(worst_index)] << ": " << worst_ulps << " ulps");
  CHECK(worst_ulps <= 2.0);
  CHECK(std::isnan(ops::elu(Tensor({1}, std::vector<float>{std::nanf("")})).values()[0]));
}

GRAD_TEST("elu", "alpha 1.0 and 0.5, batch 1 and odd shapes, no zeros", "[ops][activation][elu]") {
  for (float alpha : {1.0f, 0.5f}) {
    uint64_t seed = 30;
    for (const Shape& s : kShapes) {
      INFO("elu alpha " << alpha << " on " << to_string(s));
      grad_check::check_gradients(
          "elu", {away_from_zero(s, seed++)}, [alpha](const std::vector<Tensor>& in) { return ops::elu(in[0], alpha); },
          pointwise_ref([alpha](double v) { return v > 0 ? v : alpha * std::expm1(v); }));
    }
  }
}

TEST_CASE("elu rejects a negative alpha", "[ops][activation][elu]") {
  CHECK_THROWS_WITH(ops::elu(Tensor({2}), -1.0f), "elu: alpha must be finite and >= 0, got -1.000000");
}

GRAD_TEST("relu", "batch 1 and odd shapes, no zeros", "[ops][activation]") {
  check_pointwise("relu", ops::relu, [](double v) { return v > 0 ? v : 0.0; });
}
GRAD_TEST("sigmoid", "batch 1 and odd shapes", "[ops][activation]") {
  check_pointwise("sigmoid", ops::sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); });
}
GRAD_TEST("tanh", "batch 1 and odd shapes", "[ops][activation]") {
  check_pointwise("tanh", ops::tanh, [](double v) { return std::tanh(v); });
}
GRAD_TEST("selu", "batch 1 and odd shapes, no zeros", "[ops][activation]") {
  check_pointwise("selu", ops::selu, [](double v) {
    const double scale = 1.0507009873554804934193349852946, alpha = 1.6732632423543772848170429916717;
    return scale * (v > 0 ? v : alpha * (std::exp(v) - 1));
  });
}
GRAD_TEST("softplus", "batch 1 and odd shapes", "[ops][activation]") {
  check_pointwise("softplus", ops::softplus, [](double v) { return std::log(1 + std::exp(v)); });
}
GRAD_TEST("gelu", "batch 1 and odd shapes", "[ops][activation]") {
  check_pointwise("gelu", ops::gelu, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
}
GRAD_TEST("swish", "batch 1 and odd shapes", "[ops][activation]") {
  check_pointwise("swish", ops::swish, [](double v) { return v / (1 + std::exp(-v)); });
}

TEST_CASE("pointwise activations stay finite at the float extremes", "[ops][activation]") {
  const float big = 3e38f;
  Tensor x({2}, std::vector<float>{big, -big});
  for (auto op : {ops::relu, ops::sigmoid, ops::tanh, ops::selu, ops::softplus, ops::gelu, ops::swish}) {
    Tensor y = op(x);
    CHECK_FALSE(std::isnan(y.values()[0]));
    CHECK_FALSE(std::isnan(y.values()[1]));
  }
  CHECK(ops::sigmoid(x).values()[0] == 1.0f);
  CHECK(ops::sigmoid(x).values()[1] == 0.0f);
  CHECK(ops::softplus(x).values()[0] == big);
}

namespace {
// Row-wise over the last axis of size `cols`.
grad_check::RefFn softmax_ref(size_t cols, bool log) {
  return [cols, log](const std::vector<Vec>& in) {
    Vec out(in[0].size());
    for (size_t r = 0; r < out.size() / cols; ++r) {
      double s = 0;
      for (size_t j = 0; j < cols; ++j) s += std::exp(in[0][r * cols + j]);
      for (size_t j = 0; j < cols; ++j)
        out[r * cols + j] = log ? in[0][r * cols + j] - std::log(s) : std::exp(in[0][r * cols + j]) / s;
    }
    return out;
  };
}
}  // namespace

GRAD_TEST("softmax", "batch 1, (4, 3) and (2, 3, 5)", "[ops][activation]") {
  for (const Shape& s : {Shape{1, 6}, Shape{4, 3}, Shape{2, 3, 5}}) {
    grad_check::check_gradients("softmax", {grad_check::random_tensor(s, 40, -3, 3)},
                                [](const std::vector<Tensor>& in) { return ops::softmax(in[0]); },
                                softmax_ref(static_cast<size_t>(s.back()), false));
  }
}

GRAD_TEST("log_softmax", "batch 1, (4, 3) and (2, 3, 5)", "[ops][activation]") {
  for (const Shape& s : {Shape{1, 6}, Shape{4, 3}, Shape{2, 3, 5}}) {
    grad_check::check_gradients("log_softmax", {grad_check::random_tensor(s, 41, -3, 3)},
                                [](const std::vector<Tensor>& in) { return ops::log_softmax(in[0]); },
                                softmax_ref(static_cast<size_t>(s.back()), true));
  }
}

TEST_CASE("softmax and log_softmax are stable for logits of magnitude 1e4", "[ops][activation]") {
  Tensor x({1, 3}, std::vector<float>{1e4f, 0.0f, -1e4f});
  Tensor p = ops::softmax(x);
  CHECK(p.values()[0] == 1.0f);
  CHECK(p.values()[1] == 0.0f);
  Tensor lp = ops::log_softmax(x);
  CHECK(lp.values()[0] == 0.0f);
  CHECK(lp.values()[1] == -1e4f);
  CHECK(lp.values()[2] == -2e4f);
  CHECK_THROWS_WITH(ops::softmax(Tensor::scalar(1)), "softmax: input () has no axis to normalise over");
}
