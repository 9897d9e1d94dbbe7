// Conv2D: output shapes (valid / same, strides, dilation), weights and names, forward values, groups, bad input.
#include <elucid/core/error.hpp>
#include <elucid/layers/conv2d.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Conv2D output shapes follow Keras for valid and same padding, strides and dilation", "[layers][conv2d]") {
  CHECK(Conv2D(32, {3, 3}).output_shape({28, 28, 1}) == Shape{26, 26, 32});
  CHECK(Conv2D(32, 3, {.padding = "same"}).output_shape({28, 28, 1}) == Shape{28, 28, 32});
  CHECK(Conv2D(8, 3, {.strides = 2}).output_shape({28, 28, 1}) == Shape{13, 13, 8});  // floor(25 / 2) + 1
  CHECK(Conv2D(8, 3, {.strides = 2, .padding = "same"}).output_shape({27, 28, 1}) == Shape{14, 14, 8});  // ceil
  CHECK(Conv2D(8, 3, {.dilation_rate = 2}).output_shape({28, 28, 1}) == Shape{24, 24, 8});               // reach 5
  CHECK(Conv2D(4, {3, 2}, {.strides = {2, 1}}).output_shape({7, 7, 3}) == Shape{3, 6, 4});
  CHECK(Conv2D(4, 5, {.padding = "same"}).output_shape({2, 2, 3}) == Shape{2, 2, 4});  // same never shrinks to 0
}

TEST_CASE("Conv2D weights: Keras shapes, counts and names that follow renames", "[layers][conv2d]") {
  Random rng(0);
  Conv2D conv(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}});
  CHECK(conv.declared_input_shape == std::optional<Shape>(Shape{28, 28, 1}));
  CHECK(conv.count_params() == 0);  // not built yet
  CHECK(conv.build({28, 28, 1}, rng) == Shape{26, 26, 32});
  CHECK(conv.count_params() == 320);
  conv.set_name("conv2d");
  auto w = conv.weights();
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "conv2d/kernel");
  CHECK(w[0].tensor.shape() == Shape{3, 3, 1, 32});
  CHECK(w[0].tensor.requires_grad());
  CHECK(w[1].name == "conv2d/bias");
  CHECK(w[1].tensor.shape() == Shape{32});
  conv.set_name("conv2d_7");
  CHECK(conv.trainable_weights()[1].name == "conv2d_7/bias");
  CHECK(conv.non_trainable_weights().empty());

  Conv2D no_bias(64, 3, {.use_bias = false, .name = "c"});
  no_bias.build({13, 13, 32}, rng);
  CHECK(no_bias.count_params() == 3 * 3 * 32 * 64);
  CHECK(no_bias.weights().size() == 1);
  CHECK(no_bias.name() == "c");
  CHECK(no_bias.class_name() == "Conv2D");
  CHECK(no_bias.default_name_stem() == "conv2d");
  CHECK(no_bias.options().use_bias == false);
  CHECK(no_bias.filters() == 64);
  CHECK(no_bias.kernel_size() == Size2D(3, 3));
}

TEST_CASE("Conv2D forward: window sums, fused bias and the activation", "[layers][conv2d]") {
  Random rng(0);
  // One 2x2 filter of ones, bias 1: each output is the sum of a 2x2 window plus 1, then ELU.
  Conv2D conv(1, 2, {.activation = "elu", .kernel_initializer = "ones", .bias_initializer = "ones"});
  conv.build({3, 3, 1}, rng);
  Tensor x({1, 3, 3, 1}, std::vector<float>{1, 2, 3, 4, 5, 6, -7, -8, -9});
  Tensor y = conv.forward(x, false);
  REQUIRE(y.shape() == Shape{1, 2, 2, 1});
  CHECK(y.at({0, 0, 0, 0}) == Approx(1 + 2 + 4 + 5 + 1));
  CHECK(y.at({0, 0, 1, 0}) == Approx(2 + 3 + 5 + 6 + 1));
  CHECK(y.at({0, 1, 0, 0}) == Approx(std::expm1(4.0 + 5 - 7 - 8 + 1)));  // -5 -> ELU
  CHECK(y.at({0, 1, 1, 0}) == Approx(std::expm1(5.0 + 6 - 8 - 9 + 1)));
}

