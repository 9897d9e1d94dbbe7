// Dropout: identity at inference, a seeded mask in training, the rate checked.
#include <elucid/core/error.hpp>
#include <elucid/layers/dropout.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Dropout is the identity at inference", "[layers][dropout]") {
  Dropout drop(0.5, {.seed = 1});
  Tensor x({4, 8}, 3.0f);
  CHECK(drop.forward(x, false).same_node(x));
  CHECK(drop.output_shape({7, 3}) == Shape{7, 3});
  CHECK(drop.count_params() == 0);
  CHECK(drop.class_name() == "Dropout");
  CHECK(drop.default_name_stem() == "dropout");
}

TEST_CASE("Dropout in training: seeded mask, survivors scaled by 1 / (1 - rate)", "[layers][dropout][determinism]") {
  Tensor x({100, 100}, 2.0f);
  Dropout a(0.25, {.seed = 9}), b(0.25, {.seed = 9}), c(0.25, {.seed = 10});
  Tensor ya = a.forward(x, true), yb = b.forward(x, true), yc = c.forward(x, true);
  int zeros = 0;
  for (int64_t i = 0; i < ya.size(); ++i) {
    const float v = ya.values()[i];
    REQUIRE((v == 0.0f || v == Approx(2.0f / 0.75f)));
    zeros += v == 0.0f;
  }
  // 10,000 Bernoulli(0.25) draws: the count's stddev is about 43.
  CHECK(std::abs(zeros - 2500) < 250);
  CHECK(std::equal(ya.values().begin(), ya.values().end(), yb.values().begin()));
  CHECK_FALSE(std::equal(ya.values().begin(), ya.values().end(), yc.values().begin()));
  // The next call draws a new mask.
  Tensor ya2 = a.forward(x, true);
  CHECK_FALSE(std::equal(ya.values().begin(), ya.values().end(), ya2.values().begin()));

  // Without a seed, build() seeds the layer from the model's generator: the same model seed, the same masks.
  Dropout u(0.5), v(0.5);
  Random ru(5), rv(5);
  u.build({100, 100}, ru);
  v.build({100, 100}, rv);
  Tensor yu = u.forward(x, true), yv = v.forward(x, true);
  CHECK(std::equal(yu.values().begin(), yu.values().end(), yv.values().begin()));
  CHECK(Dropout(0.0).forward(x, true).values()[0] == 2.0f);
}

TEST_CASE("Dropout rejects a rate outside 0 <= rate < 1", "[layers][dropout]") {
  CHECK_THROWS_WITH(Dropout(1.0), "Dropout: rate must be in [0, 1), got 1");
  CHECK_THROWS_WITH(Dropout(-0.1, {.name = "dropout_3"}), "Dropout \"dropout_3\": rate must be in [0, 1), got -0.1");
  CHECK_THROWS_WITH(Dropout(std::nan("")), "Dropout: rate must be in [0, 1), got nan");
}
