// Adam, AMSGrad and AdamW against reference steps computed in double, their configs and bad options.
// Hyperparameters are chosen so that every term shows: beta_1 = 0.5 and beta_2 = 0.75 make the bias corrections
// large, epsilon = 0.1 makes where epsilon is added matter.
#include "support/optim_testing.hpp"

#include <elucid/core/error.hpp>
#include <elucid/optim/adam.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::optimizers;
using elucid::testing::check_close;
using elucid::testing::param;
using elucid::testing::run_and_check;
using elucid::testing::set_grad;

namespace {
const std::vector<std::vector<float>> kGrads = {{0.5f, -1.0f}, {-0.25f, 2.0f}, {1.0f, 0.5f}};

// Keras 3 Adam (keras/src/optimizers/adam.py) in double, step t = 1, 2, ...:
//   alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//   (amsgrad: v_hat = max(v_hat, v), used for v); w -= alpha * m / (sqrt(v) + eps).
// AdamW first applies w -= w * weight_decay * lr.
std::vector<std::vector<double>> reference_adam(std::vector<double> w, const std::vector<std::vector<float>>& grads,
                                                double lr, double b1, double b2, double eps, bool amsgrad,
                                                double weight_decay = 0) {
  std::vector<double> m(w.size()), v(w.size()), v_hat(w.size());
  std::vector<std::vector<double>> after_each_step;
  for (size_t step = 0; step < grads.size(); ++step) {
    const double t = static_cast<double>(step + 1);
    const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (size_t i = 0; i < w.size(); ++i) {
      const double g = grads[step][i];
      w[i] -= w[i] * weight_decay * lr;
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      v_hat[i] = std::max(v_hat[i], v[i]);
      w[i] -= alpha * m[i] / (std::sqrt(amsgrad ? v_hat[i] : v[i]) + eps);
    }
    after_each_step.push_back(w);
  }
  return after_each_step;
}
}  // namespace

TEST_CASE("Adam: one step worked out by hand", "[optim][adam]") {
  Adam adam({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75, .epsilon = 0.1});
  std::vector<NamedTensor> params{param("w", {1, -2})};
  set_grad(params[0], {0.5f, -1.0f});
  adam.step(params);
  // t = 1: alpha = 0.1 * sqrt(1 - 0.75) / (1 - 0.5) = 0.1
  // g = 0.5: m = 0.25, v = 0.0625, w = 1 - 0.1 * 0.25 / (0.25 + 0.1) = 0.92857143
  // g = -1:  m = -0.5, v = 0.25,   w = -2 + 0.1 * 0.5 / (0.5 + 0.1) = -1.91666667
  check_close(params[0].tensor, {0.92857143, -1.91666667});
  const OptimizerState state = adam.state();
  REQUIRE(state.slots.size() == 2);
  CHECK(state.slots[0].name == "w/momentum");
  CHECK(state.slots[0].values == std::vector<float>{0.25f, -0.5f});
  CHECK(state.slots[1].name == "w/velocity");
  CHECK(state.slots[1].values == std::vector<float>{0.0625f, 0.25f});
}

TEST_CASE("Adam: three steps against the double reference", "[optim][adam]") {
  Adam adam({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75, .epsilon = 0.1});
  run_and_check(adam, kGrads, reference_adam({1, -2}, kGrads, 0.1, 0.5, 0.75, 0.1, false));
  CHECK(adam.iterations() == 3);
}

TEST_CASE("Adam with Keras defaults moves each weight by about lr per step under a constant gradient",
          "[optim][adam]") {
  // m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2, so alpha * m / sqrt(v) = lr * sign(g) exactly, less epsilon.
  Adam adam;
  std::vector<NamedTensor> params{param("w", {1, -2})};
  set_grad(params[0], {0.3f, -7.0f});
  for (int i = 0; i < 5; ++i) adam.step(params);
  check_close(params[0].tensor, {1 - 5 * 0.001, -2 + 5 * 0.001});
  std::vector<std::vector<float>> same(5, {0.3f, -7.0f});
  Adam again;
  run_and_check(again, same, reference_adam({1, -2}, same, 0.001, 0.9, 0.999, 1e-7, false));
}

