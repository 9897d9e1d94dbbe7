// BatchSplit: the slices a batch is cut into, the training step over them (the full batch's gradient, the same bits
// at 1 and 2 threads), and an error inside a slice.
#include <elucid/apps/seed_model.hpp>
#include <elucid/data/synthetic.hpp>
#include <elucid/elucid.hpp>
#include <elucid/train/batch_split.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

using namespace elucid;
using namespace elucid::layers;

TEST_CASE("a batch is cut into 1, 2, 4 or 8 slices of at least 16 samples, within 256 MB of gradients, 2 when they meet",
          "[batch_split]") {
  const int64_t seed_model = 93322;
  CHECK(BatchSplit::slices_for(1, seed_model) == 1);
  CHECK(BatchSplit::slices_for(31, seed_model) == 1);
  CHECK(BatchSplit::slices_for(32, seed_model) == 2);
  CHECK(BatchSplit::slices_for(63, seed_model) == 2);
  CHECK(BatchSplit::slices_for(64, seed_model) == 4);
  CHECK(BatchSplit::slices_for(128, seed_model) == 8);
  CHECK(BatchSplit::slices_for(100000, seed_model) == 8);
  // 8M weights (32 MB): 8 copies fit in 256 MB; 16M: 4; 40M: none (one copy would be 160 MB, two 320).
  CHECK(BatchSplit::slices_for(128, int64_t{8} << 20) == 8);
  CHECK(BatchSplit::slices_for(128, int64_t{16} << 20) == 4);
  CHECK(BatchSplit::slices_for(128, 40'000'000) == 1);
  // Slices that meet (a model with BatchNormalization): at most 2.
  CHECK(BatchSplit::slices_for(31, seed_model, true) == 1);
  CHECK(BatchSplit::slices_for(32, seed_model, true) == 2);
  CHECK(BatchSplit::slices_for(128, seed_model, true) == 2);
  CHECK(BatchSplit::slices_for(128, 40'000'000, true) == 1);
}

namespace {
// The seed model; with Dropout(0.4) before its last layer; or a small model behind the six augmentation layers. The
// slices must draw the unsliced batch's masks and transforms (each sample's are keyed by its place in the batch:
// layers/dropout.hpp, layers/augmentation.hpp).
enum class Draws { none, dropout, augmentation };
Sequential model_for_split(Draws draws) {
  if (draws == Draws::augmentation) {
    Sequential model;
    model.add(RandomTranslation(0.2, 0.2, {.input_shape = {28, 28, 1}}));
    model.add(RandomRotation(0.1, {.fill_mode = "constant"}));
    model.add(RandomZoom(0.2, 0.1, {.fill_mode = "wrap"}));
    model.add(RandomFlip());
    model.add(RandomContrast(0.5, {.value_range = {0, 1}}));
    model.add(RandomCrop(24, 24));
    model.add(Conv2D(4, {3, 3}));
    model.add(Flatten());
    model.add(Dense(10));
    return model;
  }
  Sequential model = examples::seed_model();
  if (draws == Draws::dropout) {
    model.pop();
    model.add(Dropout(0.4));
    model.add(Dense(10));
  }
  return model;
}

// The weights before and after one SGD step at rate 1 (which moves each weight by minus its gradient) through
// train_on_batch on `threads` threads, the model made by `make` after set_random_seed(5).
struct Run {
  std::vector<NamedTensor> before, after;
};
template <class MakeModel>
Run one_sgd_step(const MakeModel& make, int threads, const Tensor& x, const Tensor& y) {
  set_num_threads(threads);
  set_random_seed(5);
  Sequential model = make();
  model.compile(optimizers::SGD({.learning_rate = 1.0f}), losses::SparseCategoricalCrossentropy({.from_logits = true}));
  Run run{model.get_weights(), {}};
  model.train_on_batch(x, y);
  run.after = model.get_weights();
  return run;
}
}  // namespace

