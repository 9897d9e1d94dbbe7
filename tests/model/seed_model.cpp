// The seed model of the Keras example, layer by layer: the API reads like Keras, shapes and 93,322 parameters.
#include <elucid/core/ops.hpp>
#include <elucid/layers/layers.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

using namespace elucid;
using namespace elucid::layers;

namespace {
// The Keras example's layers, in order, unbuilt.
std::vector<std::unique_ptr<Layer>> seed_model() {
  std::vector<std::unique_ptr<Layer>> model;
  model.push_back(std::make_unique<Conv2D>(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}})));
  model.push_back(std::make_unique<MaxPooling2D>(MaxPooling2D({2, 2})));
  model.push_back(std::make_unique<Conv2D>(Conv2D(64, {3, 3}, {.activation = "elu"})));
  model.push_back(std::make_unique<MaxPooling2D>(MaxPooling2D({2, 2})));
  model.push_back(std::make_unique<Conv2D>(Conv2D(64, {3, 3}, {.activation = "elu"})));
  model.push_back(std::make_unique<Flatten>(Flatten()));
  model.push_back(std::make_unique<Dense>(Dense(64, {.activation = activations::elu(/*alpha=*/1.0)})));
  model.push_back(std::make_unique<Dense>(Dense(10)));
  return model;
}

void build_all(std::vector<std::unique_ptr<Layer>>& model, uint64_t seed) {
  Random rng(seed);
  Shape shape = *model[0]->declared_input_shape;
  for (auto& layer : model) shape = layer->build(shape, rng);
}
}  // namespace

TEST_CASE("the seed model's layers chain to Keras' shapes and 93,322 parameters", "[layers][seed_model]") {
  auto model = seed_model();
  const std::vector<Shape> shapes{{26, 26, 32}, {13, 13, 32}, {11, 11, 64}, {5, 5, 64}, {3, 3, 64}, {576}, {64}, {10}};
  const std::vector<int64_t> params{320, 0, 18496, 0, 36928, 0, 36928, 650};
  Random rng(0);
  REQUIRE(model[0]->declared_input_shape.has_value());
  Shape shape = *model[0]->declared_input_shape;
  int64_t total = 0;
  for (size_t i = 0; i < model.size(); ++i) {
    shape = model[i]->build(shape, rng);
    CHECK(shape == shapes[i]);
    CHECK(model[i]->count_params() == params[i]);
    total += model[i]->count_params();
  }
  CHECK(total == 93322);

  // A forward pass through the whole stack gives (N, 10).
  Tensor x({2, 28, 28, 1}, 0.5f);
  for (auto& layer : model) x = layer->forward(x, false);
  CHECK(x.shape() == Shape{2, 10});
}

TEST_CASE("the seed model: gradients reach every weight, the same seed gives the same weights",
          "[layers][seed_model][determinism]") {
  auto model = seed_model();
  build_all(model, 7);
  Tensor x({2, 28, 28, 1});
  Random data(1);
  for (float& v : x.values()) v = data.uniform();
  for (auto& layer : model) x = layer->forward(x, true);
  ops::mean(x).backward();
  int weights = 0;
  for (auto& layer : model)
    for (auto& w : layer->trainable_weights()) {
      INFO(layer->class_name() << " " << w.name);
      CHECK(w.tensor.has_grad());
      ++weights;
    }
  CHECK(weights == 10);

  auto same = seed_model(), other = seed_model();
  build_all(same, 7);
  build_all(other, 8);
  for (size_t i = 0; i < model.size(); ++i) {
    auto a = model[i]->weights(), b = same[i]->weights(), c = other[i]->weights();
    for (size_t j = 0; j < a.size(); ++j) {
      CHECK(std::equal(a[j].tensor.values().begin(), a[j].tensor.values().end(), b[j].tensor.values().begin()));
      if (a[j].tensor.values()[0] != 0.0f)  // biases are zeros for every seed
        CHECK_FALSE(std::equal(a[j].tensor.values().begin(), a[j].tensor.values().end(), c[j].tensor.values().begin()));
    }
  }
}
