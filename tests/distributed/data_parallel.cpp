// Data-parallel fit (distributed/strategy.hpp, distributed/data_parallel.hpp) with ranks as threads of this process
// (tests/support/distributed_testing.hpp): 2 ranks follow 1 rank, only rank 0 prints, errors end every rank.
// tests/distributed/mpi_strategy.cpp runs the same under mpirun.
#include "support/distributed_testing.hpp"

#include <elucid/elucid.hpp>
#include <elucid/distributed/data_parallel.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

using namespace elucid;
using namespace elucid::layers;

namespace {

// A small convolutional model (12x12 inputs) so that the tests stay fast; the seed model runs under mpirun.
Sequential small_model(bool batch_norm = false) {
  Sequential model;
  model.add(Conv2D(8, {3, 3}, {.activation = "elu", .input_shape = Shape{12, 12, 1}}));
  model.add(MaxPooling2D({2, 2}));
  if (batch_norm) model.add(BatchNormalization());
  model.add(Flatten());
  model.add(Dense(16, {.activation = "elu"}));
  model.add(Dense(10));
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  return model;
}

float max_abs_difference(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  REQUIRE(a.size() == b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].tensor.size() == b[i].tensor.size());
    for (int64_t j = 0; j < a[i].tensor.size(); ++j)
      worst = std::max(worst, std::abs(a[i].tensor.data()[j] - b[i].tensor.data()[j]));
  }
  return worst;
}

bool same_bits(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].tensor.size() != b[i].tensor.size() ||
        std::memcmp(a[i].tensor.data(), b[i].tensor.data(), sizeof(float) * a[i].tensor.size()) != 0)
      return false;
  return true;
}

// Calls a function at one batch of one rank.
struct AtBatch : Callback {
  AtBatch(int64_t batch, std::function<void(train::Trainer&)> action) : batch(batch), action(std::move(action)) {}
  void on_train_batch_end(int64_t b, Logs&) override {
    if (b == batch) action(*model);
  }
  std::string name() const override { return "AtBatch"; }
  int64_t batch;
  std::function<void(train::Trainer&)> action;
};

struct RankResult {
  std::vector<NamedTensor> weights;
  History history;
  std::string printed;
  int64_t steps = 0;
};

}  // namespace

TEST_CASE("a batch splits over the ranks in contiguous parts, the first ranks one sample longer", "[distributed]") {
  auto parts = [](int64_t count, int64_t ranks) {
    std::vector<int64_t> sizes;
    int64_t next = 0;
    for (int64_t r = 0; r < ranks; ++r) {
      const data::Part p = data::part_of(count, r, ranks);
      CHECK(p.begin == next);
      next += p.count;
      sizes.push_back(p.count);
    }
    CHECK(next == count);
    return sizes;
  };
  CHECK(parts(64, 2) == std::vector<int64_t>{32, 32});
  CHECK(parts(64, 3) == std::vector<int64_t>{22, 21, 21});
  CHECK(parts(5, 2) == std::vector<int64_t>{3, 2});
  CHECK(parts(1, 2) == std::vector<int64_t>{1, 0});
  CHECK(parts(0, 4) == std::vector<int64_t>{0, 0, 0, 0});
  CHECK_THROWS_WITH(data::part_of(10, 2, 2), "part_of: part 2 of 2 of 10 items does not exist");

  // Batches hands each rank its part of each batch of the epoch's order; together they are the whole batch.
  auto [x, y] = datasets::synthetic_squares(7, 1, 12);
  auto set = std::make_shared<data::TensorDataset>(x, y);
  data::Batches whole(set, 5, true, 9), first(set, 5, true, 9), second(set, 5, true, 9);
  data::Batch b, b0, b1;
  int batches = 0;
  while (whole.next(b)) {
    REQUIRE(first.next(b0, 0, 2));
    REQUIRE(second.next(b1, 1, 2));
    CHECK(b0.x.dim(0) + b1.x.dim(0) == b.x.dim(0));
    CHECK((b.begin == 0 && b0.begin == 0 && b1.begin == b0.x.dim(0)));  // and each part says where it sits
    CHECK((b.whole == b.x.dim(0) && b0.whole == b.whole && b1.whole == b.whole));
    CHECK(std::memcmp(b.x.data(), b0.x.data(), sizeof(float) * b0.x.size()) == 0);
    CHECK(std::memcmp(b.x.data() + b0.x.size(), b1.x.data(), sizeof(float) * b1.x.size()) == 0);
    ++batches;
  }
  CHECK(batches == 2);
  CHECK_FALSE(first.next(b0, 0, 2));
}

