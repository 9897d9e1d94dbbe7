// InputLayer: the declared shape, passing the batch through, bad shapes.
#include <elucid/core/error.hpp>
#include <elucid/layers/input_layer.hpp>

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("InputLayer declares the sample shape and passes its input through", "[layers][input_layer]") {
  InputLayer input({.shape = {28, 28, 1}});
  CHECK(input.declared_input_shape == std::optional<Shape>(Shape{28, 28, 1}));
  CHECK(input.shape() == Shape{28, 28, 1});
  CHECK(input.output_shape({28, 28, 1}) == Shape{28, 28, 1});
  CHECK(input.class_name() == "InputLayer");
  CHECK(input.default_name_stem() == "input_layer");
  Tensor x({2, 28, 28, 1});
  CHECK(input.forward(x, false).same_node(x));
  CHECK(input.count_params() == 0);
}

TEST_CASE("InputLayer rejects missing or bad shapes and other inputs", "[layers][input_layer]") {
  CHECK_THROWS_WITH(InputLayer({}), "InputLayer: a shape is required, e.g. InputLayer({.shape = {28, 28, 1}})");
  CHECK_THROWS_WITH(InputLayer({.shape = {28, 0}}), "InputLayer: shape (28, 0) has a dimension below 1");
  InputLayer input({.shape = {784}, .name = "input_layer"});
  CHECK_THROWS_WITH(input.output_shape({28, 28}), "InputLayer \"input_layer\": declared shape (784,), got (28, 28)");
  CHECK_THROWS_WITH(input.forward(Tensor({2, 28, 28}), false),
                    "InputLayer \"input_layer\": expects a batch (N, 784), got (2, 28, 28)");
}