TEST_CASE("a split step's weight gradient is the whole batch's, at 1 and 2 threads alike",
          "[batch_split][fit][threads]") {
  const Draws draws = GENERATE(Draws::none, Draws::dropout, Draws::augmentation);
  const bool random = draws != Draws::none;
  INFO("random layers " << static_cast<int>(draws));
  // 50 samples: 2 slices of 25. One SGD step at rate 1 moves each weight by minus its gradient.
  const auto data = datasets::synthetic_squares(50, 4);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = data.first, &y = data.second;
  const auto make_model = [draws] { return model_for_split(draws); };
  const Run one = one_sgd_step(make_model, 1, x, y), two = one_sgd_step(make_model, 2, x, y);
  set_num_threads(0);

  // The reference: the whole batch's mean loss, one backward, no split, the masks drawn in one go (called by hand,
  // Dropout's first step and samples 0..49: those of train_on_batch's first step).
  set_random_seed(5);
  Sequential reference = model_for_split(draws);
  const losses::Loss loss = losses::SparseCategoricalCrossentropy({.from_logits = true});
  const Tensor out = reference(x, /*training=*/true);
  loss(out, y).backward();
  set_random_seed(0);
  if (random) {  // the masks or transforms did something: inference gives other outputs
    NoGradGuard no_grad;
    const Tensor inference = reference(x, /*training=*/false);
    CHECK_FALSE(std::equal(out.values().begin(), out.values().end(), inference.values().begin()));
  }

  CHECK(test::same_bits(one.before, two.before));
  CHECK(test::same_bits(one.after, two.after));
  const auto weights = reference.weights();
  REQUIRE(weights.size() == one.after.size());
  double largest = 0, largest_gradient = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Tensor g = weights[i].tensor.grad();
    for (int64_t j = 0; j < g.size(); ++j) {
      const double step_taken = double(one.before[i].tensor.data()[j]) - double(one.after[i].tensor.data()[j]);
      largest = std::max(largest, std::abs(step_taken - double(g.data()[j])));
      largest_gradient = std::max(largest_gradient, std::abs(double(g.data()[j])));
    }
  }
  INFO("largest gradient difference " << largest << ", largest gradient " << largest_gradient);
  CHECK(largest_gradient > 1e-3);  // the step did move the weights
  CHECK(largest < 1e-6);           // with other masks the dense layers' gradients would differ by far more
}

TEST_CASE("an error inside a slice reaches the caller and leaves the weights' gradients alone",
          "[batch_split][threads]") {
  Tensor w(Shape{2}, std::vector<float>{1, 2});
  w.set_requires_grad();
  const Tensor x(Shape{64, 2}, 1.0f), y(Shape{64}, 0.0f);
  BatchSplit split;
  const std::vector<Tensor> leaves{w};
  std::vector<int64_t> sizes(4);  // checked after the slices: Catch2's CHECK is not thread-safe
  auto failing = [&](int64_t slice, data::Part, const Tensor& xs, const Tensor&) {
    sizes[static_cast<size_t>(slice)] = xs.dim(0);
    ops::sum(ops::mul(w, ops::mul_scalar(Tensor::ones(Shape{2}), ops::sum(xs).item()))).backward();
    if (slice == 2) throw Error("slice 2 went wrong");
    if (slice == 3) throw std::runtime_error("slice 3 went wrong too");
  };
  CHECK_THROWS_WITH(split.run(x, y, 4, false, leaves, failing), "slice 2 went wrong");
  CHECK(sizes == std::vector<int64_t>{16, 16, 16, 16});
  CHECK_FALSE(w.has_grad());
  // The same BatchSplit then runs a good step: 4 slices of 16 samples, each adding sum(x_s) = 32 per element.
  split.run(x, y, 4, false, leaves, [&](int64_t, data::Part, const Tensor& xs, const Tensor&) {
    ops::sum(ops::mul(w, ops::mul_scalar(Tensor::ones(Shape{2}), ops::sum(xs).item()))).backward();
  });
  CHECK(w.grad().values()[0] == 128);
}

