// A non-decreasing activation right before max-pooling runs after it (Layer::call_then_max_pool): Sequential and
// Functional models give the same bits as the two layers called in turn, forward and every gradient; other
// activations, and a layer whose output something else reads too, keep their order.
#include <elucid/elucid.hpp>

#include "support/grad_check.hpp"
#include "support/one_step.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <functional>

using namespace elucid;
using namespace elucid::layers;

namespace {
using test::check_same_bits;
using test::OneStep;
using test::one_step;
using test::same_bits;
using test::values_of;

// The pair in a Sequential model against the two layers called in turn: the same bits everywhere.
// Returns the op that made the model's output.
std::string check_pair(const std::shared_ptr<Layer>& layer, const std::shared_ptr<Layer>& pool, const Shape& shape) {
  Sequential model;
  model.add(layer);
  model.add(pool);
  model.build(Shape(shape.begin() + 1, shape.end()));
  const std::vector<NamedTensor> weights = model.trainable_weights();
  const OneStep together = one_step([&](const Tensor& x) { return model(x, true); }, weights, shape);
  const OneStep in_turn =
      one_step([&](const Tensor& x) { return pool->call(layer->call(x, true), true); }, weights, shape);
  check_same_bits(together, in_turn);
  return together.last_op;
}
}  // namespace

TEST_CASE("Conv2D with a non-decreasing activation before max-pooling activates the pooled values, with the same bits",
          "[model][pooling][conv2d]") {
  const Shape images = {3, 9, 9, 4};
  for (const char* f : {"elu", "relu", "sigmoid", "tanh", "selu", "softplus"}) {
    INFO("activation " << f);
    auto conv = [&](const std::string& name) {
      return std::make_shared<Conv2D>(5, Size2D{3, 3}, Conv2DOptions{.activation = f, .name = name});
    };
    // The last op tells the order: the activation ran last, on the pooled values.
    CHECK(check_pair(conv("conv_a"), std::make_shared<MaxPooling2D>(Size2D{2, 2}, Pooling2DOptions{.name = "pool_a"}),
                     images) != "max_pool2d");
    CHECK(check_pair(conv("conv_b"),
                     std::make_shared<MaxPooling2D>(Size2D{3, 2}, Pooling2DOptions{.padding = "same", .name = "pool_b"}),
                     images) != "max_pool2d");
    // Overlapping windows keep the order: an input's gradient sums several windows' before f' multiplies it.
    CHECK(check_pair(conv("conv_d"),
                     std::make_shared<MaxPooling2D>(Size2D{3, 3}, Pooling2DOptions{.strides = {2, 2}, .name = "pool_d"}),
                     images) == "max_pool2d");
    check_pair(conv("conv_c"), std::make_shared<GlobalMaxPooling2D>(GlobalPooling2DOptions{.name = "pool_c"}), images);
  }
}

TEST_CASE("activation layers before max-pooling run after it, with the same bits", "[model][pooling][activation]") {
  const Shape images = {2, 8, 8, 3};
  auto pool = [](const std::string& name) {
    return std::make_shared<MaxPooling2D>(Size2D{2, 2}, Pooling2DOptions{.name = name});
  };
  CHECK(check_pair(std::make_shared<ELU>(ELUOptions{.alpha = 0.5, .name = "elu_a"}), pool("pool_a"), images) == "elu");
  CHECK(check_pair(std::make_shared<ReLU>(ActivationOptions{.name = "relu_a"}), pool("pool_b"), images) == "relu");
  CHECK(check_pair(std::make_shared<Activation>("tanh", ActivationOptions{.name = "tanh_a"}), pool("pool_c"), images) ==
        "tanh");
}

TEST_CASE("activations that are not non-decreasing keep their place before max-pooling", "[model][pooling][activation]") {
  const Shape images = {2, 8, 8, 3};
  for (const char* f : {"gelu", "swish", "softmax", "linear"}) {
    INFO("activation " << f);
    CHECK(check_pair(std::make_shared<Conv2D>(4, Size2D{3, 3}, Conv2DOptions{.activation = f, .name = "conv_k"}),
                     std::make_shared<MaxPooling2D>(Size2D{2, 2}, Pooling2DOptions{.name = "pool_k"}),
                     images) == "max_pool2d");
  }
  CHECK(check_pair(std::make_shared<Activation>("gelu", ActivationOptions{.name = "gelu_k"}),
                   std::make_shared<MaxPooling2D>(Size2D{2, 2}, Pooling2DOptions{.name = "pool_g"}),
                   images) == "max_pool2d");
  // Average pooling does not commute with a curved activation: the order stays.
  CHECK(check_pair(std::make_shared<Conv2D>(4, Size2D{3, 3}, Conv2DOptions{.activation = "elu", .name = "conv_avg"}),
                   std::make_shared<AveragePooling2D>(Size2D{2, 2}, Pooling2DOptions{.name = "pool_avg"}),
                   images) == "avg_pool2d");
}

