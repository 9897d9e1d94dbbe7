// dropout (core/ops/dropout.cpp): each sample's mask follows the documented draws from its keyed generator, survivors
// are scaled by 1 / (1 - rate), inference is the identity, and the rate is validated.
#include "support/grad_check.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>
#include <tuple>

using namespace elucid;
using grad_check::Vec;

GRAD_TEST("dropout", "rate 0.3 and 0.5, training", "[ops][dropout]") {
  for (float rate : {0.3f, 0.5f}) {
    INFO("rate " << rate);
    grad_check::check_gradients(
        "dropout", {grad_check::random_tensor({4, 5}, 100)},
        [rate](const std::vector<Tensor>& in) { return ops::dropout(in[0], rate, 7, {3, 10}, true); },
        [rate](const std::vector<Vec>& in) {
          // Sample i (a row of 5) from Random::keyed(seed 7, step 3, sample 10 + i): one uniform per element, in
          // order, dropped when it falls below the rate.
          Vec out = in[0];
          for (size_t i = 0; i < 4; ++i) {
            Random rng = Random::keyed(7, 3, 10 + i);
            for (size_t j = 0; j < 5; ++j) {
              double& v = out[i * 5 + j];
              v = rng.uniform() < rate ? 0.0 : v / (1.0 - rate);
            }
          }
          return out;
        });
  }
}

TEST_CASE("dropout drops about rate of the elements and is the identity outside training", "[ops][dropout]") {
  Tensor x = Tensor::ones({100, 100});
  Tensor y = ops::dropout(x, 0.3f, 1, {0, 0}, true);
  int64_t zeros = 0;
  for (float v : y.values()) {
    if (v == 0) ++zeros;
    else CHECK(v == Approx(1 / 0.7));
  }
  CHECK(zeros > 2700);
  CHECK(zeros < 3300);

  Tensor again = ops::dropout(x, 0.3f, 1, {0, 0}, true);
  CHECK(std::equal(y.values().begin(), y.values().end(), again.values().begin()));
  // Another seed, or another step, or the same samples at other places in the batch: other masks.
  for (auto [seed, step, first] : {std::tuple{2, 0, 0}, {1, 1, 0}, {1, 0, 1}}) {
    CAPTURE(seed, step, first);
    const Tensor other = ops::dropout(x, 0.3f, seed, {uint64_t(step), first}, true);
    CHECK_FALSE(std::equal(y.values().begin(), y.values().end(), other.values().begin()));
  }
  // A sample's mask is its own: rows 40..59 masked alone, from sample 40, are rows 40..59 of the whole mask.
  const Tensor part = ops::dropout(Tensor::ones({20, 100}), 0.3f, 1, {0, 40}, true);
  CHECK(std::equal(part.values().begin(), part.values().end(), y.values().begin() + 40 * 100));

  CHECK(ops::dropout(x, 0.3f, 1, {0, 0}, false).same_node(x));
  CHECK(ops::dropout(x, 0.0f, 1, {0, 0}, true).same_node(x));
}

TEST_CASE("dropout rejects a rate below 0 or from 1 up", "[ops][dropout]") {
  CHECK_THROWS_WITH(ops::dropout(Tensor({2}), 1.0f, 1, {}, true), "dropout: rate must be in [0, 1), got 1.000000");
  CHECK_THROWS_WITH(ops::dropout(Tensor({2}), -0.1f, 1, {}, false), "dropout: rate must be in [0, 1), got -0.100000");
}
