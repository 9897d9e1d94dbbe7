// SeparableConv2D: output shapes, Keras' weight shapes, names and counts, a hand-computed forward, the gradient
// through the layer against DepthwiseConv2D then a 1x1 Conv2D, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/separable_conv2d.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("SeparableConv2D output shapes: Conv2D's", "[layers][separable_conv2d]") {
  CHECK(SeparableConv2D(16, 3).output_shape({28, 28, 8}) == Shape{26, 26, 16});
  CHECK(SeparableConv2D(16, 3, {.padding = "same", .depth_multiplier = 3}).output_shape({28, 28, 8}) ==
        Shape{28, 28, 16});
  CHECK(SeparableConv2D(4, 3, {.strides = 2, .padding = "same"}).output_shape({27, 28, 4}) == Shape{14, 14, 4});
  CHECK(SeparableConv2D(2, {3, 2}, {.dilation_rate = 2}).output_shape({9, 9, 2}) == Shape{5, 7, 2});
}

TEST_CASE("SeparableConv2D weights: Keras shapes, order, counts and names", "[layers][separable_conv2d]") {
  Random rng(0);
  // Keras: SeparableConv2D(32, 3, depth_multiplier=2) on (28, 28, 8): 3*3*8*2 + 16*32 + 32 = 688 parameters.
  SeparableConv2D sep(32, 3, {.depth_multiplier = 2, .name = "separable_conv2d"});
  CHECK(sep.build({28, 28, 8}, rng) == Shape{26, 26, 32});
  CHECK(sep.count_params() == 688);
  auto w = sep.weights();
  REQUIRE(w.size() == 3);
  CHECK(w[0].name == "separable_conv2d/depthwise_kernel");
  CHECK(w[0].tensor.shape() == Shape{3, 3, 8, 2});
  CHECK(w[1].name == "separable_conv2d/pointwise_kernel");
  CHECK(w[1].tensor.shape() == Shape{1, 1, 16, 32});
  CHECK(w[2].name == "separable_conv2d/bias");
  CHECK(w[2].tensor.shape() == Shape{32});
  CHECK(sep.class_name() == "SeparableConv2D");
  CHECK(sep.default_name_stem() == "separable_conv2d");
  SeparableConv2D no_bias(4, 2, {.use_bias = false});
  no_bias.build({5, 5, 3}, rng);
  CHECK(no_bias.count_params() == 2 * 2 * 3 + 3 * 4);
  CHECK(no_bias.weights().size() == 2);
}

TEST_CASE("SeparableConv2D forward by hand, and its gradient is the two convolutions'", "[layers][separable_conv2d]") {
  Random rng(0);
  // Depthwise 2x2 of ones (window sums per channel), pointwise of ones (sum over channels), bias 1:
  // x channel 0 = 1..4, channel 1 = 10 * (1..4) -> 10 + 100 + 1.
  SeparableConv2D sep(1, 2, {.depthwise_initializer = "ones", .pointwise_initializer = "ones", .bias_initializer = "ones"});
  sep.build({2, 2, 2}, rng);
  Tensor x({1, 2, 2, 2}, std::vector<float>{1, 10, 2, 20, 3, 30, 4, 40});
  Tensor y = sep.forward(x, false);
  REQUIRE(y.shape() == Shape{1, 1, 1, 1});
  CHECK(y.at({0, 0, 0, 0}) == 111);

  // Random weights: the layer's output and gradients equal depthwise_conv2d then a 1x1 conv2d with the bias.
  SeparableConv2D random(3, 3, {.strides = 2, .padding = "same", .depth_multiplier = 2, .activation = "tanh",
                                .bias_initializer = "ones"});
  random.build({5, 4, 2}, rng);
  auto w = random.weights();
  Tensor a({2, 5, 4, 2});
  for (int64_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<float>((i * 7) % 11) / 11.0f - 0.5f;
  a.set_requires_grad();
  ops::sum(random.forward(a, true)).backward();
  const std::vector<float> grad_layer(a.grad().values().begin(), a.grad().values().end());
  const std::vector<float> grad_pointwise(w[1].tensor.grad().values().begin(), w[1].tensor.grad().values().end());
  a.zero_grad();
  w[1].tensor.zero_grad();
  ops::Conv2DArgs args;
  args.stride_h = args.stride_w = 2;
  args.padding = ops::Padding::Same;
  const Tensor by_hand = ops::tanh(ops::conv2d(ops::depthwise_conv2d(a, w[0].tensor, Tensor(), args), w[1].tensor,
                                               w[2].tensor, ops::Conv2DArgs{}));
  CHECK(by_hand.shape() == Shape{2, 3, 2, 3});
  ops::sum(by_hand).backward();
  CHECK(std::vector<float>(a.grad().values().begin(), a.grad().values().end()) == grad_layer);
  CHECK(std::vector<float>(w[1].tensor.grad().values().begin(), w[1].tensor.grad().values().end()) == grad_pointwise);
}

TEST_CASE("SeparableConv2D rejects impossible arguments and inputs, naming itself", "[layers][separable_conv2d]") {
  CHECK_THROWS_WITH(SeparableConv2D(0, 3), "SeparableConv2D: filters must be positive, got 0");
  CHECK_THROWS_WITH(SeparableConv2D(8, 3, {.depth_multiplier = 0, .name = "sep"}),
                    "SeparableConv2D \"sep\": depth_multiplier must be positive, got 0");
  CHECK_THROWS_WITH(SeparableConv2D(8, 3, {.padding = "causal"}),
                    "SeparableConv2D: unknown padding \"causal\" (expected \"valid\" or \"same\")");
  SeparableConv2D sep(8, 3, {.name = "sep"});
  CHECK_THROWS_WITH(sep.output_shape({2, 2, 8}),
                    "SeparableConv2D \"sep\": kernel (3, 3) is larger than its input (2, 2, 8) with padding \"valid\"");
  Random rng(0);
  sep.build({5, 5, 4}, rng);
  CHECK_THROWS_WITH(sep.forward(Tensor({2, 5, 5, 3}), false),
                    "SeparableConv2D \"sep\": input (2, 5, 5, 3) does not match depthwise kernel (3, 3, 4, 1) "
                    "(expected (N, H, W, 4))");
}
