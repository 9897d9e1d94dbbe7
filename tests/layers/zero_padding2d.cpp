// ZeroPadding2D: the three forms of padding, output shapes, a hand-computed forward, the gradient, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/zero_padding2d.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("ZeroPadding2D takes an int, (height, width) or ((top, bottom), (left, right))", "[layers][zero_padding2d]") {
  CHECK(ZeroPadding2D().padding() == Edges2D({1, 1}, {1, 1}));
  CHECK(ZeroPadding2D(2).output_shape({28, 28, 1}) == Shape{32, 32, 1});
  CHECK(ZeroPadding2D({1, 2}).output_shape({5, 5, 3}) == Shape{7, 9, 3});
  CHECK(ZeroPadding2D({{1, 0}, {2, 3}}).output_shape({5, 5, 3}) == Shape{6, 10, 3});
  CHECK(ZeroPadding2D(0).output_shape({5, 4, 3}) == Shape{5, 4, 3});
  ZeroPadding2D pad;
  CHECK(pad.class_name() == "ZeroPadding2D");
  CHECK(pad.default_name_stem() == "zero_padding2d");
  Random rng(0);
  pad.build({4, 4, 2}, rng);
  CHECK(pad.count_params() == 0);
}

TEST_CASE("ZeroPadding2D forward by hand, and its gradient is the middle of the output's", "[layers][zero_padding2d]") {
  // x (1, 2, 2, 1) = [[1, 2], [3, 4]] padded ((1, 0), (0, 2)) -> (1, 3, 4, 1).
  Tensor x({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4});
  x.set_requires_grad();
  Tensor y = ZeroPadding2D({{1, 0}, {0, 2}}).forward(x, true);
  REQUIRE(y.shape() == Shape{1, 3, 4, 1});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) ==
        std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
  // d sum(y * w) / dx = w at the cells x landed on.
  Tensor w({1, 3, 4, 1}, std::vector<float>{9, 9, 9, 9, 5, 6, 9, 9, 7, 8, 9, 9});
  ops::sum(ops::mul(y, w)).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) == std::vector<float>{5, 6, 7, 8});
}

TEST_CASE("ZeroPadding2D refuses negative padding and inputs that are not images", "[layers][zero_padding2d]") {
  CHECK_THROWS_WITH(ZeroPadding2D({{1, -2}, {0, 0}}, {.name = "pad"}),
                    "ZeroPadding2D \"pad\": padding must be >= 0, got ((1, -2), (0, 0))");
  CHECK_THROWS_WITH(ZeroPadding2D(-1), "ZeroPadding2D: padding must be >= 0, got ((-1, -1), (-1, -1))");
  ZeroPadding2D pad(1, {.name = "zero_padding2d_1"});
  CHECK_THROWS_WITH(pad.output_shape({576}), "ZeroPadding2D \"zero_padding2d_1\": expects input (H, W, C), got (576,)");
  CHECK_THROWS_WITH(pad.forward(Tensor({2, 4, 4}), false),
                    "ZeroPadding2D \"zero_padding2d_1\": expects a batch (N, H, W, C), got (2, 4, 4)");
}
