// DepthwiseConv2D: output shapes, Keras' weight shapes, names and counts, a hand-computed forward, the gradient
// through the layer, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/depthwise_conv2d.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("DepthwiseConv2D output shapes: Conv2D's sizes, C * depth_multiplier channels", "[layers][depthwise_conv2d]") {
  CHECK(DepthwiseConv2D(3).output_shape({28, 28, 8}) == Shape{26, 26, 8});
  CHECK(DepthwiseConv2D(3, {.padding = "same", .depth_multiplier = 3}).output_shape({28, 28, 8}) == Shape{28, 28, 24});
  CHECK(DepthwiseConv2D(3, {.strides = 2}).output_shape({28, 27, 4}) == Shape{13, 13, 4});
  CHECK(DepthwiseConv2D(3, {.strides = 2, .padding = "same"}).output_shape({27, 28, 4}) == Shape{14, 14, 4});
  CHECK(DepthwiseConv2D({3, 2}, {.dilation_rate = 2}).output_shape({9, 9, 2}) == Shape{5, 7, 2});
}

TEST_CASE("DepthwiseConv2D weights: Keras shapes, counts and names", "[layers][depthwise_conv2d]") {
  Random rng(0);
  // Keras: DepthwiseConv2D(3, depth_multiplier=2) on (28, 28, 8): 3 * 3 * 8 * 2 + 16 = 160 parameters.
  DepthwiseConv2D dw(3, {.depth_multiplier = 2, .name = "depthwise_conv2d"});
  CHECK(dw.count_params() == 0);
  CHECK(dw.build({28, 28, 8}, rng) == Shape{26, 26, 16});
  CHECK(dw.count_params() == 160);
  auto w = dw.weights();
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "depthwise_conv2d/depthwise_kernel");
  CHECK(w[0].tensor.shape() == Shape{3, 3, 8, 2});
  CHECK(w[0].tensor.requires_grad());
  CHECK(w[1].name == "depthwise_conv2d/bias");
  CHECK(w[1].tensor.shape() == Shape{16});
  CHECK(dw.class_name() == "DepthwiseConv2D");
  CHECK(dw.default_name_stem() == "depthwise_conv2d");
  DepthwiseConv2D no_bias(5, {.use_bias = false});
  no_bias.build({10, 10, 3}, rng);
  CHECK(no_bias.count_params() == 5 * 5 * 3);
  CHECK(no_bias.weights().size() == 1);
}

TEST_CASE("DepthwiseConv2D forward by hand: each channel on its own, channel c * M + m", "[layers][depthwise_conv2d]") {
  Random rng(0);
  // A 2x2 kernel of ones with depth multiplier 2, bias 1: outputs 2c and 2c + 1 are both the 2x2 window sum of
  // channel c, plus 1; then ReLU.
  DepthwiseConv2D dw(2, {.depth_multiplier = 2, .activation = "relu", .depthwise_initializer = "ones",
                         .bias_initializer = "ones"});
  dw.build({2, 3, 2}, rng);
  // x[0, i, j, 0] = 1..6, x[0, i, j, 1] = -(1..6)
  Tensor x({1, 2, 3, 2}, std::vector<float>{1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6});
  x.set_requires_grad();
  Tensor y = dw.forward(x, true);
  REQUIRE(y.shape() == Shape{1, 1, 2, 4});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) ==
        std::vector<float>{1 + 2 + 4 + 5 + 1, 1 + 2 + 4 + 5 + 1, 0, 0, 2 + 3 + 5 + 6 + 1, 2 + 3 + 5 + 6 + 1, 0, 0});
  // The gradient of sum(y): each channel-0 pixel counts once per window it is in, times 2 outputs; channel 1 is cut
  // by ReLU.
  ops::sum(y).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) ==
        std::vector<float>{2, 0, 4, 0, 2, 0, 2, 0, 4, 0, 2, 0});
  const Tensor kernel_grad = dw.weights()[0].tensor.grad();
  CHECK(kernel_grad.at({0, 0, 0, 0}) == 1 + 2);  // tap (0, 0) reads x[0, 0, 0] and x[0, 0, 1]
  CHECK(kernel_grad.at({1, 1, 0, 1}) == 5 + 6);
  CHECK(kernel_grad.at({1, 1, 1, 1}) == 0);
}

TEST_CASE("DepthwiseConv2D rejects impossible arguments and inputs, naming itself", "[layers][depthwise_conv2d]") {
  CHECK_THROWS_WITH(DepthwiseConv2D(3, {.depth_multiplier = 0, .name = "dw"}),
                    "DepthwiseConv2D \"dw\": depth_multiplier must be positive, got 0");
  CHECK_THROWS_WITH(DepthwiseConv2D({3, 0}), "DepthwiseConv2D: kernel_size must be positive, got (3, 0)");
  CHECK_THROWS_WITH(DepthwiseConv2D(3, {.padding = "full"}),
                    "DepthwiseConv2D: unknown padding \"full\" (expected \"valid\" or \"same\")");
  DepthwiseConv2D dw(3, {.name = "dw"});
  CHECK_THROWS_WITH(dw.output_shape({576}), "DepthwiseConv2D \"dw\": expects input (H, W, C), got (576,)");
  CHECK_THROWS_WITH(dw.output_shape({2, 2, 8}),
                    "DepthwiseConv2D \"dw\": kernel (3, 3) is larger than its input (2, 2, 8) with padding \"valid\"");
  Random rng(0);
  dw.build({5, 5, 4}, rng);
  CHECK_THROWS_WITH(dw.forward(Tensor({2, 5, 5, 3}), false),
                    "DepthwiseConv2D \"dw\": input (2, 5, 5, 3) does not match depthwise kernel (3, 3, 4, 1) "
                    "(expected (N, H, W, 4))");
}
