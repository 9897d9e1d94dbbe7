// Flatten: (H, W, C) order, shapes, no weights.
#include <elucid/core/error.hpp>
#include <elucid/layers/flatten.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Flatten keeps H, W, C order and the batch axis", "[layers][flatten]") {
  Flatten flatten;
  CHECK(flatten.output_shape({3, 3, 64}) == Shape{576});
  CHECK(flatten.output_shape({}) == Shape{1});
  CHECK(flatten.class_name() == "Flatten");
  CHECK(flatten.default_name_stem() == "flatten");
  Tensor x({2, 2, 2, 3});
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = float(i);
  Tensor y = flatten.forward(x, false);
  REQUIRE(y.shape() == Shape{2, 12});
  CHECK(y.at({1, 0}) == 12.0f);
  CHECK(y.at({0, 5}) == x.at({0, 0, 1, 2}));
  CHECK(flatten.forward(Tensor({5}), false).shape() == Shape{5, 1});
  CHECK_THROWS_WITH(flatten.forward(Tensor::scalar(1), false), "Flatten: expects a batch (N, ...), got a scalar");
}
