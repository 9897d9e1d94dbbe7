// Activations by name and as objects: values at a few points against the textbook formulas, names kept for JSON,
// unknown names rejected with the list of known ones.
#include <elucid/core/error.hpp>
#include <elucid/layers/activations.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

using namespace elucid;

namespace {
const std::vector<float> kPoints{-3.0f, -0.5f, 0.25f, 2.0f};

// Applies `a` to kPoints and compares each value with the double formula f.
void check_values(const activations::Activation& a, const std::function<double(double)>& f) {
  Tensor x({1, 4}, kPoints);
  Tensor y = a.apply(x);
  REQUIRE(y.shape() == Shape{1, 4});
  for (size_t i = 0; i < kPoints.size(); ++i) {
    INFO(a.name() << " at " << kPoints[i]);
    CHECK(y.values()[i] == Approx(f(kPoints[i])).epsilon(1e-5).margin(1e-6));
  }
}
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

TEST_CASE("each named activation computes its formula", "[activations]") {
  check_values("elu", [](double x) { return x > 0 ? x : std::expm1(x); });
  check_values(activations::elu(0.5), [](double x) { return x > 0 ? x : 0.5 * std::expm1(x); });
  check_values("relu", [](double x) { return std::max(x, 0.0); });
  check_values("linear", [](double x) { return x; });
  check_values("sigmoid", sigmoid);
  check_values("tanh", [](double x) { return std::tanh(x); });
  const double selu_alpha = 1.6732632423543772, selu_scale = 1.0507009873554805;
  check_values("selu", [&](double x) { return selu_scale * (x > 0 ? x : selu_alpha * std::expm1(x)); });
  check_values("softplus", [](double x) { return std::log1p(std::exp(x)); });
  check_values("gelu", [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); });
  check_values("swish", [](double x) { return x * sigmoid(x); });
  check_values("silu", [](double x) { return x * sigmoid(x); });
}

TEST_CASE("softmax activation normalises over the last axis", "[activations]") {
  Tensor x({2, 3}, std::vector<float>{1, 2, 3, -1, 0, 1});
  Tensor y = activations::Activation("softmax").apply(x);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  for (int row = 0; row < 2; ++row) {
    CHECK(y.at({row, 0}) == Approx(std::exp(1.0) / z));
    CHECK(y.at({row, 2}) == Approx(std::exp(3.0) / z));
  }
}

TEST_CASE("activations keep their name and alpha, and compare by value", "[activations]") {
  activations::Activation none;
  CHECK(none.is_linear());
  CHECK(none.name() == "linear");
  activations::Activation from_string = "elu";
  CHECK(from_string.kind() == activations::Kind::Elu);
  CHECK(from_string.alpha() == 1.0);
  CHECK(from_string == activations::elu());
  auto half = activations::elu(0.5);
  CHECK(half.name() == "elu");
  CHECK(half.alpha() == 0.5);
  CHECK_FALSE(half == from_string);
  CHECK(activations::silu().kind() == activations::Kind::Swish);
  CHECK(activations::silu().name() == "silu");
  CHECK(activations::swish().name() == "swish");
  CHECK(activations::relu() == activations::Activation(std::string("relu")));
}

TEST_CASE("linear returns its input, unknown names are errors listing the known ones", "[activations]") {
  Tensor x({2}, 1.0f);
  CHECK(activations::linear().apply(x).same_node(x));
  CHECK_THROWS_AS(activations::Activation("eluu"), Error);
  CHECK_THROWS_WITH(activations::Activation("eluu"),
                    "unknown activation \"eluu\"; known activations: elu, relu, linear, sigmoid, tanh, softmax, "
                    "selu, softplus, gelu, swish, silu");
  CHECK_THROWS_WITH(activations::Activation(""), Catch::StartsWith("unknown activation \"\""));
}
