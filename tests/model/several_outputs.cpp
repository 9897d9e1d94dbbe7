// A model of several outputs: a loss per output (or one for all), their weights, metrics per output, the logs named
// after the outputs as Keras 3 names them, fit/evaluate on a list of labels, predict_outputs, the compile settings
// in every model file, and each wrong count or shape named before training.
#include <elucid/elucid.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/callbacks/backup_and_restore.hpp>
#include <elucid/saving/checkpoint.hpp>
#include <elucid/train/interrupt.hpp>

#include "support/data_files.hpp"
#include "support/distributed_testing.hpp"
#include "support/recipe_testing.hpp"
#include "support/error_of.hpp"
#include "support/interrupt_at.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
// A trunk on (6, 6, 2) images with two heads: "digit" (3 classes, logits) and "size" (2 numbers); or the trunk and
// "digit" alone. The layers are made in the same order either way, so the two models draw the same initial weights
// for the layers they share.
Functional digit_and_size_model(bool with_size_head = true) {
  KerasTensor image = Input({6, 6, 2}, "image");
  KerasTensor x = Flatten()(MaxPooling2D({2, 2})(Conv2D(4, {3, 3}, {.padding = "same", .activation = "elu"})(image)));
  KerasTensor digit = Dense(3, {.name = "digit"})(x);
  if (!with_size_head) return Functional(image, digit, "digit_only");
  KerasTensor size = Dense(2, {.name = "size"})(x);
  return Functional({image}, {digit, size}, "digit_and_size");
}

struct DigitAndSizeData {
  Tensor images, digits, sizes;
};

DigitAndSizeData digit_and_size_data(int64_t n, uint64_t seed) {
  Random rng(seed);
  DigitAndSizeData d{Tensor({n, 6, 6, 2}), Tensor({n}), Tensor({n, 2})};
  for (float& v : d.images.values()) v = rng.uniform() * 2 - 1;
  for (int64_t i = 0; i < n; ++i) d.digits.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
  for (float& v : d.sizes.values()) v = rng.uniform();
  return d;
}

void compile_digit_and_size(Functional& model, std::vector<double> loss_weights) {
  model.compile(optimizers::Adam({.learning_rate = 0.01f}),
                {losses::SparseCategoricalCrossentropy({.from_logits = true}), losses::MeanSquaredError()},
                {{"accuracy"}, {"mae"}}, std::move(loss_weights));
}
}  // namespace

