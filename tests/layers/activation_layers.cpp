// Activation, ELU, ReLU and Softmax as layers.
#include <elucid/core/error.hpp>
#include <elucid/layers/activation_layers.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("activation layers apply their function", "[layers][activation_layers]") {
  Tensor x({1, 3}, std::vector<float>{-2, 0.5, 3});
  CHECK(Activation("relu").forward(x, false).values()[0] == 0.0f);
  Tensor e = Activation(activations::elu(0.5)).forward(x, false);
  CHECK(e.values()[0] == Approx(0.5 * std::expm1(-2.0)));
  CHECK(e.values()[2] == Approx(3));
  Tensor l = ELU({.alpha = 0.5}).forward(x, true);
  CHECK(l.values()[0] == Approx(0.5 * std::expm1(-2.0)));
  CHECK(ELU().forward(x, true).values()[0] == Approx(std::expm1(-2.0)));
  CHECK(ReLU().forward(x, false).values()[1] == 0.5f);
  Tensor s = Softmax().forward(x, false);
  CHECK(s.values()[0] + s.values()[1] + s.values()[2] == Approx(1));
  CHECK(s.values()[2] == Approx(std::exp(3.0) / (std::exp(-2.0) + std::exp(0.5) + std::exp(3.0))));
}

TEST_CASE("activation layers: Keras names, options kept, no weights", "[layers][activation_layers]") {
  Activation a("tanh", {.name = "act"});
  CHECK(a.activation().name() == "tanh");
  CHECK(a.name() == "act");
  CHECK(a.class_name() == "Activation");
  CHECK(a.default_name_stem() == "activation");
  CHECK(ELU().default_name_stem() == "elu");
  CHECK(ELU({.alpha = 0.3}).alpha() == 0.3);
  CHECK(ELU().class_name() == "ELU");
  CHECK(ReLU().default_name_stem() == "re_lu");
  CHECK(ReLU().class_name() == "ReLU");
  CHECK(Softmax().default_name_stem() == "softmax");
  CHECK(Softmax({.axis = 2}).output_shape({4, 10}) == Shape{4, 10});
  CHECK(ELU({.input_shape = {8}}).declared_input_shape == std::optional<Shape>(Shape{8}));
  CHECK(a.count_params() == 0);
}

TEST_CASE("activation layers reject unknown names and impossible softmax axes", "[layers][activation_layers]") {
  CHECK_THROWS_WITH(Activation("rleu"), Catch::StartsWith("unknown activation \"rleu\"; known activations: elu, relu"));
  CHECK_THROWS_WITH(Softmax({.axis = 1, .name = "softmax"}).output_shape({4, 10}),
                    "Softmax \"softmax\": only the last axis (-1 or 2) is supported, got axis 1");
  CHECK_THROWS_WITH(Softmax().output_shape({}), "Softmax: softmax needs an input (..., classes), got ()");
  CHECK_THROWS_WITH(Activation("softmax").output_shape({}),
                    "Activation: softmax needs an input (..., classes), got ()");
}
