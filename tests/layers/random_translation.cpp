// RandomTranslation: identity at inference, the shift each sample draws in training against a hand computation,
// whole-cell shifts under each fill mode, the argument checks.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/random_translation.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
std::vector<float> values(const Tensor& t) { return {t.values().begin(), t.values().end()}; }
// (1, 1, 4, 1) holding 1, 2, 3, 4: a row, to shift left and right.
Tensor row() { return Tensor({1, 1, 4, 1}, std::vector<float>{1, 2, 3, 4}); }
}  // namespace

TEST_CASE("RandomTranslation is the identity at inference and checks its arguments", "[layers][augmentation]") {
  RandomTranslation shift(0.1, {-0.2, 0.3}, {.seed = 1});
  Tensor x({2, 3, 3, 3}, 7.0f);
  CHECK(shift.forward(x, false).same_node(x));
  CHECK(shift.output_shape({5, 4, 3}) == Shape{5, 4, 3});
  CHECK(shift.count_params() == 0);
  CHECK(shift.class_name() == "RandomTranslation");
  CHECK_THROWS_WITH(RandomTranslation(1.5, 0.1), "RandomTranslation: height_factor must be in [-1, 1], got 1.5");
  CHECK_THROWS_WITH(RandomTranslation(0.1, {0, -2}, {.name = "t"}),
                    "RandomTranslation \"t\": width_factor must be in [-1, 1], got -2");
  CHECK_THROWS_WITH(RandomTranslation(0.1, 0.1, {.fill_mode = "mirror"}),
                    "RandomTranslation: fill_mode \"mirror\" is not one of \"reflect\", \"wrap\", \"nearest\", \"constant\"");
  CHECK_THROWS_WITH(RandomTranslation(0.1, 0.1, {.interpolation = "bicubic"}),
                    "RandomTranslation: interpolation \"bicubic\" is not one of \"bilinear\", \"nearest\"");
}

TEST_CASE("RandomTranslation shifts by whole cells under each fill mode", "[layers][augmentation]") {
  // width_factor (0.5, 0.5): every sample moves right by 0.5 * 4 = 2 cells; height_factor 0 keeps the rows.
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"reflect", {2, 1, 1, 2}}, {"wrap", {3, 4, 1, 2}}, {"nearest", {1, 1, 1, 2}}, {"constant", {9, 9, 1, 2}}};
  for (const auto& [fill, want] : cases) {
    INFO(fill);
    RandomTranslation shift(0.0, {0.5, 0.5}, {.fill_mode = fill, .seed = 1, .fill_value = 9});
    CHECK(values(shift.forward(row(), true)) == want);
  }
}

TEST_CASE("RandomTranslation in training reads each sample at its keyed shift", "[layers][augmentation]") {
  // (2, 3, 4, 1), x[s, i, j] = 10 i + j + 100 s, so a shift of (dy, dx) inside the image reads 10 (i - dy) + j - dx
  // (bilinear is exact on a linear ramp). Sample s draws dy = uniform(-0.1, 0.1) * 3, then dx = uniform(-0.1, 0.1) * 4
  // from Random::keyed(4, 9, 30 + s); the fill is "nearest", so cells past the edge read the edge.
  Tensor x({2, 3, 4, 1});
  for (int64_t s = 0; s < 2; ++s)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j) x.data()[(s * 3 + i) * 4 + j] = static_cast<float>(10 * i + j + 100 * s);
  RandomTranslation shift(0.1, 0.1, {.fill_mode = "nearest", .seed = 4});
  const RunPosition::Scope at({9, 30});
  const std::vector<float> y = values(shift.forward(x, true));
  for (int64_t s = 0; s < 2; ++s) {
    Random rng = Random::keyed(4, 9, static_cast<uint64_t>(30 + s));
    const float dy = rng.uniform(-0.1f, 0.1f) * 3, dx = rng.uniform(-0.1f, 0.1f) * 4;
    INFO("sample " << s << ", shift " << dy << ", " << dx);
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        const double r = std::clamp(static_cast<double>(i) - dy, 0.0, 2.0), q = std::clamp(static_cast<double>(j) - dx, 0.0, 3.0);
        CHECK(y[static_cast<size_t>((s * 3 + i) * 4 + j)] == Approx(10 * r + q + 100 * s).epsilon(1e-5));
      }
  }
  CHECK(y != values(x));  // some shift drawn
  CHECK(values(shift.forward(x, true)) == y);  // the same position, the same shifts
}