TEST_CASE("a model of two outputs trains on the weighted sum of their losses, logged by output as Keras 3 logs them",
          "[functional][several_outputs]") {
  const DigitAndSizeData d = digit_and_size_data(48, 3);
  auto train = [&](int threads, std::vector<double> weights) {
    set_num_threads(threads);
    set_random_seed(8);
    Functional model = digit_and_size_model();
    compile_digit_and_size(model, std::move(weights));
    const History history = model.fit(d.images, {d.digits, d.sizes},
                                      {.batch_size = 32, .epochs = 2, .verbose = 0, .validation_split = 0.25});
    return std::pair{std::move(model), history};
  };
  auto [model, history] = train(2, {1.0, 0.5});
  auto [one_thread, one_thread_history] = train(1, {1.0, 0.5});
  set_num_threads(0);
  CHECK(test::same_bits(model.get_weights(), one_thread.get_weights()));
  CHECK(history["loss"] == one_thread_history["loss"]);

  std::vector<std::string> keys;
  for (const auto& [key, values] : history.history) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"digit_accuracy", "digit_loss", "loss", "size_loss", "size_mae",
                                         "val_digit_accuracy", "val_digit_loss", "val_loss", "val_size_loss",
                                         "val_size_mae"});
  // Each output's logged loss is weighted, and the loss is their sum.
  for (size_t e = 0; e < 2; ++e)
    CHECK(std::abs(history["loss"][e] - history["digit_loss"][e] - history["size_loss"][e]) < 1e-5);

  // evaluate on a list of labels: the figures recomputed from predict_outputs in double.
  const std::vector<Tensor> out = model.predict_outputs(d.images, {.batch_size = 7});
  REQUIRE(out.size() == 2);
  CHECK(out[0].shape() == Shape{48, 3});
  CHECK(out[1].shape() == Shape{48, 2});
  double cross_entropy = 0, squared = 0, absolute = 0, correct = 0;
  for (int64_t i = 0; i < 48; ++i) {
    const float* logits = out[0].data() + i * 3;
    const auto label = static_cast<int64_t>(d.digits.data()[i]);
    double sum = 0;
    for (int c = 0; c < 3; ++c) sum += std::exp(static_cast<double>(logits[c]));
    cross_entropy += std::log(sum) - static_cast<double>(logits[label]);
    correct += std::max_element(logits, logits + 3) - logits == label ? 1 : 0;
    for (int j = 0; j < 2; ++j) {
      const double diff = static_cast<double>(out[1].data()[i * 2 + j]) - static_cast<double>(d.sizes.data()[i * 2 + j]);
      squared += diff * diff, absolute += std::abs(diff);
    }
  }
  const Evaluation e = model.evaluate(d.images, {d.digits, d.sizes}, {.batch_size = 16});
  CHECK(std::abs(e["digit_loss"] - cross_entropy / 48) < 1e-5);
  CHECK(std::abs(e["size_loss"] - 0.5 * squared / 96) < 1e-5);
  CHECK(std::abs(e.loss - e["digit_loss"] - e["size_loss"]) < 1e-5);
  CHECK(e["digit_accuracy"] == correct / 48);
  CHECK(std::abs(e["size_mae"] - absolute / 96) < 1e-5);
  CHECK(e.first_metric() == e["digit_loss"]);  // `loss, digit_loss = model.evaluate(...)`, as in Keras
  const Evaluation by_name = model.evaluate(Functional::NamedInputs{{"image", d.images}}, {d.digits, d.sizes});
  CHECK(by_name.loss == model.evaluate(d.images, {d.digits, d.sizes}).loss);
  const Evaluation labels_by_name =
      model.evaluate(d.images, Functional::NamedLabels{{"size", d.sizes}, {"digit", d.digits}});
  CHECK(labels_by_name.loss == by_name.loss);
  CHECK(labels_by_name["size_mae"] == by_name["size_mae"]);
}

TEST_CASE("labels by output name train to the bits of the list in the outputs' order", "[functional][several_outputs]") {
  const DigitAndSizeData d = digit_and_size_data(24, 11);
  auto train = [&](bool by_name) {
    set_random_seed(3);
    Functional model = digit_and_size_model();
    compile_digit_and_size(model, {1.0, 2.0});
    const FitOptions options{.batch_size = 8, .epochs = 1, .verbose = 0};
    if (by_name) model.fit(Functional::NamedInputs{{"image", d.images}},
                           Functional::NamedLabels{{"size", d.sizes}, {"digit", d.digits}}, options);
    else model.fit(d.images, {d.digits, d.sizes}, options);
    return model;
  };
  CHECK(test::same_bits(train(true).get_weights(), train(false).get_weights()));
  set_random_seed(3);
  Functional model = digit_and_size_model();
  compile_digit_and_size(model, {});
  CHECK_THAT(test::error_of([&] { model.fit(d.images, Functional::NamedLabels{{"digit", d.digits}}); }),
             Contains("fit: no output named \"size\" among the 1 given"));
  CHECK_THAT(test::error_of([&] {
               model.evaluate(d.images, Functional::NamedLabels{{"digit", d.digits}, {"sizes", d.sizes}});
             }),
             Contains("evaluate: the model has no output named \"sizes\"; its first is \"digit\" of 2"));
}

TEST_CASE("with the second loss weighed 0, the shared layers train to the bits of the model without that output",
          "[functional][several_outputs]") {
  // The gradient of the weighted sum reaches the shared layers from each output: a weight of 0 takes exactly one
  // output's part away, which leaves the model of the other output alone, bit for bit.
  const DigitAndSizeData d = digit_and_size_data(64, 4);
  set_random_seed(9);
  Functional both = digit_and_size_model();
  compile_digit_and_size(both, {1.0, 0.0});
  const History both_history = both.fit(d.images, {d.digits, d.sizes}, {.batch_size = 32, .epochs = 2, .verbose = 0});
  set_random_seed(9);
  Functional digit_only = digit_and_size_model(/*with_size_head=*/false);
  digit_only.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                     {"accuracy"});
  const History digit_history = digit_only.fit(d.images, d.digits, {.batch_size = 32, .epochs = 2, .verbose = 0});
  CHECK(both_history["digit_loss"] == digit_history["loss"]);
  CHECK(both_history["digit_accuracy"] == digit_history["accuracy"]);
  const std::vector<NamedTensor> all = both.get_weights(), shared = digit_only.get_weights();
  REQUIRE(all.size() == shared.size() + 2);  // and the size head's kernel and bias
  CHECK(test::same_bits(std::vector<NamedTensor>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(shared.size())),
                        shared));
  // With its weight back, the size output changes how the shared layers train.
  set_random_seed(9);
  Functional weighted = digit_and_size_model();
  compile_digit_and_size(weighted, {1.0, 1.0});
  weighted.fit(d.images, {d.digits, d.sizes}, {.batch_size = 32, .epochs = 2, .verbose = 0});
  CHECK_FALSE(test::same_bits(std::vector<NamedTensor>{weighted.get_weights()[0]}, std::vector<NamedTensor>{shared[0]}));
}

