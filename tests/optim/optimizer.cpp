// The optimizer base: one step count per step, parameters without gradients, gradient clipping, weight decay,
// schedules driving the rate, state save/restore to identical bits, clone, and the errors of step and load_state.
#include "support/optim_testing.hpp"

#include <elucid/core/error.hpp>
#include <elucid/optim/optimizers.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace elucid;
using namespace elucid::optimizers;
using elucid::testing::check_close;
using elucid::testing::param;
using elucid::testing::set_grad;
using elucid::testing::values_of;

namespace {
bool same_bits(const Tensor& a, const Tensor& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.size())) == 0;
}
}  // namespace

TEST_CASE("The step counter advances once per step, however many tensors", "[optim]") {
  // tiny-dnn's adam advanced its bias-correction power per weight tensor. Here a tensor updated alongside
  // others must end exactly where it ends when updated alone.
  Adam together({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75});
  Adam alone({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75});
  std::vector<NamedTensor> three{param("a", {1, 2}), param("b", {-1}), param("c", {0.5f, 0.25f, 3})};
  std::vector<NamedTensor> one{param("c", {0.5f, 0.25f, 3})};
  for (int step = 0; step < 3; ++step) {
    set_grad(three[0], {0.1f, 0.2f});
    set_grad(three[1], {-0.3f});
    set_grad(three[2], {1, -2, 0.5f});
    set_grad(one[0], {1, -2, 0.5f});
    together.step(three);
    alone.step(one);
    CHECK(together.iterations() == step + 1);
  }
  CHECK(same_bits(three[2].tensor, one[0].tensor));
  CHECK(alone.iterations() == 3);
}

TEST_CASE("Parameters without a gradient are left alone but get slots", "[optim]") {
  SGD sgd({.learning_rate = 0.1, .momentum = 0.5});
  std::vector<NamedTensor> params{param("with", {1}), param("frozen", {2, 3})};
  set_grad(params[0], {1});
  sgd.step(params);
  check_close(params[0].tensor, {0.9});
  CHECK(values_of(params[1].tensor) == std::vector<float>{2, 3});
  CHECK_FALSE(params[1].tensor.has_grad());
  const OptimizerState state = sgd.state();
  REQUIRE(state.slots.size() == 2);
  CHECK(state.slots[1].name == "frozen/momentum");
  CHECK(state.slots[1].values == std::vector<float>{0, 0});
}

TEST_CASE("step: an empty list does nothing, bad parameter lists are errors", "[optim]") {
  Adam adam;
  adam.step({});
  CHECK(adam.iterations() == 0);

  std::vector<NamedTensor> no_grads{param("dense/kernel", {1}), param("dense/bias", {0})};
  CHECK_THROWS_WITH(adam.step(no_grads), "Adam.step: none of the 2 parameters (\"dense/kernel\", ...) has a "
                                         "gradient; was backward() called on the loss?");
  CHECK(adam.iterations() == 0);

  std::vector<NamedTensor> twice{param("w", {1}), param("w", {2})};
  set_grad(twice[0], {1});
  set_grad(twice[1], {1});
  CHECK_THROWS_WITH(adam.step(twice), "Adam.step: parameter \"w\" is given twice");
  CHECK(values_of(twice[0].tensor) == std::vector<float>{1});  // nothing was updated

  std::vector<NamedTensor> undefined{{"ghost", Tensor()}};
  CHECK_THROWS_WITH(adam.step(undefined), "Adam.step: parameter \"ghost\" is an undefined tensor");

  SGD sgd;
  std::vector<NamedTensor> small{param("w", {1, 2})};
  set_grad(small[0], {1, 1});
  sgd.step(small);
  std::vector<NamedTensor> larger{param("w", {1, 2, 3})};
  set_grad(larger[0], {1, 1, 1});
  CHECK_THROWS_WITH(sgd.step(larger), "SGD.step: parameter \"w\" has 3 values, but the optimizer's state was made "
                                      "for 2 (a changed model, or a state restored from another one?)");
  CHECK(values_of(larger[0].tensor) == std::vector<float>{1, 2, 3});
}

TEST_CASE("clipnorm scales each gradient to a norm of at most clipnorm", "[optim][clip]") {
  // lr 1 and plain SGD: each weight moves by minus its clipped gradient.
  SGD sgd({.learning_rate = 1, .clipnorm = 1.0f});
  std::vector<NamedTensor> params{param("big", {0, 0}), param("small", {0, 0}), param("zero", {5})};
  set_grad(params[0], {3, 4});      // norm 5 -> g * 1 / max(5, 1) = (0.6, 0.8)
  set_grad(params[1], {0.3f, 0.4f});  // norm 0.5 -> g * 1 / max(0.5, 1): unchanged
  set_grad(params[2], {0});         // norm 0 stays 0
  sgd.step(params);
  check_close(params[0].tensor, {-0.6, -0.8});
  check_close(params[1].tensor, {-0.3, -0.4});
  check_close(params[2].tensor, {5});
  CHECK(values_of(params[0].tensor.grad()) == std::vector<float>{3, 4});  // the gradient itself is not changed
}

