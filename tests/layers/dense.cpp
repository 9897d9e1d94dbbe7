// Dense: shapes (rank 2 and higher), weights and names, forward values, bad input.
#include <elucid/core/error.hpp>
#include <elucid/layers/dense.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("Dense shapes, parameter counts and weight names", "[layers][dense]") {
  Random rng(0);
  Dense dense(64, {.activation = activations::elu(1.0)});
  CHECK(dense.build({576}, rng) == Shape{64});
  CHECK(dense.count_params() == 36928);
  dense.set_name("dense");
  auto w = dense.weights();
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "dense/kernel");
  CHECK(w[0].tensor.shape() == Shape{576, 64});
  CHECK(w[1].name == "dense/bias");
  CHECK(dense.options().activation == activations::elu());
  CHECK(dense.units() == 64);
  CHECK(dense.class_name() == "Dense");
  CHECK(dense.default_name_stem() == "dense");

  Dense head(10, {.name = "dense_1"});
  head.build({64}, rng);
  CHECK(head.count_params() == 650);
  CHECK(head.weights()[1].name == "dense_1/bias");

  CHECK(Dense(3).output_shape({5, 7}) == Shape{5, 3});
  Dense no_bias(3, {.use_bias = false});
  no_bias.build({4}, rng);
  CHECK(no_bias.count_params() == 12);
}

TEST_CASE("Dense forward: x @ kernel + bias, then the activation, rank > 2 along the last axis", "[layers][dense]") {
  Random rng(0);
  Dense dense(2, {.activation = "relu", .kernel_initializer = "ones", .bias_initializer = "ones"});
  dense.build({3}, rng);
  Tensor x({2, 3}, std::vector<float>{1, 2, 3, -4, -5, 0});
  Tensor y = dense.forward(x, true);
  REQUIRE(y.shape() == Shape{2, 2});
  CHECK(y.at({0, 0}) == Approx(7));
  CHECK(y.at({0, 1}) == Approx(7));
  CHECK(y.at({1, 0}) == 0);  // -8 through relu

  Dense wide(4, {.kernel_initializer = initializers::random_normal(0.0, 1.0)});
  wide.build({5, 3}, rng);
  Tensor x3({2, 5, 3});
  for (int64_t i = 0; i < x3.size(); ++i) x3.data()[i] = float(i % 7) - 3.0f;
  Tensor y3 = wide.forward(x3, false);
  REQUIRE(y3.shape() == Shape{2, 5, 4});
  // Row (1, 2) of the output is that row of the input times the kernel.
  Tensor k = wide.trainable_weights()[0].tensor;  // a handle: the returned vector is a temporary
  for (int64_t j = 0; j < 4; ++j) {
    double expected = 0;
    for (int64_t i = 0; i < 3; ++i) expected += double(x3.at({1, 2, i})) * k.at({i, j});
    CHECK(y3.at({1, 2, j}) == Approx(expected).margin(1e-5));
  }
}

TEST_CASE("Dense rejects bad units and inputs, naming itself and the shapes", "[layers][dense]") {
  CHECK_THROWS_WITH(Dense(0), "Dense: units must be positive, got 0");
  CHECK_THROWS_WITH(Dense(-3, {.name = "d"}), "Dense \"d\": units must be positive, got -3");
  Dense dense(64, {.name = "dense_1"});
  CHECK_THROWS_WITH(dense.output_shape({}),
                    "Dense \"dense_1\": expects input (..., features) with features >= 1, got ()");
  CHECK_THROWS_WITH(dense.forward(Tensor({32, 576}), false), Catch::Contains("called before it was built"));
  Random rng(0);
  dense.build({512}, rng);
  CHECK_THROWS_WITH(dense.forward(Tensor({32, 576}), false),
                    "Dense \"dense_1\": input (32, 576) does not match kernel (512, 64)");
  CHECK_THROWS_WITH(dense.forward(Tensor({512}), false),
                    "Dense \"dense_1\": input (512,) does not match kernel (512, 64)");
}

TEST_CASE("Dense takes its activation as the second argument, as Keras does", "[layers][dense]") {
  // keras.layers.Dense(10, "softmax"): the activation is Dense's second positional argument.
  Dense head(10, "softmax");
  CHECK(head.options().activation == activations::softmax());
  Dense hidden(64, "elu", {.input_shape = {784}, .name = "hidden"});
  CHECK(hidden.options().activation == activations::elu());
  CHECK(hidden.options().input_shape == Shape{784});
  CHECK(hidden.name() == "hidden");
  Dense by_object(3, activations::elu(0.5));
  CHECK(by_object.options().activation.alpha() == 0.5);
  CHECK_THROWS_WITH(Dense(3, "relu", {.activation = "elu"}), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(Dense(3, "sofmax"), Catch::Contains("sofmax"));
}