TEST_CASE("one loss and one list of metrics serve every output, named after each", "[functional][several_outputs]") {
  set_random_seed(2);
  Functional model = digit_and_size_model();
  model.compile("sgd", "mse", {"mae"});
  CHECK(model.losses().size() == 2);
  CHECK(model.loss_weights() == std::vector<double>{1.0, 1.0});
  CHECK(model.output_metric_names() == std::vector<std::vector<std::string>>{{"mae"}, {"mae"}});
  CHECK(model.run_figures(false).batch ==
        std::vector<std::string>{"loss", "digit_loss", "size_loss", "digit_mae", "size_mae"});
  const DigitAndSizeData d = digit_and_size_data(8, 5);
  Tensor one_hot({8, 3});
  for (int64_t i = 0; i < 8; ++i) one_hot.values()[static_cast<size_t>(i * 3 + i % 3)] = 1;
  CHECK(std::isfinite(model.fit(d.images, {one_hot, d.sizes}, {.epochs = 1, .verbose = 0})["loss"][0]));
  // Two outputs of one layer are told apart as tf.keras does: out, out_1.
  KerasTensor in = Input({3});
  KerasTensor out = Dense(2, {.name = "out"})(in);
  Functional twice({in}, {out, out, out});
  twice.compile("sgd", "mse");
  CHECK(twice.run_figures(false).batch == std::vector<std::string>{"loss", "out_loss", "out_1_loss", "out_2_loss"});
}

TEST_CASE("a model of two outputs refuses labels, losses and calls that do not fit it, naming what and where",
          "[functional][several_outputs]") {
  set_random_seed(2);
  Functional model = digit_and_size_model();
  const DigitAndSizeData d = digit_and_size_data(8, 6);
  CHECK_THAT(test::error_of([&] { model.compile(optimizers::Adam(), std::vector<losses::Loss>(3, losses::MeanSquaredError())); }),
             Contains("compile: the model has 2 outputs, 3 losses given (one for every output, or one each)"));
  CHECK_THAT(test::error_of([&] { compile_digit_and_size(model, {1.0}); }),
             Contains("compile: the model has 2 outputs, 1 loss_weights given"));
  CHECK_THAT(test::error_of([&] { compile_digit_and_size(model, {1.0, -1.0}); }),
             Contains("compile: loss weight -1 is not finite and >= 0"));
  compile_digit_and_size(model, {});
  CHECK_THAT(test::error_of([&] { model.fit(d.images, d.digits, {.verbose = 0}); }),
             Contains("fit: the model gives 2 outputs; the data hold 1 label per sample"));
  CHECK_THAT(test::error_of([&] { model.fit(d.images, {d.digits, d.digits}, {.verbose = 0}); }),
             Contains("fit: label 1 has shape (); output 1 \"size\" with mean_squared_error takes (2,)"));
  Tensor bad_digits = d.digits.clone();
  bad_digits.values()[5] = 3;
  CHECK_THAT(test::error_of([&] { model.evaluate(d.images, {bad_digits, d.sizes}); }),
             Contains("evaluate: label 3 of sample 5 for output 0 is not a class index in [0, 3)"));
  CHECK_THAT(test::error_of([&] { model.fit(d.images, {d.digits, Tensor({7, 2})}, {.verbose = 0}); }),
             Contains("label 1 (7, 2) has 7 samples but label 0 (8,) has 8"));
  CHECK_THAT(test::error_of([&] { model.predict(d.images); }),
             Contains("predict: the model gives 2 outputs; predict_outputs gives each"));
  CHECK_THAT(test::error_of([&] { model.train_on_batch(d.images, d.digits); }),
             Contains("train_on_batch: the model gives 2 outputs; it takes one label tensor"));
  CHECK_THAT(test::error_of([&] { (void)model.loss(); }),
             Contains("loss: the model has 2 outputs, each with its loss (losses())"));
}