TEST_CASE("the single-process strategy is the default, and fit with it is fit without it", "[distributed]") {
  if (distributed::launcher_size() == 0) {
    auto s = distributed::from_environment();
    CHECK(s->name() == "single process");
    CHECK(s->rank() == 0);
    CHECK(s->size() == 1);
    CHECK(s->is_chief());
  }
  const auto squares = datasets::synthetic_squares(40, 2, 12);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = squares.first, &y = squares.second;
  auto train = [&](std::shared_ptr<distributed::Strategy> strategy) {
    set_random_seed(5);
    Sequential model = small_model();
    model.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0, .seed = 3, .strategy = strategy});
    return model.get_weights();
  };
  auto plain = train(nullptr);
  CHECK(same_bits(plain, train(std::make_shared<distributed::SingleProcess>())));
  set_random_seed(0);
}

TEST_CASE("without MPI, a process started by mpirun with several ranks is refused", "[distributed][errors]") {
  if (distributed::built_with_mpi() || distributed::launcher_size() != 0) return;  // the MPI tests cover that build
  ::setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  CHECK(distributed::launcher_size() == 4);
  CHECK_THROWS_WITH(distributed::from_environment(),
                    Catch::StartsWith("this process is one of 4 started by mpirun, but elucid was built without MPI"));
  ::setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  CHECK(distributed::from_environment()->size() == 1);
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
}

TEST_CASE("2 ranks at global batch 32 give the bits of 1 process at batch 32",
          "[distributed][fit]") {
  // 87 samples, 25% held out for validation: 65 to train in batches of 32, 32 and 1 (split 16 + 16 and 1 + 0: rank 1
  // sits the last step out), 22 to validate (11 + 11). Adam keeps state: the second fit() starts from rank 0's slots.
  const auto squares = datasets::synthetic_squares(87, 4, 12);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = squares.first, &y = squares.second;
  const FitOptions options{.batch_size = 32, .epochs = 2, .verbose = 1, .validation_split = 0.25, .seed = 11};

  set_random_seed(21);
  Sequential reference = small_model();
  std::ostringstream reference_log;
  FitOptions one = options;
  one.out = &reference_log;
  History reference_history = reference.fit(x, y, one);
  one.epochs = 3, one.initial_epoch = 2;
  reference.fit(x, y, one);

  std::vector<RankResult> results(2);
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model = small_model();  // same seed: the same start, but rank 1 is scrambled to prove the broadcast
    if (strategy->rank() == 1)
      for (auto& w : model.weights()) w.tensor.fill(0.5f);
    RankResult& result = results[static_cast<size_t>(strategy->rank())];
    std::ostringstream log;
    FitOptions mine = options;
    mine.out = &log;
    mine.strategy = strategy;
    result.history = model.fit(x, y, mine);
    mine.epochs = 3, mine.initial_epoch = 2;
    model.fit(x, y, mine);
    result.weights = model.get_weights();
    result.printed = log.str();
    result.steps = model.optimizer().iterations();
  });
  set_random_seed(0);
  CHECK(errors == std::vector<std::string>{"", ""});

  // Every rank ends with the same bits (the same summed gradients, the same steps).
  CHECK(same_bits(results[0].weights, results[1].weights));
  CHECK(results[0].steps == 9);
  CHECK(results[1].steps == 9);
  // Against one process: it cuts a 32-sample batch into the same two 16-sample slices (train/batch_split.hpp) and
  // weighs each slice's gradient by 1/2, which equals the ranks' (16 g0 + 16 g1) / 32 bit for bit (scaling by a
  // power of two rounds nothing). The last batch of 1 is one slice in both runs.
  const float difference = max_abs_difference(reference.get_weights(), results[0].weights);
  INFO("max abs difference between 2 ranks and 1: " << difference);
  CHECK(difference == 0);

  // The figures are global: the same History on both ranks, the one-process figures up to rounding.
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
    INFO(key);
    REQUIRE(results[0].history[key].size() == 2);
    CHECK(results[0].history[key] == results[1].history[key]);
    for (size_t e = 0; e < 2; ++e) CHECK(results[0].history[key][e] == Approx(reference_history[key][e]).epsilon(1e-5));
  }
  // Only rank 0 prints, the same lines as one process.
  CHECK(results[1].printed.empty());
  CHECK(results[0].printed.find("Epoch 1/2") != std::string::npos);
  CHECK(results[0].printed.find("3/3 [==============================]") != std::string::npos);
  CHECK(results[0].printed.find("Epoch 3/3") != std::string::npos);
}

