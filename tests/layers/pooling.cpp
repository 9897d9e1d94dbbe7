// MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D: shapes, values, bad input.
#include <elucid/core/error.hpp>
#include <elucid/layers/pooling.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

namespace {
// (1, 4, 4, 1) holding 0..15 row by row.
Tensor ramp4x4() {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = float(i);
  return Tensor({1, 4, 4, 1}, v);
}
}  // namespace

TEST_CASE("pooling output shapes: strides default to the pool size, floor rounding, same padding",
          "[layers][pooling]") {
  CHECK(MaxPooling2D({2, 2}).output_shape({26, 26, 32}) == Shape{13, 13, 32});
  CHECK(MaxPooling2D({2, 2}).output_shape({11, 11, 64}) == Shape{5, 5, 64});  // floor, not Caffe's ceil
  CHECK(MaxPooling2D().strides() == Size2D(2, 2));
  CHECK(MaxPooling2D(3).strides() == Size2D(3, 3));
  CHECK(MaxPooling2D({2, 2}, {.strides = {1, 1}}).output_shape({26, 26, 32}) == Shape{25, 25, 32});
  CHECK(MaxPooling2D({2, 2}, {.padding = "same"}).output_shape({5, 5, 8}) == Shape{3, 3, 8});
  CHECK(AveragePooling2D({3, 2}).output_shape({9, 9, 2}) == Shape{3, 4, 2});
  CHECK(GlobalAveragePooling2D().output_shape({3, 3, 64}) == Shape{64});
  CHECK(GlobalAveragePooling2D({.keepdims = true}).output_shape({3, 3, 64}) == Shape{1, 1, 64});
}

TEST_CASE("pooling forward values", "[layers][pooling]") {
  Tensor x = ramp4x4();
  Tensor m = MaxPooling2D({2, 2}).forward(x, false);
  REQUIRE(m.shape() == Shape{1, 2, 2, 1});
  CHECK(m.values()[0] == 5);
  CHECK(m.values()[3] == 15);
  Tensor a = AveragePooling2D({2, 2}).forward(x, false);
  CHECK(a.values()[0] == Approx((0 + 1 + 4 + 5) / 4.0));
  CHECK(a.values()[3] == Approx((10 + 11 + 14 + 15) / 4.0));
  // Same padding on 3x3 with pool 2: the corner window covers one input cell and averages over it alone.
  Tensor x3({1, 3, 3, 1}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  Tensor s = AveragePooling2D({2, 2}, {.padding = "same"}).forward(x3, false);
  REQUIRE(s.shape() == Shape{1, 2, 2, 1});
  CHECK(s.values()[3] == Approx(8));
  CHECK(s.values()[1] == Approx((2 + 5) / 2.0));
  Tensor g = GlobalAveragePooling2D().forward(x, false);
  REQUIRE(g.shape() == Shape{1, 1});
  CHECK(g.values()[0] == Approx(7.5));
  CHECK(GlobalAveragePooling2D({.keepdims = true}).forward(x, false).shape() == Shape{1, 1, 1, 1});
}

TEST_CASE("pooling layers have Keras names, no weights, and reject bad input", "[layers][pooling]") {
  MaxPooling2D pool({2, 2});
  CHECK(pool.class_name() == "MaxPooling2D");
  CHECK(pool.default_name_stem() == "max_pooling2d");
  CHECK(AveragePooling2D().default_name_stem() == "average_pooling2d");
  CHECK(GlobalAveragePooling2D().default_name_stem() == "global_average_pooling2d");
  Random rng(0);
  pool.build({26, 26, 32}, rng);
  CHECK(pool.count_params() == 0);

  pool.set_name("max_pooling2d_1");
  CHECK_THROWS_WITH(pool.output_shape({576}), "MaxPooling2D \"max_pooling2d_1\": expects input (H, W, C), got (576,)");
  CHECK_THROWS_WITH(pool.output_shape({1, 1, 64}),
                    "MaxPooling2D \"max_pooling2d_1\": pool (2, 2) is larger than its input (1, 1, 64) with padding "
                    "\"valid\"");
  CHECK_THROWS_WITH(MaxPooling2D({0, 2}), "MaxPooling2D: pool_size must be positive, got (0, 2)");
  CHECK_THROWS_WITH(AveragePooling2D({2, 2}, {.strides = {-1, 2}}),
                    "AveragePooling2D: strides must be positive, got (-1, 2)");
  CHECK_THROWS_WITH(MaxPooling2D({2, 2}, {.padding = "causal", .name = "p"}),
                    "MaxPooling2D \"p\": unknown padding \"causal\" (expected \"valid\" or \"same\")");
  CHECK_THROWS_WITH(pool.forward(Tensor({2, 4, 4}), false),
                    "MaxPooling2D \"max_pooling2d_1\": expects a batch (N, H, W, C), got (2, 4, 4)");
  CHECK_THROWS_WITH(GlobalAveragePooling2D().output_shape({64}),
                    "GlobalAveragePooling2D: expects input (H, W, C), got (64,)");
}

TEST_CASE("GlobalMaxPooling2D: shapes, the maximum by hand, its gradient, bad input", "[layers][pooling]") {
  GlobalMaxPooling2D pool;
  CHECK(pool.class_name() == "GlobalMaxPooling2D");
  CHECK(pool.default_name_stem() == "global_max_pooling2d");
  CHECK(pool.output_shape({3, 3, 64}) == Shape{64});
  CHECK(GlobalMaxPooling2D({.keepdims = true}).output_shape({3, 5, 64}) == Shape{1, 1, 64});
  // x (2, 2, 3, 2): channel 0 of sample 0 peaks at (1, 0), channel 1 at (0, 2); sample 1 is sample 0 negated.
  const std::vector<float> s0{1, 2, 3, 4, 5, 9, 8, 7, 6, 5, 4, 3};
  std::vector<float> v = s0;
  for (float f : s0) v.push_back(-f);
  Tensor x({2, 2, 3, 2}, v);
  x.set_requires_grad();
  Tensor y = pool.forward(x, true);
  REQUIRE(y.shape() == Shape{2, 2});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) == std::vector<float>{8, 9, -1, -2});
  // The gradient goes to where each maximum came from.
  ops::sum(ops::mul(y, Tensor({2, 2}, std::vector<float>{1, 2, 3, 4}))).backward();
  std::vector<float> want(24, 0.0f);
  want[6] = 1, want[5] = 2, want[12] = 3, want[13] = 4;
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) == want);
  CHECK(GlobalMaxPooling2D({.keepdims = true}).forward(x, false).shape() == Shape{2, 1, 1, 2});
  CHECK_THROWS_WITH(GlobalMaxPooling2D({.name = "g"}).output_shape({64}),
                    "GlobalMaxPooling2D \"g\": expects input (H, W, C), got (64,)");
  CHECK_THROWS_WITH(pool.forward(Tensor({2, 4, 4}), false),
                    "GlobalMaxPooling2D: expects a batch (N, H, W, C), got (2, 4, 4)");
}
