// RMSprop (plain, momentum, centered) against steps computed in double, its config and bad options.
#include "support/optim_testing.hpp"

#include <elucid/core/error.hpp>
#include <elucid/optim/rmsprop.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::optimizers;
using elucid::testing::check_close;
using elucid::testing::param;
using elucid::testing::run_and_check;
using elucid::testing::set_grad;

namespace {
const std::vector<std::vector<float>> kGrads = {{0.5f, -1.0f}, {-0.25f, 2.0f}, {1.0f, 0.5f}};

// Keras 3 RMSprop (keras/src/optimizers/rmsprop.py) in double:
//   v = rho v + (1 - rho) g^2; centered: a = rho a + (1 - rho) g, d = v - a^2 + eps, else d = v + eps;
//   inc = lr g / sqrt(d); momentum: m = momentum m + inc, w -= m; else w -= inc.
std::vector<std::vector<double>> reference_rmsprop(std::vector<double> w, double lr, double rho, double momentum,
                                                   double eps, bool centered) {
  std::vector<double> v(w.size()), a(w.size()), m(w.size());
  std::vector<std::vector<double>> after_each_step;
  for (const auto& grads : kGrads) {
    for (size_t i = 0; i < w.size(); ++i) {
      const double g = grads[i];
      v[i] = rho * v[i] + (1 - rho) * g * g;
      a[i] = rho * a[i] + (1 - rho) * g;
      const double d = centered ? v[i] - a[i] * a[i] + eps : v[i] + eps;
      const double inc = lr * g / std::sqrt(d);
      m[i] = momentum * m[i] + inc;
      w[i] -= momentum > 0 ? m[i] : inc;
    }
    after_each_step.push_back(w);
  }
  return after_each_step;
}
}  // namespace

TEST_CASE("RMSprop: the Keras docstring example and one step by hand", "[optim][rmsprop]") {
  // keras.optimizers.RMSprop(learning_rate=0.1) on loss = var^2 / 2 from var = 10 gives 9.683772:
  // v = 0.1 * 100 = 10, w = 10 - 0.1 * 10 / sqrt(10 + 1e-7) = 9.683772.
  RMSprop keras_example({.learning_rate = 0.1});
  std::vector<NamedTensor> var{param("var", {10})};
  set_grad(var[0], {10});
  keras_example.step(var);
  CHECK(var[0].tensor.item() == Approx(9.683772));

  // rho 0.5, eps 0.1, g = 0.5: v = 0.125, w = 1 - 0.1 * 0.5 / sqrt(0.225) = 0.89459074
  RMSprop rmsprop({.learning_rate = 0.1, .rho = 0.5, .epsilon = 0.1});
  std::vector<NamedTensor> params{param("w", {1})};
  set_grad(params[0], {0.5f});
  rmsprop.step(params);
  check_close(params[0].tensor, {0.89459074});
}

TEST_CASE("RMSprop: three steps, plain, with momentum, centered, and both", "[optim][rmsprop]") {
  SECTION("plain") {
    RMSprop rmsprop({.learning_rate = 0.1, .rho = 0.5, .epsilon = 0.1});
    run_and_check(rmsprop, kGrads, reference_rmsprop({1, -2}, 0.1, 0.5, 0, 0.1, false));
    CHECK(rmsprop.state().slots.size() == 1);
  }
  SECTION("momentum") {
    RMSprop rmsprop({.learning_rate = 0.1, .rho = 0.5, .momentum = 0.5, .epsilon = 0.1});
    run_and_check(rmsprop, kGrads, reference_rmsprop({1, -2}, 0.1, 0.5, 0.5, 0.1, false));
  }
  SECTION("centered") {
    RMSprop rmsprop({.learning_rate = 0.1, .rho = 0.5, .epsilon = 0.1, .centered = true});
    run_and_check(rmsprop, kGrads, reference_rmsprop({1, -2}, 0.1, 0.5, 0, 0.1, true));
  }
  SECTION("centered with momentum") {
    RMSprop rmsprop({.learning_rate = 0.1, .rho = 0.5, .momentum = 0.5, .epsilon = 0.1, .centered = true});
    run_and_check(rmsprop, kGrads, reference_rmsprop({1, -2}, 0.1, 0.5, 0.5, 0.1, true));
    const OptimizerState state = rmsprop.state();
    REQUIRE(state.slots.size() == 3);
    CHECK(state.slots[0].name == "w/velocity");
    CHECK(state.slots[1].name == "w/momentum");
    CHECK(state.slots[2].name == "w/average_gradient");
  }
  // The variants differ by more than the tolerance, so each section can fail.
  const auto plain = reference_rmsprop({1, -2}, 0.1, 0.5, 0, 0.1, false);
  CHECK(std::abs(plain[2][0] - reference_rmsprop({1, -2}, 0.1, 0.5, 0, 0.1, true)[2][0]) > 1e-3);
  CHECK(std::abs(plain[2][0] - reference_rmsprop({1, -2}, 0.1, 0.5, 0.5, 0.1, false)[2][0]) > 1e-3);
}

TEST_CASE("RMSprop reports its config and rejects bad options", "[optim][rmsprop]") {
  CHECK(RMSprop().name() == "RMSprop");
  CHECK(RMSprop().config() ==
        Config{{"learning_rate", 0.001}, {"rho", 0.9}, {"momentum", 0.0}, {"epsilon", 1e-7}, {"centered", 0.0}});
  CHECK_THROWS_WITH(RMSprop({.rho = 1.0}), "RMSprop: rho must be in [0, 1), got 1");
  CHECK_THROWS_WITH(RMSprop({.rho = -0.5}), "RMSprop: rho must be in [0, 1), got -0.5");
  CHECK_THROWS_WITH(RMSprop({.momentum = 1.01}), "RMSprop: momentum must be in [0, 1], got 1.01");
  CHECK_THROWS_WITH(RMSprop({.epsilon = 0}), "RMSprop: epsilon must be > 0, got 0");
  CHECK_THROWS_WITH(RMSprop({.learning_rate = -1}), "RMSprop: learning_rate must be >= 0, got -1");
}
