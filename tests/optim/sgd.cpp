// SGD against steps worked out by hand: plain, momentum, Nesterov; its config and bad options.
#include "support/optim_testing.hpp"

#include <elucid/core/error.hpp>
#include <elucid/optim/sgd.hpp>

#include <limits>

using namespace elucid;
using namespace elucid::optimizers;
using elucid::testing::check_close;
using elucid::testing::param;
using elucid::testing::set_grad;

TEST_CASE("SGD without momentum: w -= lr * g", "[optim][sgd]") {
  SGD sgd({.learning_rate = 0.1});
  std::vector<NamedTensor> params{param("w", {1, -2})};
  set_grad(params[0], {0.5f, 0.25f});
  sgd.step(params);
  check_close(params[0].tensor, {0.95, -2.025});  // 1 - 0.1 * 0.5, -2 - 0.1 * 0.25
  sgd.step(params);
  check_close(params[0].tensor, {0.9, -2.05});
  CHECK(sgd.iterations() == 2);
  CHECK(sgd.state().slots.empty());  // momentum 0 keeps no slot
}

TEST_CASE("SGD with momentum: m = momentum * m - lr * g, w += m", "[optim][sgd]") {
  SGD sgd({.learning_rate = 0.1, .momentum = 0.9});
  std::vector<NamedTensor> params{param("w", {1, -2})};
  set_grad(params[0], {0.5f, -1.0f});
  // Element 0, g = 0.5:  m1 = -0.05    w1 = 0.95
  //                      m2 = 0.9 * -0.05 - 0.05 = -0.095     w2 = 0.855
  //                      m3 = 0.9 * -0.095 - 0.05 = -0.1355   w3 = 0.7195
  // Element 1, g = -1:   m1 = 0.1      w1 = -1.9
  //                      m2 = 0.09 + 0.1 = 0.19               w2 = -1.71
  //                      m3 = 0.171 + 0.1 = 0.271             w3 = -1.439
  sgd.step(params);
  check_close(params[0].tensor, {0.95, -1.9});
  sgd.step(params);
  check_close(params[0].tensor, {0.855, -1.71});
  sgd.step(params);
  check_close(params[0].tensor, {0.7195, -1.439});
  const OptimizerState state = sgd.state();
  REQUIRE(state.slots.size() == 1);
  CHECK(state.slots[0].name == "w/momentum");
  CHECK(state.slots[0].values[0] == Approx(-0.1355));
}

TEST_CASE("SGD with Nesterov momentum: m = momentum * m - lr * g, w += momentum * m - lr * g", "[optim][sgd]") {
  SGD sgd({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  std::vector<NamedTensor> params{param("w", {1})};
  set_grad(params[0], {0.5f});
  // m1 = -0.05     w1 = 1 + (0.9 * -0.05 - 0.05) = 1 - 0.095 = 0.905
  // m2 = -0.095    w2 = 0.905 + (0.9 * -0.095 - 0.05) = 0.905 - 0.1355 = 0.7695
  // m3 = -0.1355   w3 = 0.7695 + (0.9 * -0.1355 - 0.05) = 0.7695 - 0.17195 = 0.59755
  sgd.step(params);
  check_close(params[0].tensor, {0.905});
  sgd.step(params);
  check_close(params[0].tensor, {0.7695});
  sgd.step(params);
  check_close(params[0].tensor, {0.59755});
}

TEST_CASE("SGD reports its config in Keras order", "[optim][sgd]") {
  const SGD sgd({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true, .clipnorm = 1.0});
  CHECK(sgd.name() == "SGD");
  CHECK(sgd.config() == Config{{"learning_rate", 0.05}, {"clipnorm", 1.0}, {"momentum", 0.9}, {"nesterov", 1.0}});
  CHECK(SGD().config() == Config{{"learning_rate", 0.01}, {"momentum", 0.0}, {"nesterov", 0.0}});
}

TEST_CASE("SGD rejects bad options, naming the option and the value", "[optim][sgd]") {
  CHECK_THROWS_WITH(SGD({.learning_rate = -0.01}), "SGD: learning_rate must be >= 0, got -0.01");
  CHECK_THROWS_WITH(SGD({.learning_rate = std::numeric_limits<float>::infinity()}),
                    "SGD: learning_rate must be >= 0, got inf");
  CHECK_THROWS_WITH(SGD({.momentum = 1.5}), "SGD: momentum must be in [0, 1], got 1.5");
  CHECK_THROWS_WITH(SGD({.momentum = -0.1}), "SGD: momentum must be in [0, 1], got -0.1");
  CHECK_THROWS_WITH(SGD({.weight_decay = -1.0f}), "SGD: weight_decay must be >= 0, got -1");
  CHECK_THROWS_WITH(SGD({.clipnorm = 0.0f}), "SGD: clipnorm must be > 0, got 0");
  CHECK_THROWS_WITH(SGD({.clipvalue = -1.0f}), "SGD: clipvalue must be > 0, got -1");
  CHECK_THROWS_WITH(SGD({.global_clipnorm = std::numeric_limits<float>::quiet_NaN()}),
                    "SGD: global_clipnorm must be > 0, got nan");
  CHECK_THROWS_WITH(SGD({.clipnorm = 1.0f, .clipvalue = 0.5f}),
                    "SGD: only one of clipnorm, clipvalue and global_clipnorm can be set, got clipnorm=1 and "
                    "clipvalue=0.5");
  CHECK_NOTHROW(SGD({.learning_rate = 0, .momentum = 1}));
}