TEST_CASE("Adam with amsgrad divides by the largest velocity seen", "[optim][adam]") {
  // A large gradient, then small ones: v falls, v_hat keeps the peak.
  const std::vector<std::vector<float>> grads = {{2.0f, -3.0f}, {0.1f, 0.2f}, {0.1f, -0.1f}};
  Adam amsgrad({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.5, .epsilon = 0.1, .amsgrad = true});
  const auto expected = reference_adam({1, -2}, grads, 0.1, 0.5, 0.5, 0.1, true);
  run_and_check(amsgrad, grads, expected);
  // Without amsgrad the last step differs, so the test above can tell them apart.
  const auto plain = reference_adam({1, -2}, grads, 0.1, 0.5, 0.5, 0.1, false);
  CHECK(std::abs(plain[2][0] - expected[2][0]) > 1e-3);
  const OptimizerState state = amsgrad.state();
  REQUIRE(state.slots.size() == 3);
  CHECK(state.slots[2].name == "w/velocity_hat");
}

TEST_CASE("AdamW decays the weights by w * weight_decay * lr before the Adam update", "[optim][adam]") {
  AdamW adamw({.learning_rate = 0.1, .weight_decay = 0.5f, .beta_1 = 0.5, .beta_2 = 0.75, .epsilon = 0.1});
  // Step 1 by hand: w = 1 - 1 * 0.5 * 0.1 = 0.95, then - 0.1 * 0.25 / 0.35 = 0.87857143.
  run_and_check(adamw, kGrads, reference_adam({1, -2}, kGrads, 0.1, 0.5, 0.75, 0.1, false, 0.5));
  // Adam given the same weight_decay is the same optimizer under another name, as in Keras 3.
  Adam adam({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75, .epsilon = 0.1, .weight_decay = 0.5f});
  run_and_check(adam, kGrads, reference_adam({1, -2}, kGrads, 0.1, 0.5, 0.75, 0.1, false, 0.5));
  CHECK(reference_adam({1, -2}, kGrads, 0.1, 0.5, 0.75, 0.1, false, 0.5)[0][0] == Approx(0.87857143));
}

TEST_CASE("Adam and AdamW report Keras names and configs", "[optim][adam]") {
  const Adam adam;
  CHECK(adam.name() == "Adam");
  CHECK(adam.config() ==
        Config{{"learning_rate", 0.001}, {"beta_1", 0.9}, {"beta_2", 0.999}, {"epsilon", 1e-7}, {"amsgrad", 0.0}});
  const AdamW adamw;
  CHECK(adamw.name() == "AdamW");
  CHECK(adamw.config() == Config{{"learning_rate", 0.001},
                                 {"weight_decay", 0.004},
                                 {"beta_1", 0.9},
                                 {"beta_2", 0.999},
                                 {"epsilon", 1e-7},
                                 {"amsgrad", 0.0}});
  CHECK(adamw.clone()->name() == "AdamW");
}

TEST_CASE("Adam and AdamW reject bad options, naming the option and the value", "[optim][adam]") {
  CHECK_THROWS_WITH(Adam({.learning_rate = -0.001}), "Adam: learning_rate must be >= 0, got -0.001");
  CHECK_THROWS_WITH(Adam({.beta_1 = 1.0}), "Adam: beta_1 must be in [0, 1), got 1");
  CHECK_THROWS_WITH(Adam({.beta_1 = -0.1}), "Adam: beta_1 must be in [0, 1), got -0.1");
  CHECK_THROWS_WITH(Adam({.beta_2 = 1.5}), "Adam: beta_2 must be in [0, 1), got 1.5");
  // 1 - 1e-9 is below 1 but rounds to 1 in float, where 1 - beta^t would be 0.
  CHECK_THROWS_WITH(Adam({.beta_2 = 1 - 1e-9}), "Adam: beta_2 must be in [0, 1), got 0.999999999");
  CHECK_THROWS_WITH(Adam({.epsilon = 0}), "Adam: epsilon must be > 0, got 0");
  CHECK_THROWS_WITH(Adam({.epsilon = -1e-7}), "Adam: epsilon must be > 0, got -1e-07");
  CHECK_THROWS_WITH(AdamW({.weight_decay = -0.1f}), "AdamW: weight_decay must be >= 0, got -0.1");
  CHECK_THROWS_WITH(AdamW({.beta_1 = 2}), "AdamW: beta_1 must be in [0, 1), got 2");
  CHECK_THROWS_WITH(AdamW({.clipvalue = 1.0f, .global_clipnorm = 2.0f}),
                    "AdamW: only one of clipnorm, clipvalue and global_clipnorm can be set, got clipvalue=1 and "
                    "global_clipnorm=2");
}