TEST_CASE("a Functional model pools first only where the max-pooling alone reads the activation",
          "[model][pooling][functional]") {
  auto conv = std::make_shared<Conv2D>(4, Size2D{3, 3}, Conv2DOptions{.activation = "elu", .name = "conv_f"});
  auto pool = std::make_shared<MaxPooling2D>(Size2D{2, 2}, Pooling2DOptions{.name = "pool_f"});
  auto side = std::make_shared<GlobalAveragePooling2D>(GlobalPooling2DOptions{.name = "side_f"});
  auto flat = std::make_shared<GlobalAveragePooling2D>(GlobalPooling2DOptions{.name = "flat_f"});
  const Shape images = {2, 9, 9, 3};

  // conv -> pool alone: pooled first; the same bits as the layers in turn.
  KerasTensor in = Input({9, 9, 3});
  Functional alone(in, (*flat)((*pool)((*conv)(in))), "alone");
  const std::vector<NamedTensor> weights = alone.trainable_weights();
  auto by_hand = [&](const Tensor& x) { return flat->call(pool->call(conv->call(x, true), true), true); };
  const OneStep model_run = one_step([&](const Tensor& x) { return alone(x, true); }, weights, images);
  const OneStep hand_run = one_step(by_hand, weights, images);
  REQUIRE(model_run.weight_grads.size() == 2);  // the kernel and the bias
  check_same_bits(model_run, hand_run);

  // conv read by the pooling and by a second layer, or a model output itself: the activated tensor is needed whole,
  // so the order stays, and the outputs are the layers' in turn.
  KerasTensor in2 = Input({9, 9, 3});
  KerasTensor activated = (*conv)(in2);
  Functional shared({in2}, {(*pool)(activated), (*side)(activated)}, "shared");
  Functional exposed({in2}, {(*pool)(activated), activated}, "exposed");
  Tensor x = grad_check::random_tensor(images, 93, -3.0f, 3.0f, false);
  for (Functional* model : {&shared, &exposed}) {
    INFO(model->name());
    const std::vector<Tensor> outputs = model->forward(std::vector<Tensor>{x}, true);
    CHECK(outputs[0].op() == std::string("max_pool2d"));
    CHECK(same_bits(values_of(outputs[0]), values_of(pool->call(conv->call(x, true), true))));
  }
}

TEST_CASE("the seed model's pooled convolutions train to the same bits as the layers in turn", "[model][pooling][seed]") {
  // The Keras ELU example's two Conv2D(elu) + MaxPooling2D pairs, in a Sequential model and called by hand.
  Sequential model;
  model.add(Conv2D(8, 3, {.activation = "elu", .name = "seed_conv1"}));
  model.add(MaxPooling2D({2, 2}, {.name = "seed_pool1"}));
  model.add(Conv2D(8, 3, {.activation = "elu", .name = "seed_conv2"}));
  model.add(MaxPooling2D({2, 2}, {.name = "seed_pool2"}));
  model.add(Flatten({.name = "seed_flatten"}));
  model.add(Dense(3, {.activation = "elu", .name = "seed_dense"}));
  model.build({14, 14, 1});
  const std::vector<NamedTensor> weights = model.trainable_weights();
  const std::vector<std::shared_ptr<Layer>>& layers = model.layers();
  auto in_turn = [&](const Tensor& x) {
    Tensor h = x;
    for (const auto& layer : layers) h = layer->call(h, true);
    return h;
  };
  const OneStep together = one_step([&](const Tensor& x) { return model(x, true); }, weights, {4, 14, 14, 1});
  const OneStep separate = one_step(in_turn, weights, {4, 14, 14, 1});
  REQUIRE(together.weight_grads.size() == 6);
  check_same_bits(together, separate);
}
