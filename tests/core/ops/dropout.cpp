// dropout (core/ops/dropout.cpp): the mask follows the documented draws from the given Random, survivors are scaled
// by 1 / (1 - rate), inference is the identity, and the rate is validated.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

using namespace elucid;
using grad_check::Vec;

GRAD_TEST("dropout", "rate 0.3 and 0.5, training", "[ops][dropout]") {
  for (float rate : {0.3f, 0.5f}) {
    INFO("rate " << rate);
    grad_check::check_gradients(
        "dropout", {grad_check::random_tensor({4, 5}, 100)},
        [rate](const std::vector<Tensor>& in) {
          Random rng(7);
          return ops::dropout(in[0], rate, rng, true);
        },
        [rate](const std::vector<Vec>& in) {
          // One uniform per element, in order: dropped when it falls below the rate.
          Random rng(7);
          Vec out = in[0];
          for (double& v : out) v = rng.uniform() < rate ? 0.0 : v / (1.0 - rate);
          return out;
        });
  }
}

TEST_CASE("dropout drops about rate of the elements and is the identity outside training", "[ops][dropout]") {
  Tensor x = Tensor::ones({100, 100});
  Random rng(1);
  Tensor y = ops::dropout(x, 0.3f, rng, true);
  int64_t zeros = 0;
  for (float v : y.values()) {
    if (v == 0) ++zeros;
    else CHECK(v == Approx(1 / 0.7));
  }
  CHECK(zeros > 2700);
  CHECK(zeros < 3300);

  Random same(1);
  Tensor again = ops::dropout(x, 0.3f, same, true);
  CHECK(std::equal(y.values().begin(), y.values().end(), again.values().begin()));

  Random untouched(5);
  const auto state = untouched.state();
  CHECK(ops::dropout(x, 0.3f, untouched, false).same_node(x));
  CHECK(untouched.state() == state);  // inference draws nothing
}

TEST_CASE("dropout rejects a rate below 0 or from 1 up", "[ops][dropout]") {
  Random rng(1);
  CHECK_THROWS_WITH(ops::dropout(Tensor({2}), 1.0f, rng, true), "dropout: rate must be in [0, 1), got 1.000000");
  CHECK_THROWS_WITH(ops::dropout(Tensor({2}), -0.1f, rng, false), "dropout: rate must be in [0, 1), got -0.100000");
}
