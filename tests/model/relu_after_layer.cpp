// A ReLU that alone reads a BatchNormalization's or a two-input Add's output runs inside it (Layer::call_then_relu,
// ops::batch_norm_relu and ops::add_relu): Sequential and Functional models give the same bits as the layers called
// in turn, forward and every gradient; a layer whose output something else reads too keeps its own ReLU.
#include <elucid/elucid.hpp>

#include "support/grad_check.hpp"
#include "support/one_step.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

using namespace elucid;
using namespace elucid::layers;

namespace {
using test::one_step;
using test::OneStep;
using test::check_same_bits;
using test::same_bits;
using test::values_of;
}  // namespace

TEST_CASE("a Sequential model runs BatchNormalization and the ReLU after it as one op, with the same bits",
          "[model][batch_norm][activation]") {
  const Shape images = {3, 6, 5, 20};  // 20 channels: a vector block of 16 and a narrower one
  for (const bool as_activation : {false, true}) {
    INFO((as_activation ? "Activation(\"relu\")" : "ReLU"));
    auto norm = std::make_shared<BatchNormalization>(
        BatchNormalizationOptions{.name = as_activation ? "bn_a" : "bn_b"});
    std::shared_ptr<Layer> relu = as_activation
                                      ? std::shared_ptr<Layer>(std::make_shared<Activation>("relu"))
                                      : std::shared_ptr<Layer>(std::make_shared<ReLU>());
    Sequential model;
    model.add(norm);
    model.add(relu);
    model.build(Shape(images.begin() + 1, images.end()));
    const std::vector<NamedTensor> weights = model.trainable_weights();
    const OneStep together = one_step([&](const Tensor& x) { return model(x, true); }, weights, images);
    const OneStep in_turn =
        one_step([&](const Tensor& x) { return relu->call(norm->call(x, true), true); }, weights, images);
    CHECK(together.last_op == "batch_norm_relu");
    CHECK(in_turn.last_op == "relu");
    check_same_bits(together, in_turn);
    // Inference (the moving statistics) as well.
    const Tensor x = grad_check::random_tensor(images, 94, -3.0f, 3.0f, false);
    CHECK(same_bits(values_of(model(x, false)), values_of(relu->call(norm->call(x, false), false))));
  }
}

TEST_CASE("a Functional residual block fuses its ReLUs where they alone read the layer before",
          "[model][batch_norm][functional]") {
  const Conv2DOptions same = {.padding = "same", .use_bias = false};
  auto conv1 = std::make_shared<Conv2D>(8, Size2D{3, 3}, same);
  auto conv2 = std::make_shared<Conv2D>(8, Size2D{3, 3}, same);
  auto bn1 = std::make_shared<BatchNormalization>(), bn2 = std::make_shared<BatchNormalization>();
  auto relu1 = std::make_shared<ReLU>(), relu2 = std::make_shared<ReLU>();
  auto add = std::make_shared<Add>();
  const Shape images = {4, 7, 7, 8};

  // stem -> conv1 -> bn1 -> relu1 -> conv2 -> bn2, added to the stem, relu2: bn1 + relu1 and add + relu2 fused.
  KerasTensor in = Input({7, 7, 8});
  KerasTensor y = (*relu2)((*add)({(*bn2)((*conv2)((*relu1)((*bn1)((*conv1)(in))))), in}));
  Functional block(in, y, "block");
  const std::vector<NamedTensor> weights = block.trainable_weights();
  auto by_hand = [&](const Tensor& x) {
    const Tensor h = relu1->call(bn1->call(conv1->call(x, true), true), true);
    return relu2->call(add->call_of(std::vector<Tensor>{bn2->call(conv2->call(h, true), true), x}, true), true);
  };
  const OneStep together = one_step([&](const Tensor& x) { return block(x, true); }, weights, images);
  const OneStep in_turn = one_step(by_hand, weights, images);
  CHECK(together.last_op == "add_relu");
  check_same_bits(together, in_turn);

  // bn1's output read by relu1 and by a second branch, or a model output itself: the ReLU keeps its own op.
  KerasTensor in2 = Input({7, 7, 8});
  KerasTensor normalized = (*bn1)((*conv1)(in2));
  Functional shared({in2}, {(*relu1)(normalized), (*conv2)(normalized)}, "shared");
  Functional exposed({in2}, {(*relu1)(normalized), normalized}, "exposed");
  const Tensor x = grad_check::random_tensor(images, 95, -3.0f, 3.0f, false);
  for (Functional* model : {&shared, &exposed}) {
    INFO(model->name());
    const std::vector<Tensor> outputs = model->forward(std::vector<Tensor>{x}, false);
    CHECK(outputs[0].op() == std::string("relu"));
    CHECK(same_bits(values_of(outputs[0]), values_of(relu1->call(bn1->call(conv1->call(x, false), false), false))));
  }

  // Add of three inputs: no fused form, the ReLU runs on its own.
  KerasTensor in3 = Input({7, 7, 8});
  Functional three(in3, (*relu2)(Add()({in3, in3, in3})), "three");
  CHECK(three(grad_check::random_tensor(images, 96), false).op() == std::string("relu"));  // x with grad: a graph
}