TEST_CASE("global_clipnorm scales all gradients together", "[optim][clip]") {
  SGD sgd({.learning_rate = 1, .global_clipnorm = 2.6f});
  std::vector<NamedTensor> params{param("a", {0, 0}), param("b", {0}), param("no_grad", {7})};
  // Global norm sqrt(9 + 16 + 144) = 13 -> scale 2.6 / 13 = 0.2.
  set_grad(params[0], {3, 4});
  set_grad(params[1], {12});
  sgd.step(params);
  check_close(params[0].tensor, {-0.6, -0.8});
  check_close(params[1].tensor, {-2.4});
  check_close(params[2].tensor, {7});

  // Below the limit nothing changes: scale = 2.6 * min(1 / 1.3, 1 / 2.6) = 1.
  set_grad(params[0], {0.5f, 1.2f});
  params[1].tensor.zero_grad();
  sgd.step(params);
  check_close(params[0].tensor, {-1.1, -2.0});

  // A NaN anywhere makes every clipped gradient NaN, as in Keras (scale + (norm - norm)).
  set_grad(params[0], {1, 1});
  set_grad(params[1], {std::numeric_limits<float>::quiet_NaN()});
  sgd.step(params);
  CHECK(std::isnan(params[0].tensor.data()[0]));
}

TEST_CASE("clipvalue clips each gradient element to plus or minus clipvalue", "[optim][clip]") {
  SGD sgd({.learning_rate = 1, .clipvalue = 0.5f});
  std::vector<NamedTensor> params{param("w", {0, 0, 0, 0})};
  set_grad(params[0], {-2, 0.3f, 0.7f, -0.5f});
  sgd.step(params);
  check_close(params[0].tensor, {0.5, -0.3, -0.5, 0.5});
}

TEST_CASE("Clipping happens before the optimizer's update (Adam with clipnorm)", "[optim][clip]") {
  // Adam on the clipped gradient (0.6, 0.8) equals Adam on (0.6, 0.8) unclipped.
  Adam clipped({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75, .epsilon = 0.1, .clipnorm = 1.0f});
  Adam plain({.learning_rate = 0.1, .beta_1 = 0.5, .beta_2 = 0.75, .epsilon = 0.1});
  std::vector<NamedTensor> a{param("w", {1, 1})}, b{param("w", {1, 1})};
  set_grad(a[0], {3, 4});
  set_grad(b[0], {0.6f, 0.8f});
  clipped.step(a);
  plain.step(b);
  // Step 1: alpha = 0.1; m = 0.5 g, v = 0.25 g^2, so w = 1 - 0.1 * 0.5 g / (0.5 g + 0.1).
  check_close(a[0].tensor, {1 - 0.1 * 0.3 / 0.4, 1 - 0.1 * 0.4 / 0.5});
  check_close(b[0].tensor, {1 - 0.1 * 0.3 / 0.4, 1 - 0.1 * 0.4 / 0.5});
}

TEST_CASE("weight_decay: w -= w * weight_decay * lr before the update, for parameters with a gradient",
          "[optim][weight_decay]") {
  SGD sgd({.learning_rate = 0.1, .weight_decay = 0.5f});
  std::vector<NamedTensor> params{param("w", {2, -4}), param("frozen", {3})};
  set_grad(params[0], {0.5f, 0});
  sgd.step(params);
  // w = 2 - 2 * 0.5 * 0.1 = 1.9, then - 0.1 * 0.5 = 1.85;  w = -4 + 0.2 = -3.8, gradient 0.
  check_close(params[0].tensor, {1.85, -3.8});
  check_close(params[1].tensor, {3});
}