TEST_CASE("a model of two outputs keeps its losses, weights and metrics in every model file, and trains on the same",
          "[functional][several_outputs][model_file][keras_v3][keras_h5]") {
  const fs::path dir = test::scratch("several_outputs_files");
  const DigitAndSizeData d = digit_and_size_data(16, 7);
  for (const char* name : {"m.elucid", "m.keras", "m.h5"}) {
    CAPTURE(name);
    set_random_seed(5);
    Functional model = digit_and_size_model();
    compile_digit_and_size(model, {1.0, 0.25});
    model.fit(d.images, {d.digits, d.sizes}, {.batch_size = 8, .epochs = 1, .verbose = 0});
    const std::string path = (dir / name).string();
    model.save(path);
    Functional loaded = load_model<Functional>(path);
    REQUIRE(loaded.compiled());
    CHECK(loaded.loss_weights() == std::vector<double>{1.0, 0.25});
    CHECK(loaded.output_metric_names() == model.output_metric_names());
    REQUIRE(loaded.losses().size() == 2);
    CHECK(loaded.losses()[0].kind() == losses::Loss::Kind::SparseCategoricalCrossentropy);
    CHECK(loaded.losses()[0].from_logits());
    CHECK(loaded.losses()[1].kind() == losses::Loss::Kind::MeanSquaredError);
    model.fit(d.images, {d.digits, d.sizes}, {.batch_size = 8, .epochs = 1, .verbose = 0});
    loaded.fit(d.images, {d.digits, d.sizes}, {.batch_size = 8, .epochs = 1, .verbose = 0});
    CHECK(test::same_bits(loaded.get_weights(), model.get_weights()));
  }
}

TEST_CASE("a run of a two-output model interrupted mid-epoch resumes to the same bits, its callbacks on an output's "
          "figure", "[functional][several_outputs][checkpoint]") {
  test::OneThread one_thread;
  const DigitAndSizeData d = digit_and_size_data(40, 8);
  auto run = [&](const std::string& dir, int64_t interrupt_batch) {
    FitOptions o{.batch_size = 8, .epochs = 2, .verbose = 0, .validation_split = 0.2, .seed = 4};
    o.callbacks = {std::make_shared<callbacks::EarlyStopping>(
                       callbacks::EarlyStoppingOptions{.monitor = "val_size_loss", .patience = 3}),
                   std::make_shared<test::InterruptAtBatch>(interrupt_batch),
                   std::make_shared<callbacks::BackupAndRestore>(dir, callbacks::BackupAndRestoreOptions{.save_freq = 1})};
    return o;
  };
  auto fresh = [] {
    set_random_seed(9);
    Functional model = digit_and_size_model();
    compile_digit_and_size(model, {1.0, 0.5});
    return model;
  };
  Functional reference = fresh();
  const History full = reference.fit(d.images, {d.digits, d.sizes},
                                     run((test::scratch("two_outputs_ref") / "c").string(), -1));
  const std::string dir = (test::scratch("two_outputs_resume") / "c").string();
  Functional first = fresh();
  CHECK_THROWS_AS(first.fit(d.images, {d.digits, d.sizes}, run(dir, 1)), Interrupted);
  clear_interrupt();
  const auto saved = callbacks::BackupAndRestore::list(dir);
  REQUIRE_FALSE(saved.empty());
  const Checkpoint c = load_checkpoint(saved.back());
  CHECK(c.fit.batch == 2);
  Functional resumed = fresh();
  restore_checkpoint(resumed, c, saved.back());
  FitOptions options = run(dir, -1);
  options.resume = c.fit;
  const History rest = resumed.fit(d.images, {d.digits, d.sizes}, options);
  CHECK(model_file_bytes(resumed) == model_file_bytes(reference));
  CHECK(rest["size_loss"] == full["size_loss"]);
  CHECK(rest["val_digit_accuracy"] == full["val_digit_accuracy"]);
}