TEST_CASE("2 ranks draw the Dropout masks of 1 rank even where a rank has no sample of a batch",
          "[distributed][fit][dropout]") {
  // 33 samples in batches of 16, 16 and 1 (1 + 0: rank 1 has no sample of the last batch). Each sample's mask is
  // keyed by the step and its place in the global batch (layers/dropout.hpp), whichever rank holds it.
  // At batch 64, 97 samples: batches of 64 (one process cuts it into 4 slices on its threads, each rank cuts its
  // 32 into 2: train/batch_split.hpp) and 33 (2 slices; each rank's 17 or 16 unsliced): the same masks still.
  const int batch = GENERATE(16, 64);
  INFO("batch " << batch);
  // not a structured binding: clang 14 cannot capture one
  const auto squares = datasets::synthetic_squares(batch == 16 ? 33 : 97, 6, 12);
  const Tensor &x = squares.first, &y = squares.second;
  const auto model_with_dropout = [] {
    Sequential model;
    model.add(Conv2D(4, {3, 3}, {.activation = "elu", .input_shape = Shape{12, 12, 1}}));
    model.add(Dropout(0.3));
    model.add(Flatten());
    model.add(Dropout(0.5, {.seed = 5}));
    model.add(Dense(10));
    model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
    return model;
  };
  const FitOptions options{.batch_size = batch, .epochs = 2, .verbose = 0, .seed = 4};
  set_random_seed(3);
  Sequential reference = model_with_dropout();
  reference.fit(x, y, options);

  std::vector<RankResult> results(2);
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model = model_with_dropout();
    FitOptions mine = options;
    mine.strategy = strategy;
    model.fit(x, y, mine);
    results[static_cast<size_t>(strategy->rank())].weights = model.get_weights();
  });
  set_random_seed(0);
  CHECK(errors == std::vector<std::string>{"", ""});
  CHECK(same_bits(results[0].weights, results[1].weights));
  // Measured here: 3.7e-8 at batch 16, 7.5e-9 at 64; with each rank's part keyed as if it began the batch (the
  // masks of samples 0.. for every rank): 1.0e-2 and 7.0e-3.
  const float difference = max_abs_difference(reference.get_weights(), results[0].weights);
  INFO("max abs difference between 2 ranks and 1: " << difference);
  CHECK(difference < 1e-5f);
}

TEST_CASE("BatchNormalization's moving statistics are averaged over the ranks at each epoch", "[distributed][fit]") {
  const auto squares = datasets::synthetic_squares(40, 5, 12);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = squares.first, &y = squares.second;
  std::vector<RankResult> results(2);
  set_random_seed(8);
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model = small_model(/*batch_norm=*/true);
    model.fit(x, y, {.batch_size = 20, .epochs = 1, .verbose = 0, .seed = 2, .strategy = strategy});
    results[static_cast<size_t>(strategy->rank())].weights = model.non_trainable_weights();
  });
  set_random_seed(0);
  CHECK(errors == std::vector<std::string>{"", ""});
  REQUIRE(results[0].weights.size() == 2);
  CHECK(results[0].weights[0].name == "batch_normalization/moving_mean");
  CHECK(same_bits(results[0].weights, results[1].weights));
}

