// Rescaling: x * scale + offset in float32, shapes unchanged, the gradient, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/rescaling.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Rescaling keeps the shape and has no weights", "[layers][rescaling]") {
  Rescaling r(1.0 / 255);
  CHECK(r.class_name() == "Rescaling");
  CHECK(r.default_name_stem() == "rescaling");
  CHECK(r.output_shape({28, 28, 1}) == Shape{28, 28, 1});
  CHECK(r.output_shape({10}) == Shape{10});
  CHECK(r.options().offset == 0.0);
  Random rng(0);
  r.build({28, 28, 1}, rng);
  CHECK(r.count_params() == 0);
}

TEST_CASE("Rescaling forward by hand: x * scale, then + offset, each rounded to float32", "[layers][rescaling]") {
  Tensor x({1, 2, 2, 1}, std::vector<float>{0, 127.5f, 255, 51});
  x.set_requires_grad();
  Tensor y = Rescaling(1.0 / 127.5, {.offset = -1}).forward(x, true);
  REQUIRE(y.shape() == Shape{1, 2, 2, 1});
  const float scale = static_cast<float>(1.0 / 127.5);
  for (int i = 0; i < 4; ++i) CHECK(y.values()[size_t(i)] == x.values()[size_t(i)] * scale + -1.0f);
  CHECK(y.values()[0] == -1.0f);
  CHECK(y.values()[2] == Approx(1.0f));
  // d sum(y * w) / dx = w * scale.
  ops::sum(ops::mul(y, Tensor({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4}))).backward();
  for (int i = 0; i < 4; ++i) CHECK(x.grad().values()[size_t(i)] == float(i + 1) * scale);
  // Any rank: (N, features).
  CHECK(Rescaling(2).forward(Tensor({3, 5}, 1.5f), false).values()[14] == 3.0f);
}

TEST_CASE("Rescaling refuses a scale or offset that is not a finite float32 number", "[layers][rescaling]") {
  CHECK_THROWS_WITH(Rescaling(std::nan(""), {.name = "scale"}),
                    "Rescaling \"scale\": scale must be a finite float32 number, got nan");
  CHECK_THROWS_WITH(Rescaling(1, {.offset = std::numeric_limits<double>::infinity()}),
                    "Rescaling: offset must be a finite float32 number, got inf");
  CHECK_THROWS_WITH(Rescaling(1e39), "Rescaling: scale must be a finite float32 number, got 1e+39");
}
