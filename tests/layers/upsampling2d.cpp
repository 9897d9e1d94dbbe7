// UpSampling2D (nearest and bilinear): output shapes, hand-computed forwards, the gradient, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/upsampling2d.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("UpSampling2D output shapes, names and no weights", "[layers][upsampling2d]") {
  CHECK(UpSampling2D().size() == Size2D(2, 2));
  CHECK(UpSampling2D().output_shape({7, 7, 64}) == Shape{14, 14, 64});
  CHECK(UpSampling2D({2, 3}).output_shape({4, 5, 2}) == Shape{8, 15, 2});
  UpSampling2D up;
  CHECK(up.class_name() == "UpSampling2D");
  CHECK(up.default_name_stem() == "up_sampling2d");
  CHECK(up.options().interpolation == "nearest");
  Random rng(0);
  up.build({4, 4, 2}, rng);
  CHECK(up.count_params() == 0);
}

TEST_CASE("UpSampling2D forward by hand, and the gradient sums each pixel's block", "[layers][upsampling2d]") {
  // x (1, 2, 1, 1) = [[1], [2]] with size (1, 2) -> [[1, 1], [2, 2]].
  Tensor x({1, 2, 1, 1}, std::vector<float>{1, 2});
  x.set_requires_grad();
  Tensor y = UpSampling2D({1, 2}).forward(x, true);
  REQUIRE(y.shape() == Shape{1, 2, 2, 1});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) == std::vector<float>{1, 1, 2, 2});
  ops::sum(ops::mul(y, Tensor({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4}))).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) == std::vector<float>{3, 7});
}

TEST_CASE("UpSampling2D bilinear: half-pixel centers clamped at the edges, as tf.image.resize",
          "[layers][upsampling2d]") {
  // x (1, 1, 2, 1) = [1, 3] with size (1, 2): output column j reads input column (j + 0.5) / 2 - 0.5 = -0.25, 0.25,
  // 0.75, 1.25, clamped to [0, 1]: [1, 1 * 0.75 + 3 * 0.25, 1 * 0.25 + 3 * 0.75, 3]. (TensorFlow.js reads j / 2,
  // giving [1, 2, 3, 3].)
  Tensor x({1, 1, 2, 1}, std::vector<float>{1, 3});
  x.set_requires_grad();
  UpSampling2D up({1, 2}, {.interpolation = "bilinear"});
  CHECK(up.output_shape({1, 2, 1}) == Shape{1, 4, 1});
  Tensor y = up.forward(x, true);
  REQUIRE(y.shape() == Shape{1, 1, 4, 1});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) == std::vector<float>{1, 1.5, 2.5, 3});
  // Each input's gradient: the output gradients weighted as it was read, 1 + 2 * 0.75 + 3 * 0.25 and
  // 2 * 0.25 + 3 * 0.75 + 4.
  ops::sum(ops::mul(y, Tensor({1, 1, 4, 1}, std::vector<float>{1, 2, 3, 4}))).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) == std::vector<float>{3.25, 6.75});

  // Both axes, two channels: x (1, 2, 2, 2) with size 2; channel 1 is channel 0 times 10. Row 1 of the output reads
  // rows 0 and 1 at 0.25 and column 2 reads columns 0 and 1 at 0.75.
  Tensor image({1, 2, 2, 2}, std::vector<float>{0, 0, 4, 40, 8, 80, 12, 120});
  Tensor z = UpSampling2D(2, {.interpolation = "bilinear"}).forward(image, false);
  REQUIRE(z.shape() == Shape{1, 4, 4, 2});
  CHECK(z.at({0, 0, 0, 0}) == 0);
  CHECK(z.at({0, 3, 3, 0}) == 12);
  CHECK(z.at({0, 1, 2, 0}) == Approx(0.75 * (0.25 * 0 + 0.75 * 4) + 0.25 * (0.25 * 8 + 0.75 * 12)));  // 5
  CHECK(z.at({0, 1, 2, 1}) == Approx(50));
  CHECK(z.at({0, 0, 1, 0}) == Approx(0.75 * 0 + 0.25 * 4));  // row 0 alone (clamped), column 1 at 0.25
}

TEST_CASE("UpSampling2D refuses a size below 1, another interpolation, and inputs that are not images",
          "[layers][upsampling2d]") {
  CHECK_THROWS_WITH(UpSampling2D({0, 2}, {.name = "up"}), "UpSampling2D \"up\": size must be positive, got (0, 2)");
  CHECK_THROWS_WITH(UpSampling2D(2, {.interpolation = "bicubic"}),
                    "UpSampling2D: interpolation \"bicubic\" is not supported (only \"nearest\" and \"bilinear\")");
  UpSampling2D up(2, {.name = "up_sampling2d_1"});
  CHECK_THROWS_WITH(up.output_shape({576}), "UpSampling2D \"up_sampling2d_1\": expects input (H, W, C), got (576,)");
  CHECK_THROWS_WITH(up.forward(Tensor({2, 4, 4}), false),
                    "UpSampling2D \"up_sampling2d_1\": expects a batch (N, H, W, C), got (2, 4, 4)");
}