TEST_CASE("a callback that stops training on one rank stops every rank at the same batch", "[distributed][fit]") {
  const auto squares = datasets::synthetic_squares(64, 6, 12);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = squares.first, &y = squares.second;
  std::vector<RankResult> results(2);
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model = small_model();
    std::vector<std::shared_ptr<Callback>> callbacks;
    if (strategy->rank() == 1)
      callbacks.push_back(std::make_shared<AtBatch>(1, [](train::Trainer& m) { m.stop_training = true; }));
    auto& result = results[static_cast<size_t>(strategy->rank())];
    result.history = model.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0, .callbacks = callbacks,
                                      .strategy = strategy});
    result.steps = model.optimizer().iterations();
  });
  CHECK(errors == std::vector<std::string>{"", ""});
  CHECK(results[0].steps == 2);
  CHECK(results[1].steps == 2);
  CHECK(results[0].history.epoch.size() == 1);
}

TEST_CASE("an error on one rank during training ends every rank with its message", "[distributed][errors]") {
  const auto squares = datasets::synthetic_squares(64, 7, 12);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = squares.first, &y = squares.second;
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model = small_model();
    std::vector<std::shared_ptr<Callback>> callbacks;
    if (strategy->rank() == 1)
      callbacks.push_back(std::make_shared<AtBatch>(
          1, [](train::Trainer&) { throw Error("ModelCheckpoint: cannot write \"/proc/model.keras\""); }));
    model.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0, .callbacks = callbacks, .strategy = strategy});
  });
  CHECK(errors[1] == "ModelCheckpoint: cannot write \"/proc/model.keras\"");
  CHECK(errors[0] == "stop_training after a batch: another rank aborted: rank 1: ModelCheckpoint: cannot write "
                     "\"/proc/model.keras\"");
}

TEST_CASE("ranks holding different models or starting at different epochs are told so", "[distributed][errors]") {
  const auto squares = datasets::synthetic_squares(32, 8, 12);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = squares.first, &y = squares.second;
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model;
    model.add(Conv2D(strategy->rank() == 0 ? 8 : 6, {3, 3}, {.input_shape = Shape{12, 12, 1}}));
    model.add(Flatten());
    model.add(Dense(10));
    model.compile("adam", "sparse_categorical_crossentropy");
    model.fit(x, y, {.batch_size = 16, .verbose = 0, .strategy = strategy});
  });
  CHECK(errors[1] == "fit: rank 1 of 2 holds another model than rank 0: 4 weights of 6070 values, rank 0's have "
                     "8090 values or other names or shapes");
  CHECK(errors[0] == "the initial weights: another rank aborted: rank 1: " + errors[1]);

  // Dropout has no weights: the architecture (the Keras JSON) is compared on its own.
  errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model;
    model.add(Flatten({.input_shape = Shape{12, 12, 1}}));
    if (strategy->rank() == 1) model.add(Dropout(0.5));
    model.add(Dense(10));
    model.compile("adam", "sparse_categorical_crossentropy");
    model.fit(x, y, {.batch_size = 16, .verbose = 0, .strategy = strategy});
  });
  CHECK(errors[1] == "fit: rank 1 of 2 holds another architecture than rank 0: the same weights, but another Keras "
                     "JSON (a layer without weights, or a layer's setting, differs)");

  errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Sequential model = small_model();
    model.fit(x, y, {.epochs = 3, .verbose = 0, .initial_epoch = strategy->rank(), .strategy = strategy});
  });
  CHECK(errors[1] == "fit: rank 1 of 2 starts at epoch 2, batch 0, rank 0 at epoch 1, batch 0 (was the same "
                     "checkpoint given to every rank?)");
}