TEST_CASE("A schedule sets each step's rate from the steps taken before it", "[optim][schedules]") {
  SGD sgd({.learning_rate = schedules::PiecewiseConstantDecay({1}, {0.1f, 0.01f})});
  std::vector<NamedTensor> params{param("w", {1})};
  set_grad(params[0], {1});
  CHECK(sgd.learning_rate() == 0.1f);
  sgd.step(params);  // step 0: 0.1
  check_close(params[0].tensor, {0.9});
  CHECK(sgd.learning_rate() == 0.1f);
  sgd.step(params);  // step 1: still 0.1 (step <= boundary)
  check_close(params[0].tensor, {0.8});
  CHECK(sgd.learning_rate() == 0.01f);
  sgd.step(params);  // step 2: 0.01
  check_close(params[0].tensor, {0.79});
  REQUIRE(sgd.learning_rate_schedule() != nullptr);
  CHECK(sgd.learning_rate_schedule()->name() == "PiecewiseConstantDecay");
  CHECK(sgd.config() == Config{{"momentum", 0.0}, {"nesterov", 0.0}});  // the schedule is not a number

  CHECK_THROWS_WITH(sgd.set_learning_rate(0.5f),
                    "SGD: the learning rate follows a PiecewiseConstantDecay schedule and cannot be set; give the "
                    "optimizer a constant learning_rate to change it while training");
}

TEST_CASE("set_learning_rate replaces a constant rate", "[optim]") {
  SGD sgd({.learning_rate = 0.1});
  std::vector<NamedTensor> params{param("w", {1})};
  set_grad(params[0], {1});
  sgd.set_learning_rate(0.5f);
  CHECK(sgd.learning_rate() == 0.5f);
  sgd.step(params);
  check_close(params[0].tensor, {0.5});
  CHECK(sgd.config()[0] == std::pair<std::string, double>{"learning_rate", 0.5});
  CHECK_THROWS_WITH(sgd.set_learning_rate(-1), "SGD: learning_rate must be >= 0, got -1");
  CHECK(sgd.learning_rate() == 0.5f);
}

TEST_CASE("state() then load_state() resumes to identical bits", "[optim][state]") {
  std::vector<std::unique_ptr<Optimizer>> prototypes;
  prototypes.push_back(std::make_unique<SGD>(SGDOptions{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true}));
  prototypes.push_back(std::make_unique<Adam>(AdamOptions{.learning_rate = 0.01, .amsgrad = true}));
  prototypes.push_back(std::make_unique<AdamW>(AdamWOptions{.learning_rate = schedules::CosineDecay(0.01f, 4)}));
  prototypes.push_back(std::make_unique<RMSprop>(RMSpropOptions{.momentum = 0.5, .centered = true}));
  prototypes.push_back(std::make_unique<Adagrad>(AdagradOptions{.learning_rate = 0.1, .clipnorm = 0.5f}));

  for (const auto& prototype : prototypes) {
    INFO(prototype->name());
    auto grads_at = [](int step) {
      const float s = static_cast<float>(step + 1);
      return std::pair<std::vector<float>, std::vector<float>>{{0.3f * s, -0.7f}, {1.1f / s}};
    };
    auto run = [&](Optimizer& opt, std::vector<NamedTensor>& params, int from, int to) {
      for (int step = from; step < to; ++step) {
        auto [g0, g1] = grads_at(step);
        set_grad(params[0], g0);
        set_grad(params[1], g1);
        opt.step(params);
      }
    };
    // Straight through: 5 steps.
    auto straight = prototype->clone();
    std::vector<NamedTensor> a{param("conv2d/kernel", {0.5f, -0.25f}), param("conv2d/bias", {0.1f})};
    run(*straight, a, 0, 5);

    // 2 steps, checkpoint (weights + state), then a fresh optimizer continues for 3.
    auto first = prototype->clone();
    std::vector<NamedTensor> b{param("conv2d/kernel", {0.5f, -0.25f}), param("conv2d/bias", {0.1f})};
    run(*first, b, 0, 2);
    const OptimizerState saved = first->state();
    CHECK(saved.iterations == 2);
    CHECK(saved.learning_rate == first->learning_rate());
    std::vector<NamedTensor> c{param("conv2d/kernel", values_of(b[0].tensor)),
                                       param("conv2d/bias", values_of(b[1].tensor))};
    auto resumed = prototype->clone();
    resumed->load_state(saved);
    CHECK(resumed->iterations() == 2);
    CHECK(resumed->learning_rate() == first->learning_rate());
    run(*resumed, c, 2, 5);

    CHECK(same_bits(a[0].tensor, c[0].tensor));
    CHECK(same_bits(a[1].tensor, c[1].tensor));
    CHECK(resumed->iterations() == 5);
    // A clone carries the state along too.
    auto copy = first->clone();
    run(*copy, b, 2, 5);
    CHECK(same_bits(a[0].tensor, b[0].tensor));
  }
}

