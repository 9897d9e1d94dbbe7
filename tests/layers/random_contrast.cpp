// RandomContrast: identity at inference, the factor each sample draws in training against a hand computation, the
// clip to value_range, the argument checks.
#include <elucid/core/error.hpp>
#include <elucid/layers/random_contrast.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
std::vector<float> values(const Tensor& t) { return {t.values().begin(), t.values().end()}; }
}  // namespace

TEST_CASE("RandomContrast is the identity at inference and checks its arguments", "[layers][augmentation]") {
  RandomContrast contrast(0.3, {.seed = 1});
  Tensor x({2, 3, 3, 3}, 7.0f);
  CHECK(contrast.forward(x, false).same_node(x));
  CHECK(contrast.output_shape({5, 4, 3}) == Shape{5, 4, 3});
  CHECK(contrast.count_params() == 0);
  CHECK(contrast.factor().lower == 0.3);
  CHECK(contrast.factor().one_number);
  CHECK_FALSE(RandomContrast({0.1, 0.2}).factor().one_number);
  CHECK_THROWS_WITH(RandomContrast(1.5), "RandomContrast: factor (1.5, 1.5) must have lower in [0, 1] and upper >= 0");
  CHECK_THROWS_WITH(RandomContrast({0.2, -0.1}, {.name = "c"}),
                    "RandomContrast \"c\": factor (0.2, -0.1) must have lower in [0, 1] and upper >= 0");
  CHECK_THROWS_WITH(RandomContrast(0.2, {.value_range = {1, 0}}),
                    "RandomContrast: value_range (1, 0) must be finite, low <= high");
}

TEST_CASE("RandomContrast in training scales each image about its channel means by its keyed factor",
          "[layers][augmentation]") {
  // Two samples (2, 2, 2): channel 0 holds 0, 10, 20, 30 (mean 15), channel 1 holds 100 (mean 100). Sample s at
  // step 6 draws f = Random::keyed(3, 6, 20 + s).uniform(0.5, 1.5); value_range [0, 28] clips what goes beyond.
  Tensor x({2, 2, 2, 2});
  for (int64_t s = 0; s < 2; ++s)
    for (int64_t p = 0; p < 4; ++p) {
      x.data()[(s * 4 + p) * 2] = 10.0f * static_cast<float>(p);
      x.data()[(s * 4 + p) * 2 + 1] = 100.0f;
    }
  RandomContrast contrast(0.5, {.value_range = {0, 28}, .seed = 3});
  const RunPosition::Scope at({6, 20});
  const std::vector<float> y = values(contrast.forward(x, true));
  for (int64_t s = 0; s < 2; ++s) {
    const float f = Random::keyed(3, 6, static_cast<uint64_t>(20 + s)).uniform(0.5f, 1.5f);
    INFO("sample " << s << ", factor " << f);
    for (int64_t p = 0; p < 4; ++p) {
      const float want = std::clamp((10.0f * static_cast<float>(p) - 15.0f) * f + 15.0f, 0.0f, 28.0f);
      CHECK(y[static_cast<size_t>((s * 4 + p) * 2)] == Approx(want));
      CHECK(y[static_cast<size_t>((s * 4 + p) * 2 + 1)] == 28.0f);  // 100 stays 100, clipped to 28
    }
  }
  CHECK(y[2] != y[10]);  // 15 - 5 f, never clipped: the two samples drew different factors
  // The same position, the same factors; by hand, the layer counts its own steps.
  CHECK(values(contrast.forward(x, true)) == y);
}
