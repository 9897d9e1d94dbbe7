// Conv2DTranspose: output shapes (Keras' rule), Keras' weight shapes and counts, hand-computed forwards, the gradient
// through the layer, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/conv2d_transpose.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Conv2DTranspose output shapes follow Keras for valid and same padding", "[layers][conv2d_transpose]") {
  CHECK(Conv2DTranspose(16, 3).output_shape({7, 7, 8}) == Shape{9, 9, 16});                     // 7 + 3 - 1
  CHECK(Conv2DTranspose(16, 3, {.strides = 2}).output_shape({7, 5, 8}) == Shape{15, 11, 16});   // 7 * 2 + 1
  CHECK(Conv2DTranspose(4, 3, {.strides = 2, .padding = "same"}).output_shape({7, 5, 8}) == Shape{14, 10, 4});
  CHECK(Conv2DTranspose(4, {1, 2}, {.strides = 3}).output_shape({2, 2, 1}) == Shape{6, 6, 4});  // kernel < stride
}

TEST_CASE("Conv2DTranspose weights: Keras shapes (KH, KW, filters, C), counts and names", "[layers][conv2d_transpose]") {
  Random rng(0);
  // Keras: Conv2DTranspose(16, 3) on (7, 7, 8): 3 * 3 * 16 * 8 + 16 = 1168 parameters.
  Conv2DTranspose up(16, 3, {.name = "conv2d_transpose"});
  CHECK(up.build({7, 7, 8}, rng) == Shape{9, 9, 16});
  CHECK(up.count_params() == 1168);
  auto w = up.weights();
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "conv2d_transpose/kernel");
  CHECK(w[0].tensor.shape() == Shape{3, 3, 16, 8});
  CHECK(w[1].name == "conv2d_transpose/bias");
  CHECK(w[1].tensor.shape() == Shape{16});
  CHECK(up.class_name() == "Conv2DTranspose");
  CHECK(up.default_name_stem() == "conv2d_transpose");
  Conv2DTranspose no_bias(2, 2, {.use_bias = false});
  no_bias.build({3, 3, 5}, rng);
  CHECK(no_bias.count_params() == 2 * 2 * 2 * 5);
}

TEST_CASE("Conv2DTranspose forward by hand: each pixel spread over a kernel-sized patch", "[layers][conv2d_transpose]") {
  Random rng(0);
  Tensor x({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4});
  x.set_requires_grad();
  // Strides 1, 2x2 kernel of ones: the patches overlap; output (i, j) sums the inputs whose patch covers it.
  Conv2DTranspose overlap(1, 2, {.kernel_initializer = "ones"});
  overlap.build({2, 2, 1}, rng);
  Tensor y = overlap.forward(x, true);
  REQUIRE(y.shape() == Shape{1, 3, 3, 1});
  CHECK(std::vector<float>(y.values().begin(), y.values().end()) == std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4});
  // Every input pixel reaches 4 outputs, and the kernel tap (i, j) sees each input pixel once.
  ops::sum(y).backward();
  CHECK(std::vector<float>(x.grad().values().begin(), x.grad().values().end()) == std::vector<float>{4, 4, 4, 4});
  CHECK(std::vector<float>(overlap.weights()[0].tensor.grad().values().begin(),
                           overlap.weights()[0].tensor.grad().values().end()) == std::vector<float>{10, 10, 10, 10});
  CHECK(overlap.weights()[1].tensor.grad().at({0}) == 9);
  // Strides 2, 2x2 kernel of ones, bias 1: the patches tile the output, nearest upsampling plus 1.
  Conv2DTranspose tile(1, 2, {.strides = 2, .kernel_initializer = "ones", .bias_initializer = "ones"});
  tile.build({2, 2, 1}, rng);
  Tensor z = tile.forward(x, false);
  REQUIRE(z.shape() == Shape{1, 4, 4, 1});
  CHECK(std::vector<float>(z.values().begin(), z.values().end()) ==
        std::vector<float>{2, 2, 3, 3, 2, 2, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5});
}

TEST_CASE("Conv2DTranspose rejects impossible arguments and inputs, naming itself", "[layers][conv2d_transpose]") {
  CHECK_THROWS_WITH(Conv2DTranspose(0, 3), "Conv2DTranspose: filters must be positive, got 0");
  CHECK_THROWS_WITH(Conv2DTranspose(8, 3, {.dilation_rate = 2, .name = "up"}),
                    "Conv2DTranspose \"up\": dilation_rate (2, 2) is not supported (only 1)");
  CHECK_THROWS_WITH(Conv2DTranspose(8, 3, {.groups = 2, .name = "up"}),
                    "Conv2DTranspose \"up\": groups 2 is not supported (only 1)");
  CHECK_THROWS_WITH(Conv2DTranspose(8, 3, {.strides = {1, 0}}), "Conv2DTranspose: strides must be positive, got (1, 0)");
  Conv2DTranspose up(8, 3, {.name = "up"});
  CHECK_THROWS_WITH(up.output_shape({64}), "Conv2DTranspose \"up\": expects input (H, W, C), got (64,)");
  Random rng(0);
  up.build({5, 5, 4}, rng);
  CHECK_THROWS_WITH(up.forward(Tensor({2, 5, 5, 3}), false),
                    "Conv2DTranspose \"up\": input (2, 5, 5, 3) does not match kernel (3, 3, 8, 4) (expected (N, H, W, "
                    "4))");
}