TEST_CASE("Keras' dicts by output name in a compile_config go to the model's order of outputs",
          "[functional][several_outputs][keras_json]") {
  set_random_seed(2);
  Functional model = digit_and_size_model();
  compile_digit_and_size(model, {});
  json::Json j = json::parse(to_keras3_json(model), "two");
  const json::Json losses = j["compile_config"]["loss"];
  // As Keras 3 writes compile(loss={...}, metrics={...}, loss_weights={...}): the size output first, digit's metrics
  // only, size's weight only.
  j["compile_config"]["loss"] = json::Json::object({{"size", losses[1]}, {"digit", losses[0]}});
  j["compile_config"]["metrics"] = json::Json::parse(R"({"digit": ["accuracy"]})");
  j["compile_config"]["loss_weights"] = json::Json::parse(R"({"size": 0.5})");
  ModelFile file = any_model_from_json(j.dump(), "two.json");
  REQUIRE(file.functional.has_value());
  const Functional& loaded = *file.functional;
  REQUIRE(loaded.losses().size() == 2);
  CHECK(loaded.losses()[0].kind() == losses::Loss::Kind::SparseCategoricalCrossentropy);
  CHECK(loaded.losses()[1].kind() == losses::Loss::Kind::MeanSquaredError);
  CHECK(loaded.loss_weights() == std::vector<double>{1.0, 0.5});
  CHECK(loaded.output_metric_names() == std::vector<std::vector<std::string>>{{"accuracy"}, {}});
  // A dict without a loss for an output, or naming one the model does not have.
  j["compile_config"]["loss"] = json::Json::object({{"digit", losses[0]}});
  CHECK_THAT(test::error_of([&] { any_model_from_json(j.dump(), "two.json"); }),
             Contains("two.json: compile_config: compile: loss has no entry for output \"size\""));
  j["compile_config"]["loss"] = json::Json::object({{"digit", losses[0]}, {"sizes", losses[1]}});
  CHECK_THAT(test::error_of([&] { any_model_from_json(j.dump(), "two.json"); }),
             Contains("compile: loss names output \"sizes\"; the model's outputs are \"digit\", \"size\""));
}

TEST_CASE("2 ranks train a two-output model to the bits of 1 process, with the same per-output figures",
          "[functional][several_outputs][distributed]") {
  const DigitAndSizeData d = digit_and_size_data(80, 12);
  const FitOptions options{.batch_size = 32, .epochs = 2, .verbose = 0, .validation_split = 0.2, .seed = 5};
  auto fresh = [] {
    Functional model = digit_and_size_model();
    compile_digit_and_size(model, {1.0, 0.5});
    return model;
  };
  set_random_seed(13);
  Functional reference = fresh();
  const History reference_history = reference.fit(d.images, {d.digits, d.sizes}, options);
  std::vector<std::vector<NamedTensor>> weights(2);
  std::vector<History> histories(2);
  auto errors = testing::run_ranks(2, [&](std::shared_ptr<testing::ThreadRank> strategy) {
    Functional model = fresh();
    FitOptions mine = options;
    mine.strategy = strategy;
    const auto rank = static_cast<size_t>(strategy->rank());
    histories[rank] = model.fit(d.images, {d.digits, d.sizes}, mine);
    weights[rank] = model.get_weights();
  });
  set_random_seed(0);
  CHECK(errors == std::vector<std::string>{"", ""});
  CHECK(test::same_bits(weights[0], weights[1]));
  // The same bits as one process, whose two slices of 16 are the ranks' parts (the ranks' threads name their layers
  // from their own counters). A 6x6 convolution sums dW over chunks of 8 samples in both.
  std::vector<NamedTensor> one_process = reference.get_weights();
  for (size_t i = 0; i < one_process.size() && i < weights[0].size(); ++i) one_process[i].name = weights[0][i].name;
  CHECK(test::same_bits(weights[0], one_process));
  for (const char* key : {"loss", "digit_loss", "size_loss", "digit_accuracy", "size_mae", "val_size_loss"}) {
    INFO(key);
    CHECK(histories[0][key] == histories[1][key]);
    for (size_t e = 0; e < 2; ++e) CHECK(histories[0][key][e] == Approx(reference_history[key][e]).epsilon(1e-5));
  }
}
