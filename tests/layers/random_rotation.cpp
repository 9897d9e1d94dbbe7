// RandomRotation: identity at inference, argument checks, and the angle each sample draws in training against a hand
// computation (a quarter turn).
#include <elucid/core/error.hpp>
#include <elucid/layers/random_rotation.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace elucid;
using namespace elucid::layers;

namespace {
std::vector<float> values(const Tensor& t) { return {t.values().begin(), t.values().end()}; }
// (1, 3, 3, 1) holding 0..8.
Tensor square() {
  Tensor x({1, 3, 3, 1});
  for (int64_t i = 0; i < 9; ++i) x.data()[i] = static_cast<float>(i);
  return x;
}
}  // namespace

TEST_CASE("RandomRotation is the identity at inference and checks its arguments", "[layers][augmentation]") {
  Tensor x({2, 3, 3, 3}, 7.0f);
  RandomRotation turn(0.2, {.seed = 1});
  CHECK(turn.forward(x, false).same_node(x));
  CHECK(turn.output_shape({5, 4, 3}) == Shape{5, 4, 3});
  CHECK(turn.class_name() == "RandomRotation");
  CHECK_THROWS_WITH(RandomRotation(1.5), "RandomRotation: factor must be in [-1, 1], got 1.5");
  CHECK_THROWS_WITH(RandomRotation(0.1, {.interpolation = "area"}),
                    "RandomRotation: interpolation \"area\" is not one of \"bilinear\", \"nearest\"");
}

TEST_CASE("RandomRotation turns each image about its center by its keyed angle", "[layers][augmentation]") {
  // factor (0.25, 0.25): a quarter turn counter-clockwise, exact up to float rounding. Output (i, j) reads input
  // (cy + (j - cx) sin + (i - cy) cos, cx + (j - cx) cos - (i - cy) sin) = (j, 2 - i) at 90 degrees.
  RandomRotation turn({0.25, 0.25}, {.seed = 3});
  const std::vector<float> y = values(turn.forward(square(), true));
  const std::vector<float> want{2, 5, 8, 1, 4, 7, 0, 3, 6};
  for (size_t k = 0; k < 9; ++k) CHECK(y[k] == Approx(want[k]).margin(1e-5));
  // A drawn angle: sample s turns by Random::keyed(3, 1, s).uniform(-36, 36) degrees; the center stays.
  RandomRotation some(0.1, {.seed = 3});
  const RunPosition::Scope at({1, 0});
  const std::vector<float> z = values(some.forward(square(), true));
  CHECK(z[4] == Approx(4.0f));
  CHECK(z != values(square()));
}
