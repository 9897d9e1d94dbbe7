// predict and evaluate run a batch in slices of about 16 samples on the thread team (Trainer::infer_packed): the
// same bits at 1 and 2 threads, and those of one forward over the whole batch for convolutions and
// BatchNormalization; products large enough for OpenBLAS and a model of two inputs within 1e-6 of it.
#include <elucid/apps/resblock_model.hpp>
#include <elucid/apps/seed_model.hpp>
#include <elucid/elucid.hpp>

#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

using namespace elucid;
using namespace elucid::layers;

namespace {
using test::same_bits;
using test::values_of;

// The model's outputs for x in one forward over all of it, without gradients.
std::vector<float> one_forward(train::Trainer& model, std::span<const Tensor> x) {
  NoGradGuard no_grad;
  return values_of(model.forward(x, /*training=*/false).at(0));
}

// predict over batches of 40 (slices of 14, 13 and 13 samples) and the last batch of 10, at 1 and 2 threads: the
// same bits at both; the bits of one forward when every product is elucid's own (a sample's value does not depend
// on the rows beside it), within 1e-6 when OpenBLAS computes one (its kernels' order varies with the rows).
void check_predict_slices(train::Trainer& model, const std::vector<Tensor>& x, bool openblas = false) {
  const std::vector<float> whole = one_forward(model, x);
  std::vector<std::vector<float>> at_threads;
  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    set_num_threads(threads);
    const Tensor predicted = x.size() == 1 ? model.predict(x[0], {.batch_size = 40}) : model.predict(x, {.batch_size = 40});
    at_threads.push_back(values_of(predicted));
    if (!openblas) CHECK(same_bits(at_threads.back(), whole));
  }
  set_num_threads(0);
  CHECK(same_bits(at_threads[0], at_threads[1]));
  REQUIRE(at_threads[0].size() == whole.size());
  for (size_t i = 0; i < whole.size(); ++i) CHECK(at_threads[0][i] == Approx(whole[i]).epsilon(1e-6).margin(1e-6));
}
}  // namespace

TEST_CASE("predict in slices gives the bits of one forward: the seed model", "[predict][slices][threads]") {
  Sequential model = examples::seed_model();
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  check_predict_slices(model, {grad_check::random_tensor({50, 28, 28, 1}, 101, 0.0f, 1.0f, false)});
}

TEST_CASE("predict in slices gives the bits of one forward: a residual block with BatchNormalization",
          "[predict][slices][threads]") {
  Functional model = examples::resblock_model();
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  // One training step first, so that the moving statistics are not their initial 0 and 1.
  const Tensor x = grad_check::random_tensor({50, 28, 28, 1}, 102, 0.0f, 1.0f, false);
  Tensor y({50});
  for (int64_t i = 0; i < 50; ++i) y.data()[i] = static_cast<float>(i % 10);
  model.fit(x, y, {.batch_size = 50, .epochs = 1, .verbose = 0});
  check_predict_slices(model, {x});
}

TEST_CASE("predict in slices gives the bits of one forward: products OpenBLAS computes, two inputs",
          "[predict][slices][threads]") {
  // Dense(1030) on 1100 features: larger than elucid's own sgemm takes (k, n up to 1,024).
  KerasTensor wide = Input({1100}, "wide");
  KerasTensor narrow = Input({7}, "narrow");
  KerasTensor joined = Concatenate({.name = "joined"})({Dense(1030, {.activation = "tanh", .name = "big"})(wide), narrow});
  Functional model({wide, narrow}, {Dense(3, {.name = "scores"})(joined)}, "two_inputs");
  model.compile(optimizers::Adam(), losses::MeanSquaredError());
  check_predict_slices(model, {grad_check::random_tensor({50, 1100}, 103, -1.0f, 1.0f, false),
                               grad_check::random_tensor({50, 7}, 104, -1.0f, 1.0f, false)},
                       /*openblas=*/true);
}

TEST_CASE("evaluate in slices gives the same figures at 1 and 2 threads", "[evaluate][slices][threads]") {
  Sequential model = examples::seed_model();
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  const Tensor x = grad_check::random_tensor({70, 28, 28, 1}, 105, 0.0f, 1.0f, false);
  Tensor y({70});
  for (int64_t i = 0; i < 70; ++i) y.data()[i] = static_cast<float>(i % 10);
  set_num_threads(1);
  const Evaluation one = model.evaluate(x, y, {.batch_size = 64});
  set_num_threads(2);
  const Evaluation two = model.evaluate(x, y, {.batch_size = 64});
  set_num_threads(0);
  CHECK(std::memcmp(&one.loss, &two.loss, sizeof one.loss) == 0);
  CHECK(one["accuracy"] == two["accuracy"]);
  // The accuracy is that of the predictions.
  const Tensor scores = model.predict(x);
  int correct = 0;
  for (int64_t i = 0; i < 70; ++i) {
    const float* row = scores.data() + i * 10;
    correct += std::max_element(row, row + 10) - row == i % 10;
  }
  CHECK(one["accuracy"] == Approx(correct / 70.0));
}