TEST_CASE("Conv2D groups: Keras' kernel (KH, KW, C / groups, F), and each filter sees its group's channels",
          "[layers][conv2d]") {
  Random rng(0);
  Conv2D grouped(6, 3, {.padding = "same", .groups = 3});
  CHECK(grouped.options().groups == 3);
  CHECK(Conv2D(6, 3).options().groups == 1);
  CHECK(grouped.build({8, 8, 6}, rng) == Shape{8, 8, 6});
  CHECK(grouped.weights()[0].tensor.shape() == Shape{3, 3, 2, 6});
  CHECK(grouped.count_params() == 3 * 3 * 2 * 6 + 6);  // 114, as Keras' Conv2D(6, 3, groups=3) on 6 channels
  // Glorot's fans are those of the grouped kernel: in 3 * 3 * 2, out 3 * 3 * 6.
  const double limit = std::sqrt(6.0 / (18 + 54));
  for (float v : grouped.weights()[0].tensor.values()) CHECK(std::abs(v) <= limit);

  // A 1x1 kernel of ones, 2 groups over channels (a, b, c, d): filters 0 and 1 sum (a, b), filters 2 and 3 (c, d).
  Conv2D sums(4, 1, {.groups = 2, .use_bias = false, .kernel_initializer = "ones"});
  sums.build({1, 2, 4}, rng);
  CHECK(sums.weights()[0].tensor.shape() == Shape{1, 1, 2, 4});
  Tensor x({1, 1, 2, 4}, std::vector<float>{1, 2, 3, 4, 10, 20, 30, 40});
  Tensor y = sums.forward(x, false);
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) ==
        std::vector<float>{3, 3, 7, 7, 30, 30, 70, 70});
  // With ELU (the fused op), the same sums activated.
  Conv2D elu(2, 1, {.groups = 2, .activation = "elu", .kernel_initializer = "ones", .bias_initializer = "ones"});
  elu.build({1, 1, 2}, rng);
  Tensor z = elu.forward(Tensor({1, 1, 1, 2}, std::vector<float>{-3, 2}), false);
  CHECK(z.at({0, 0, 0, 0}) == Approx(std::expm1(-2.0)));
  CHECK(z.at({0, 0, 0, 1}) == Approx(3));

  // Errors name the layer and the numbers.
  CHECK_THROWS_WITH(Conv2D(5, 3, {.groups = 2, .name = "c"}), "Conv2D \"c\": groups 2 does not divide filters 5");
  CHECK_THROWS_WITH(Conv2D(4, 3, {.groups = 0}), "Conv2D: groups must be positive, got 0");
  CHECK_THROWS_WITH(Conv2D(4, 3, {.groups = 2, .name = "c"}).output_shape({8, 8, 3}),
                    "Conv2D \"c\": groups 2 does not divide the input's 3 channels (input (8, 8, 3))");
  CHECK_THROWS_WITH(sums.forward(Tensor({1, 1, 2, 2}), false),
                    "Conv2D: input (1, 1, 2, 2) does not match kernel (1, 1, 2, 4) (expected (N, H, W, 4))");
}

TEST_CASE("Conv2D rejects impossible arguments and inputs, naming itself and the numbers", "[layers][conv2d]") {
  Conv2D after_flatten(64, {3, 3}, {.name = "conv2d_1"});
  CHECK_THROWS_WITH(after_flatten.output_shape({576}), "Conv2D \"conv2d_1\": expects input (H, W, C), got (576,)");
  Conv2D conv(64, 3);
  conv.set_name("conv2d_2");
  CHECK_THROWS_WITH(conv.output_shape({2, 2, 64}),
                    "Conv2D \"conv2d_2\": kernel (3, 3) is larger than its input (2, 2, 64) with padding \"valid\"");
  CHECK_THROWS_WITH(Conv2D(8, 3, {.dilation_rate = 3}).output_shape({6, 9, 1}),
                    "Conv2D: kernel (3, 3) (dilated to (7, 7)) is larger than its input (6, 9, 1) with padding "
                    "\"valid\"");
  CHECK_THROWS_WITH(conv.output_shape({0, 5, 1}), "Conv2D \"conv2d_2\": expects input (H, W, C), got (0, 5, 1)");
  CHECK_THROWS_WITH(Conv2D(0, 3), "Conv2D: filters must be positive, got 0");
  CHECK_THROWS_WITH(Conv2D(8, {3, 0}), "Conv2D: kernel_size must be positive, got (3, 0)");
  CHECK_THROWS_WITH(Conv2D(8, 3, {.strides = {0, 1}, .name = "c"}),
                    "Conv2D \"c\": strides must be positive, got (0, 1)");
  CHECK_THROWS_WITH(Conv2D(8, 3, {.dilation_rate = -1}), "Conv2D: dilation_rate must be positive, got (-1, -1)");
  CHECK_THROWS_WITH(Conv2D(8, 3, {.padding = "full"}),
                    "Conv2D: unknown padding \"full\" (expected \"valid\" or \"same\")");
  CHECK_THROWS_WITH(conv.forward(Tensor({1, 5, 5, 64}), false),
                    "Conv2D \"conv2d_2\": called before it was built (its input shape is not known yet; give the first "
                    "layer an input_shape)");
  Random rng(0);
  conv.build({5, 5, 64}, rng);
  CHECK_THROWS_WITH(conv.forward(Tensor({2, 5, 5, 3}), false),
                    "Conv2D \"conv2d_2\": input (2, 5, 5, 3) does not match kernel (3, 3, 64, 64) (expected (N, H, W, "
                    "64))");
  CHECK_THROWS_WITH(conv.build({6, 6, 64}, rng),
                    "Conv2D \"conv2d_2\": already built for input (5, 5, 64), cannot take (6, 6, 64)");
}
