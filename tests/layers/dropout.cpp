// Dropout: identity at inference, a seeded mask in training, the rate checked, a data-parallel rank's slice.
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

TEST_CASE("Dropout told its slice of a global batch applies the whole batch's mask to it",
          "[layers][dropout][distributed]") {
  // 5 samples of (3, 2): one process masks all 5; ranks mask samples [0, 2), [2, 5) and [5, 5) of the same batch, each
  // from the same generator state, and every generator ends where the one process's does.
  Tensor x({5, 3, 2}, 1.0f);
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = 1.0f + static_cast<float>(i);
  Dropout whole(0.5, {.seed = 4});
  const std::vector<float> expected = train_forward(whole, x);
  const std::vector<float> next = train_forward(whole, x);  // the next batch's mask

  std::vector<float> joined;
  Random::State after{};
  for (const auto& [begin, count] : {std::pair<int64_t, int64_t>{0, 2}, {2, 3}, {5, 0}}) {
    Dropout part(0.5, {.seed = 4});
    Random build_rng(0);
    part.build({3, 2}, build_rng);  // a seeded layer keeps its seed
    part.set_batch_slice(begin, count, 5);
    if (count > 0) {
      Tensor slice({count, 3, 2});
      std::copy(x.data() + begin * 6, x.data() + (begin + count) * 6, slice.data());
      const std::vector<float> y = train_forward(part, slice);
      joined.insert(joined.end(), y.begin(), y.end());
    }
    INFO("slice from " << begin << ", " << count << " samples");
    if (begin > 0) CHECK(part.generator().state() == after);
    after = part.generator().state();
    // The slice is for one forward(): the next one masks its input alone, from where the whole batch left off.
    CHECK(train_forward(part, x) == next);
  }
  CHECK(joined == expected);

  // Inference and rate 0 draw nothing, sliced or not.
  Dropout off(0.0, {.seed = 4});
  const Random::State before = off.generator().state();
  off.set_batch_slice(0, 0, 5);
  CHECK(off.generator().state() == before);

  Dropout bad(0.5, {.name = "dropout_2"});
  CHECK_THROWS_WITH(bad.set_batch_slice(3, 4, 6),
                    "Dropout \"dropout_2\": samples [3, 7) are not a slice of a batch of 6");
  CHECK_THROWS_WITH(bad.set_batch_slice(-1, 1, 6),
                    "Dropout \"dropout_2\": samples [-1, 0) are not a slice of a batch of 6");
  CHECK_THROWS_WITH(bad.set_batch_slice(0, 0, 6),
                    Catch::Contains("Dropout \"dropout_2\": called before it was built"));
  bad.set_batch_slice(0, 2, 6);
  CHECK_THROWS_WITH(train_forward(bad, x),
                    "Dropout \"dropout_2\": input (5, 3, 2) is not the slice of 2 samples it was told of");
}
