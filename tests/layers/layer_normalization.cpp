// LayerNormalization: shapes, weights and counts as Keras prints them, a hand-computed forward, the gradient through
// the layer, bad arguments.
#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/layer_normalization.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("LayerNormalization keeps the shape, with gamma and beta over the last axis", "[layers][layer_normalization]") {
  Random rng(0);
  LayerNormalization norm({.name = "layer_normalization"});
  CHECK(norm.build({7, 7, 16}, rng) == Shape{7, 7, 16});
  CHECK(norm.count_params() == 32);  // Keras: LayerNormalization() on (7, 7, 16): 32 parameters
  auto w = norm.weights();
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "layer_normalization/gamma");
  CHECK(w[0].tensor.shape() == Shape{16});
  CHECK(w[1].name == "layer_normalization/beta");
  CHECK(norm.class_name() == "LayerNormalization");
  CHECK(norm.default_name_stem() == "layer_normalization");
  LayerNormalization only_beta({.scale = false});
  only_beta.build({10}, rng);
  CHECK(only_beta.count_params() == 10);
  CHECK(only_beta.weights()[0].tensor.shape() == Shape{10});
}

TEST_CASE("LayerNormalization forward by hand, and the gradient through it", "[layers][layer_normalization]") {
  Random rng(0);
  // Rows [1, 3] and [2, 2]: mean 2 and 2, variance 1 and 0; epsilon 0.25 -> (x - mean) / sqrt(var + 0.25).
  LayerNormalization norm({.epsilon = 0.25, .beta_initializer = "ones"});
  norm.build({2}, rng);
  Tensor x({2, 2}, std::vector<float>{1, 3, 2, 2});
  x.set_requires_grad();
  Tensor y = norm.forward(x, true);
  const float s = static_cast<float>(1 / std::sqrt(1.25));
  CHECK(y.at({0, 0}) == Approx(1 - s));
  CHECK(y.at({0, 1}) == Approx(1 + s));
  CHECK(y.at({1, 0}) == Approx(1));
  CHECK(y.at({1, 1}) == Approx(1));
  // sum(y) does not depend on x (each row's normalised values sum to 0): x's gradient is 0; beta's is the row count.
  ops::sum(y).backward();
  for (float g : x.grad().values()) CHECK(g == Approx(0).margin(1e-6));
  CHECK(norm.weights()[1].tensor.grad().at({0}) == 2);
  CHECK(norm.weights()[0].tensor.grad().at({1}) == Approx(s));
}

TEST_CASE("LayerNormalization rejects other axes, epsilon <= 0 and mismatched inputs", "[layers][layer_normalization]") {
  CHECK_THROWS_WITH(LayerNormalization({.axis = 1, .name = "ln"}),
                    "LayerNormalization \"ln\": axis 1 is not supported (only -1, the last axis)");
  CHECK_THROWS_WITH(LayerNormalization({.epsilon = 0}), "LayerNormalization: epsilon must be > 0, got 0");
  LayerNormalization norm({.name = "ln"});
  Random rng(0);
  norm.build({4, 8}, rng);
  CHECK_THROWS_WITH(norm.forward(Tensor({2, 4, 7}), false),
                    "LayerNormalization \"ln\": input (2, 4, 7) does not match its built sample shape (4, 8)");
}
