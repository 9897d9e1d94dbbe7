// RandomZoom: identity at inference, argument checks, and the zooms each sample draws in training against a hand
// computation (a zoom of a linear ramp).
#include <elucid/core/error.hpp>
#include <elucid/layers/random_zoom.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
std::vector<float> values(const Tensor& t) { return {t.values().begin(), t.values().end()}; }
}  // namespace

TEST_CASE("RandomZoom is the identity at inference and checks its arguments", "[layers][augmentation]") {
  Tensor x({2, 3, 3, 3}, 7.0f);
  RandomZoom zoom(0.2);
  CHECK(zoom.forward(x, false).same_node(x));
  CHECK(zoom.output_shape({5, 4, 3}) == Shape{5, 4, 3});
  CHECK(zoom.class_name() == "RandomZoom");
  CHECK_FALSE(zoom.width_factor());
  CHECK_THROWS_WITH(RandomZoom(Factor{-1, 0.5}), "RandomZoom: height_factor must be in (-1, 1], got -1");
  CHECK_THROWS_WITH(RandomZoom(0.1, 2.0, {.name = "z"}), "RandomZoom \"z\": width_factor must be in (-1, 1], got 2");
}

TEST_CASE("RandomZoom scales each image about its center by its keyed zooms", "[layers][augmentation]") {
  // x[i, j] = 10 i + j on (5, 5): output (i, j) reads (2 + (i - 2) zy, 2 + (j - 2) zx), inside the image for zooms
  // below 1 (zooming in), where bilinear is exact on the ramp. Sample 0 draws zy, then zx, from Random::keyed(6, 2, 0).
  Tensor x({1, 5, 5, 1});
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j) x.data()[i * 5 + j] = static_cast<float>(10 * i + j);
  RandomZoom zoom(Factor{-0.5, -0.1}, Factor{-0.4, 0.0}, {.seed = 6});
  const RunPosition::Scope at({2, 0});
  const std::vector<float> y = values(zoom.forward(x, true));
  Random rng = Random::keyed(6, 2, 0);
  const float zy = rng.uniform(0.5f, 0.9f), zx = rng.uniform(0.6f, 1.0f);
  INFO("zooms " << zy << ", " << zx);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j)
      CHECK(y[static_cast<size_t>(i * 5 + j)] == Approx(10 * (2 + (i - 2) * zy) + 2 + (j - 2) * zx).epsilon(1e-5));
  // Without a width factor, both axes take the one draw.
  RandomZoom same(Factor{-0.5, -0.1}, {}, {.seed = 6});
  const std::vector<float> s = values(same.forward(x, true));
  CHECK(s[0] == Approx(10 * (2 - 2 * zy) + 2 - 2 * zy).epsilon(1e-5));
}
