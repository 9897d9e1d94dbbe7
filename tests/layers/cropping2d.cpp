// Cropping2D: the three forms of cropping, output shapes, a hand-computed forward, the gradient, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/cropping2d.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Cropping2D takes an int, (height, width) or ((top, bottom), (left, right))", "[layers][cropping2d]") {
  CHECK(Cropping2D().cropping() == Edges2D({0, 0}, {0, 0}));
  CHECK(Cropping2D().output_shape({5, 4, 3}) == Shape{5, 4, 3});
  CHECK(Cropping2D(2).output_shape({28, 28, 1}) == Shape{24, 24, 1});
  CHECK(Cropping2D({1, 2}).output_shape({5, 5, 3}) == Shape{3, 1, 3});
  CHECK(Cropping2D({{1, 0}, {2, 3}}).output_shape({5, 6, 3}) == Shape{4, 1, 3});
  Cropping2D crop;
  CHECK(crop.class_name() == "Cropping2D");
  CHECK(crop.default_name_stem() == "cropping2d");
  Random rng(0);
  crop.build({4, 4, 2}, rng);
  CHECK(crop.count_params() == 0);
}

TEST_CASE("Cropping2D forward by hand, and its gradient is zero on the cropped cells", "[layers][cropping2d]") {
  // x (1, 3, 4, 1) = 0..11 row by row, cropped ((1, 0), (1, 2)) -> (1, 2, 1, 1) = [[5], [9]].
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[static_cast<size_t>(i)] = float(i);
  Tensor x({1, 3, 4, 1}, v);
  x.set_requires_grad();
  Tensor y = Cropping2D({{1, 0}, {1, 2}}).forward(x, true);
  REQUIRE(y.shape() == Shape{1, 2, 1, 1});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) == std::vector<float>{5, 9});
  ops::sum(ops::mul(y, Tensor({1, 2, 1, 1}, std::vector<float>{2, 3}))).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) ==
        std::vector<float>{0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0});
}

TEST_CASE("Cropping2D refuses negative cropping, cropping the whole image, and inputs that are not images",
          "[layers][cropping2d]") {
  CHECK_THROWS_WITH(Cropping2D({{1, -2}, {0, 0}}, {.name = "crop"}),
                    "Cropping2D \"crop\": cropping must be >= 0, got ((1, -2), (0, 0))");
  Cropping2D crop({{2, 2}, {0, 1}}, {.name = "cropping2d_1"});
  CHECK_THROWS_WITH(crop.output_shape({4, 4, 3}),
                    "Cropping2D \"cropping2d_1\": cropping ((2, 2), (0, 1)) leaves nothing of input (4, 4, 3)");
  CHECK_THROWS_WITH(crop.forward(Tensor({1, 4, 8, 3}), false),
                    "Cropping2D \"cropping2d_1\": cropping ((2, 2), (0, 1)) leaves nothing of input (4, 8, 3)");
  CHECK_THROWS_WITH(crop.output_shape({576}), "Cropping2D \"cropping2d_1\": expects input (H, W, C), got (576,)");
  CHECK_THROWS_WITH(crop.forward(Tensor({2, 4, 4}), false),
                    "Cropping2D \"cropping2d_1\": expects a batch (N, H, W, C), got (2, 4, 4)");
}