TEST_CASE("a split step through BatchNormalization takes the whole batch's statistics and gradient, at 1 and 2 "
          "threads alike",
          "[batch_split][fit][threads]") {
  // 50 samples: 2 slices of 25 that meet at each BatchNormalization (core/slice_group.hpp): one after a convolution
  // (with its ReLU fused), one on a Dense layer's (batch, 16).
  const auto data = datasets::synthetic_squares(50, 4);
  const Tensor &x = data.first, &y = data.second;
  const auto make_model = [] {
    Sequential model;
    model.add(Conv2D(4, {3, 3}, {.input_shape = {28, 28, 1}}));
    model.add(BatchNormalization());
    model.add(ReLU());
    model.add(MaxPooling2D({2, 2}));
    model.add(Flatten());
    model.add(Dense(16));
    model.add(BatchNormalization({.momentum = 0.9}));
    model.add(Dense(10));
    return model;
  };
  const Run one = one_sgd_step(make_model, 1, x, y), two = one_sgd_step(make_model, 2, x, y);
  set_num_threads(0);
  CHECK(test::same_bits(one.before, two.before));
  CHECK(test::same_bits(one.after, two.after));

  // The reference: the whole batch in one forward and backward, no split.
  set_random_seed(5);
  Sequential reference = make_model();
  const losses::Loss loss = losses::SparseCategoricalCrossentropy({.from_logits = true});
  loss(reference(x, /*training=*/true), y).backward();
  set_random_seed(0);
  const auto weights = reference.weights();
  REQUIRE(weights.size() == one.after.size());
  double largest = 0, largest_gradient = 0, largest_moving = 0;
  int moving = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Tensor& w = weights[i].tensor;
    const float *before = one.before[i].tensor.data(), *after = one.after[i].tensor.data();
    if (!w.requires_grad()) {  // a moving statistic: moved once, by the batch's mean or variance
      ++moving;
      for (int64_t j = 0; j < w.size(); ++j)
        largest_moving = std::max(largest_moving, std::abs(double(after[j]) - double(w.data()[j])));
      continue;
    }
    const Tensor g = w.grad();
    for (int64_t j = 0; j < g.size(); ++j) {
      const double step_taken = double(before[j]) - double(after[j]);
      largest = std::max(largest, std::abs(step_taken - double(g.data()[j])));
      largest_gradient = std::max(largest_gradient, std::abs(double(g.data()[j])));
    }
  }
  INFO("largest gradient difference " << largest << ", largest gradient " << largest_gradient
                                      << ", largest moving statistic difference " << largest_moving);
  CHECK(moving == 4);
  CHECK(largest_gradient > 1e-3);
  CHECK(largest < 1e-6);  // each slice's own statistics would give gradients apart by far more
  CHECK(largest_moving < 1e-6);
}

TEST_CASE("an error inside a slice that meets others reaches the caller, not the others' release",
          "[batch_split][threads]") {
  const Tensor x(Shape{64, 2}, 1.0f), y(Shape{64}, 0.0f);
  BatchSplit split;
  Tensor w(Shape{2}, std::vector<float>{1, 2});
  w.set_requires_grad();
  const std::vector<Tensor> leaves{w};
  const int threads = GENERATE(1, 2);
  set_num_threads(threads);
  // Slice 2 fails before the meeting the other three wait at.
  auto failing = [&](int64_t slice, data::Part, const Tensor&, const Tensor&) {
    if (slice == 2) throw Error("slice 2 went wrong");
    SliceGroup::active()->gather(std::vector<double>{1.0});
  };
  CHECK_THROWS_WITH(split.run(x, y, 4, true, leaves, failing), "slice 2 went wrong");
  CHECK_FALSE(w.has_grad());
  std::vector<std::vector<double>> met(4);
  split.run(x, y, 4, true, leaves, [&](int64_t slice, data::Part, const Tensor&, const Tensor&) {
    met[static_cast<size_t>(slice)] = SliceGroup::active()->gather(std::vector<double>{double(slice)});
  });
  set_num_threads(0);
  for (const auto& m : met) CHECK(m == std::vector<double>{0, 1, 2, 3});
}