TEST_CASE("state keeps the learning rate, slots are named parameter/slot in Keras order", "[optim][state]") {
  SGD sgd({.learning_rate = 0.1});
  sgd.set_learning_rate(0.05f);
  SGD fresh;
  fresh.load_state(sgd.state());
  CHECK(fresh.learning_rate() == 0.05f);

  Adam adam;
  std::vector<NamedTensor> params{param("dense/kernel", {1, 2}), param("dense/bias", {3})};
  set_grad(params[0], {1, 1});
  set_grad(params[1], {1});
  adam.step(params);
  std::vector<std::string> names;
  for (const auto& slot : adam.state().slots) names.push_back(slot.name);
  CHECK(names == std::vector<std::string>{"dense/kernel/momentum", "dense/kernel/velocity", "dense/bias/momentum",
                                          "dense/bias/velocity"});
}

TEST_CASE("load_state names the unknown, missing or mismatched slot and leaves the optimizer unchanged",
          "[optim][state]") {
  Adam adam;
  std::vector<NamedTensor> params{param("dense/kernel", {1, 2}), param("dense/bias", {3})};
  set_grad(params[0], {1, 1});
  set_grad(params[1], {1});
  adam.step(params);
  const OptimizerState good = adam.state();  // kernel momentum, kernel velocity, bias momentum, bias velocity

  OptimizerState unknown = good;
  unknown.slots[0].name = "dense/kernel/accumulator";
  CHECK_THROWS_WITH(adam.load_state(unknown), "Adam.load_state: slot \"dense/kernel/accumulator\" is not one of "
                                              "Adam's slots (momentum, velocity)");
  OptimizerState missing = good;
  missing.slots.pop_back();
  CHECK_THROWS_WITH(adam.load_state(missing), "Adam.load_state: slot \"dense/bias/velocity\" is missing");
  OptimizerState twice = good;
  twice.slots[1].name = "dense/kernel/momentum";
  CHECK_THROWS_WITH(adam.load_state(twice), "Adam.load_state: slot \"dense/kernel/momentum\" appears twice");
  OptimizerState uneven = good;
  uneven.slots[1].values.push_back(0);
  CHECK_THROWS_WITH(adam.load_state(uneven), "Adam.load_state: slot \"dense/kernel/velocity\" holds 3 values but "
                                             "the other slots of \"dense/kernel\" hold 2");
  OptimizerState resized = good;
  resized.slots[2].values = {0, 0};
  resized.slots[3].values = {0, 0};
  CHECK_THROWS_WITH(adam.load_state(resized), "Adam.load_state: slot \"dense/bias/momentum\" holds 2 values but "
                                              "parameter \"dense/bias\" has 1");
  OptimizerState fewer = good;
  fewer.slots.resize(2);
  CHECK_THROWS_WITH(adam.load_state(fewer), "Adam.load_state: the state has no slots for parameter \"dense/bias\"");
  OptimizerState more = good;
  more.slots.push_back({"dense_1/bias/momentum", {0}});
  more.slots.push_back({"dense_1/bias/velocity", {0}});
  CHECK_THROWS_WITH(adam.load_state(more), "Adam.load_state: the state has slots for parameter \"dense_1/bias\", "
                                           "which this optimizer has not seen");
  OptimizerState negative = good;
  negative.iterations = -1;
  CHECK_THROWS_WITH(adam.load_state(negative), "Adam.load_state: iterations must be >= 0, got -1");
  OptimizerState bad_rate = good;
  bad_rate.learning_rate = -0.5f;
  CHECK_THROWS_WITH(adam.load_state(bad_rate), "Adam.load_state: learning_rate must be >= 0, got -0.5");
  CHECK_THROWS_WITH(SGD().load_state(good), "SGD.load_state: slot \"dense/kernel/momentum\" is not one of SGD's "
                                            "slots (none)");
  CHECK_THROWS_WITH(Adam({.amsgrad = true}).load_state(good),
                    "Adam.load_state: slot \"dense/kernel/velocity_hat\" is missing");

  // None of the failed loads changed anything.
  const OptimizerState after = adam.state();
  CHECK(after.iterations == good.iterations);
  REQUIRE(after.slots.size() == good.slots.size());
  for (size_t i = 0; i < good.slots.size(); ++i) {
    CHECK(after.slots[i].name == good.slots[i].name);
    CHECK(after.slots[i].values == good.slots[i].values);
  }

  // A fresh optimizer takes any consistent state; the sizes are checked against the parameters at the next step.
  Adam fresh;
  fresh.load_state(resized);
  CHECK_THROWS_WITH(fresh.step(params), "Adam.step: parameter \"dense/bias\" has 1 values, but the optimizer's "
                                        "state was made for 2 (a changed model, or a state restored from another "
                                        "one?)");
}
