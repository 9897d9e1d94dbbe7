// Adagrad against steps computed in double, its config and bad options.
#include "support/optim_testing.hpp"

#include <elucid/core/error.hpp>
#include <elucid/optim/adagrad.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::optimizers;
using elucid::testing::check_close;
using elucid::testing::param;
using elucid::testing::set_grad;

TEST_CASE("Adagrad: acc += g^2, w -= lr * g / sqrt(acc + eps)", "[optim][adagrad]") {
  Adagrad adagrad({.learning_rate = 0.1, .initial_accumulator_value = 0.1, .epsilon = 0.01});
  std::vector<NamedTensor> params{param("w", {1, -2})};
  const std::vector<std::vector<float>> grads = {{0.5f, -1.0f}, {-0.25f, 2.0f}, {1.0f, 0.5f}};

  // Step 1 by hand: acc = 0.1 + 0.25 = 0.35, w = 1 - 0.05 / sqrt(0.36) = 1 - 0.0833333 = 0.91666667;
  //                 acc = 0.1 + 1 = 1.1,    w = -2 + 0.1 / sqrt(1.11) = -2 + 0.0949158 = -1.90508416.
  set_grad(params[0], grads[0]);
  adagrad.step(params);
  check_close(params[0].tensor, {0.91666667, -1.90508416});

  // Steps 2 and 3 in double, from the start.
  std::vector<double> w{1, -2}, acc{0.1, 0.1};
  for (size_t step = 0; step < grads.size(); ++step) {
    for (size_t i = 0; i < 2; ++i) {
      acc[i] += double(grads[step][i]) * grads[step][i];
      w[i] -= 0.1 * grads[step][i] / std::sqrt(acc[i] + 0.01);
    }
    if (step == 0) continue;
    set_grad(params[0], grads[step]);
    adagrad.step(params);
    INFO("step " << step + 1);
    check_close(params[0].tensor, w);
  }
  const OptimizerState state = adagrad.state();
  REQUIRE(state.slots.size() == 1);
  CHECK(state.slots[0].name == "w/accumulator");
  CHECK(state.slots[0].values[0] == Approx(acc[0]));
}

TEST_CASE("Adagrad reports its config and rejects bad options", "[optim][adagrad]") {
  CHECK(Adagrad().name() == "Adagrad");
  CHECK(Adagrad().config() ==
        Config{{"learning_rate", 0.001}, {"initial_accumulator_value", 0.1}, {"epsilon", 1e-7}});
  CHECK_THROWS_WITH(Adagrad({.initial_accumulator_value = -1}),
                    "Adagrad: initial_accumulator_value must be >= 0, got -1");
  CHECK_THROWS_WITH(Adagrad({.epsilon = -1e-7}), "Adagrad: epsilon must be > 0, got -1e-07");
  CHECK_THROWS_WITH(Adagrad({.learning_rate = -0.5f}), "Adagrad: learning_rate must be >= 0, got -0.5");
}
