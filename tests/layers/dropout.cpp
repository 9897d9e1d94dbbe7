// Dropout: identity at inference, a seeded mask in training, the rate checked, masks keyed by the run position.
#include <elucid/core/error.hpp>
#include <elucid/layers/dropout.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
std::vector<float> train_forward(Dropout& layer, const Tensor& x) {
  const Tensor y = layer.forward(x, true);
  return {y.values().begin(), y.values().end()};
}
}  // namespace

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

TEST_CASE("Dropout masks each sample by its place in the run, whatever part of the batch it is given",
          "[layers][dropout][distributed]") {
  // 5 samples of (3, 2) at step 7: one process masks all 5; slices on threads, or ranks, mask samples [0, 2) and
  // [2, 5) of the same batch, in any order, told where they start by the RunPosition the trainer sets.
  Tensor x({5, 3, 2}, 1.0f);
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = 1.0f + static_cast<float>(i);
  auto samples = [&](int64_t begin, int64_t count) {
    Tensor part({count, 3, 2});
    std::copy(x.data() + begin * 6, x.data() + (begin + count) * 6, part.data());
    return part;
  };
  Dropout layer(0.5, {.seed = 4});
  std::vector<float> expected;
  {
    const RunPosition::Scope at({7, 0});
    expected = train_forward(layer, x);
  }
  std::vector<float> last, first;
  {
    const RunPosition::Scope at({7, 2});  // the later part first: the layer keeps nothing between calls
    last = train_forward(layer, samples(2, 3));
  }
  {
    const RunPosition::Scope at({7, 0});
    first = train_forward(layer, samples(0, 2));
  }
  first.insert(first.end(), last.begin(), last.end());
  CHECK(first == expected);
  int zeros = 0;
  for (float v : expected) zeros += v == 0.0f;
  CHECK(zeros > 0);  // 30 draws at rate 0.5: some are dropped, some kept
  CHECK(zeros < 30);
  {
    const RunPosition::Scope at({8, 0});  // the next step: another mask
    CHECK(train_forward(layer, x) != expected);
  }
  // Called by hand (no RunPosition), the layer counts its own steps from 0, its input's samples from 0; the calls
  // inside a training step above did not count.
  CHECK(train_forward(layer, x) != expected);
  Dropout fresh(0.5, {.seed = 4});
  std::vector<float> step0;
  {
    const RunPosition::Scope at({0, 0});
    step0 = train_forward(fresh, x);
  }
  Dropout by_hand(0.5, {.seed = 4});
  CHECK(train_forward(by_hand, x) == step0);
  CHECK(train_forward(by_hand, x) != step0);  // its step 1

  // Inference and rate 0 draw nothing: x itself.
  const RunPosition::Scope at({7, 0});
  CHECK(layer.forward(x, false).same_node(x));
  CHECK(Dropout(0.0, {.seed = 4}).forward(x, true).same_node(x));
}
