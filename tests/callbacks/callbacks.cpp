// Callbacks: each one driven through fit() on tiny models, with the Keras rule it follows worked out by hand.
#include <elucid/elucid.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace elucid;
using namespace elucid::layers;
using namespace elucid::callbacks;

namespace {
// Feeds fit() a scripted sequence of epoch figures: it overwrites "val_loss" with the next value each epoch.
class Script : public Callback {
 public:
  explicit Script(std::vector<double> values) : values_(std::move(values)) {}
  std::string name() const override { return "Script"; }
  void check_figures(RunFigures& figures) override { figures.epoch.push_back("val_loss"); }
  void on_epoch_end(int epoch, Logs& logs) override { logs.set("val_loss", values_.at(static_cast<size_t>(epoch))); }
  std::vector<double> values_;
};

// Records every hook in order.
class Recorder : public Callback {
 public:
  std::string name() const override { return "Recorder"; }
  void on_train_begin(Logs&) override { calls.push_back("train_begin"); }
  void on_train_end(Logs&) override { calls.push_back("train_end"); }
  void on_epoch_begin(int e, Logs&) override { calls.push_back("epoch_begin " + std::to_string(e)); }
  void on_epoch_end(int e, Logs& logs) override {
    calls.push_back("epoch_end " + std::to_string(e) + " " + logs.keys_string());
  }
  void on_train_batch_begin(int64_t b, Logs&) override { calls.push_back("batch_begin " + std::to_string(b)); }
  void on_train_batch_end(int64_t b, Logs&) override { calls.push_back("batch_end " + std::to_string(b)); }
  std::vector<std::string> calls;
};

Sequential tiny_model(float learning_rate = 0.1f) {
  Sequential model;
  model.add(Dense(2, {.input_shape = Shape{3}}));
  model.compile(optimizers::SGD({.learning_rate = learning_rate}),
                losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  return model;
}

Tensor xs() { return Tensor({4, 3}, std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}); }
Tensor ys() { return Tensor({4}, std::vector<float>{0, 1, 0, 1}); }
}  // namespace

TEST_CASE("callbacks are called in Keras' order with the epoch's figures", "[callbacks]") {
  Sequential model = tiny_model();
  auto rec = std::make_shared<Recorder>();
  model.fit(xs(), ys(), {.batch_size = 3, .epochs = 2, .verbose = 0, .validation_split = 0.25, .callbacks = {rec}});
  const std::vector<std::string> expected{"train_begin", "epoch_begin 0", "batch_begin 0", "batch_end 0",
                                          "epoch_end 0 loss, accuracy, val_loss, val_accuracy",
                                          "epoch_begin 1", "batch_begin 0", "batch_end 0",
                                          "epoch_end 1 loss, accuracy, val_loss, val_accuracy", "train_end"};
  CHECK(rec->calls == expected);
}

TEST_CASE("EarlyStopping waits `patience` epochs without improvement", "[callbacks]") {
  Sequential model = tiny_model();
  // val_loss: 1.0, 0.8 (best, epoch 1), 0.85, 0.9 -> with patience 2 it stops at the end of epoch 3.
  auto script = std::make_shared<Script>(std::vector<double>{1.0, 0.8, 0.85, 0.9, 0.7, 0.6});
  auto stop = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2});
  History h = model.fit(xs(), ys(), {.epochs = 6, .verbose = 0, .callbacks = {script, stop}});
  CHECK(h.epoch.size() == 4);
  CHECK(stop->stopped_epoch() == 3);
  CHECK(stop->best_epoch() == 1);
  CHECK(stop->best() == 0.8);
}

TEST_CASE("EarlyStopping: min_delta, mode max, baseline, restore_best_weights", "[callbacks]") {
  SECTION("an improvement smaller than min_delta does not count") {
    Sequential model = tiny_model();
    auto script = std::make_shared<Script>(std::vector<double>{1.0, 0.95, 0.92, 0.5});
    auto stop = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.min_delta = 0.1, .patience = 2});
    History h = model.fit(xs(), ys(), {.epochs = 4, .verbose = 0, .callbacks = {script, stop}});
    CHECK(h.epoch.size() == 3);
  }
  SECTION("accuracy is maximised in auto mode") {
    Sequential model = tiny_model();
    auto stop = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "accuracy", .baseline = 2.0});
    History h = model.fit(xs(), ys(), {.epochs = 5, .verbose = 0, .callbacks = {stop}});
    CHECK(h.epoch.size() == 2);  // accuracy can never beat a baseline of 2: it stops as soon as epoch > 0
  }
  SECTION("restore_best_weights brings back the best epoch's weights") {
    Sequential model = tiny_model();
    std::vector<NamedTensor> at_best;
    struct Snapshot : Callback {
      std::vector<NamedTensor>* out;
      std::string name() const override { return "Snapshot"; }
      void on_epoch_end(int epoch, Logs&) override {
        if (epoch == 1) *out = model->get_weights();
      }
    };
    auto snap = std::make_shared<Snapshot>();
    snap->out = &at_best;
    auto script = std::make_shared<Script>(std::vector<double>{1.0, 0.5, 0.9, 0.9, 0.9});
    auto stop = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
    model.fit(xs(), ys(), {.epochs = 5, .verbose = 0, .callbacks = {script, snap, stop}});
    REQUIRE(at_best.size() == 2);
    CHECK(model.weights()[0].tensor.values()[0] == at_best[0].tensor.values()[0]);
    CHECK(model.weights()[1].tensor.values()[1] == at_best[1].tensor.values()[1]);
  }
  SECTION("a monitor that is not logged is an error naming the figures there are, before training") {
    Sequential model = tiny_model();
    auto stop = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "val_acc"});
    CHECK_THROWS_WITH(model.fit(xs(), ys(), {.epochs = 2, .verbose = 0, .callbacks = {stop}}),
                      "EarlyStopping: monitor \"val_acc\" is not a figure of this run, which logs loss, accuracy (val_ "
                      "figures need validation data: validation_split or validation_data)");
    CHECK_THROWS_WITH(EarlyStopping({.mode = "up"}), "EarlyStopping: mode must be \"auto\", \"min\" or \"max\", got \"up\"");
  }
}

TEST_CASE("ReduceLROnPlateau cuts the rate after patience, then cools down", "[callbacks]") {
  Sequential model = tiny_model(0.1f);
  // val_loss never improves after epoch 0. Patience 1: reduce at epoch 1; cooldown 2 spends epochs 2 and 3
  // counting down (Keras' rule: the count reaches 0 within epoch 3, which may then reduce again); min_lr 0.03 caps it.
  auto script = std::make_shared<Script>(std::vector<double>{1.0, 1.0, 1.0, 1.0, 1.0});
  auto plateau = std::make_shared<ReduceLROnPlateau>(
      ReduceLROnPlateauOptions{.factor = 0.5, .patience = 1, .cooldown = 2, .min_lr = 0.03});
  History h = model.fit(xs(), ys(), {.epochs = 5, .verbose = 0, .callbacks = {script, plateau}});
  // "lr" is logged before that epoch's reduction, as Keras does.
  const std::vector<double> lr = h["lr"];
  REQUIRE(lr.size() == 5);
  CHECK(lr[0] == Approx(0.1));
  CHECK(lr[1] == Approx(0.1));
  CHECK(lr[2] == Approx(0.05));
  CHECK(lr[3] == Approx(0.05));
  CHECK(lr[4] == Approx(0.03));  // max(0.025, min_lr)
  CHECK(model.optimizer().learning_rate() == Approx(0.03));
  CHECK_THROWS_WITH(ReduceLROnPlateau({.factor = 1.0}), "ReduceLROnPlateau: factor must be in [0, 1), got 1.000000");
}

TEST_CASE("LearningRateScheduler sets the rate each epoch", "[callbacks]") {
  Sequential model = tiny_model(0.1f);
  auto sched = std::make_shared<LearningRateScheduler>([](int epoch, double lr) { return epoch < 1 ? lr : lr / 10; });
  History h = model.fit(xs(), ys(), {.epochs = 3, .verbose = 0, .callbacks = {sched}});
  CHECK(h["lr"][0] == Approx(0.1));
  CHECK(h["lr"][1] == Approx(0.01));
  CHECK(h["lr"][2] == Approx(0.001));
  auto bad = std::make_shared<LearningRateScheduler>([](int, double) { return -1.0; });
  CHECK_THROWS_WITH(model.fit(xs(), ys(), {.epochs = 1, .verbose = 0, .callbacks = {bad}}),
                    "LearningRateScheduler: the schedule gave learning rate -1.000000 for epoch 1");
}

TEST_CASE("CSVLogger writes epoch and sorted figures, and appends", "[callbacks]") {
  const std::string path = std::string(ELUCID_BINARY_DIR) + "/test_csv_logger.csv";
  std::remove(path.c_str());
  {
    Sequential model = tiny_model();
    model.fit(xs(), ys(), {.epochs = 2, .verbose = 0, .callbacks = {std::make_shared<CSVLogger>(path)}});
    model.fit(xs(), ys(), {.epochs = 3, .verbose = 0, .initial_epoch = 2,
                           .callbacks = {std::make_shared<CSVLogger>(path, CSVLoggerOptions{.append = true})}});
  }
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "epoch,accuracy,loss");
  CHECK(lines[1].rfind("0,", 0) == 0);
  CHECK(lines[3].rfind("2,", 0) == 0);
  CHECK(std::count(lines[2].begin(), lines[2].end(), ',') == 2);
  Sequential model = tiny_model();
  // A missing folder is made; one under a file cannot be.
  const std::string deep = "csv_logger_test_folder/deeper/log.csv";
  model.fit(xs(), ys(), {.epochs = 1, .verbose = 0, .callbacks = {std::make_shared<CSVLogger>(deep)}});
  CHECK(std::ifstream(deep).good());
  std::filesystem::remove_all("csv_logger_test_folder");
  { std::ofstream("csv_logger_test_file") << "x"; }
  auto unwritable = std::make_shared<CSVLogger>("csv_logger_test_file/log.csv");
  CHECK_THROWS_WITH(model.fit(xs(), ys(), {.epochs = 1, .verbose = 0, .callbacks = {unwritable}}),
                    Catch::StartsWith("CSVLogger: csv_logger_test_file/log.csv: cannot make the folder csv_logger_test_file"));
  std::remove("csv_logger_test_file");
}

TEST_CASE("TerminateOnNaN stops at the first non-finite loss, naming epoch and batch", "[callbacks]") {
  Sequential model = tiny_model(1e30f);  // a rate that blows the weights up
  std::ostringstream err;
  auto guard = std::make_shared<TerminateOnNaN>(err);
  Tensor x({8, 3}, 1e10f), y({8}, std::vector<float>{0, 1, 0, 1, 0, 1, 0, 1});
  History h = model.fit(x, y, {.batch_size = 2, .epochs = 5, .verbose = 0, .callbacks = {guard}});
  CHECK(guard->terminated());
  CHECK(h.epoch.size() == 1);
  CHECK_THAT(guard->message(), Catch::Matches("epoch 1, batch [0-9]+: invalid loss (nan|inf), terminating training"));
  CHECK(err.str().find(guard->message()) != std::string::npos);
}

TEST_CASE("a figure the run never logs is an error before training, and acc and val_acc name accuracy", "[callbacks][errors]") {
  using Catch::Matchers::Contains;
  Sequential model = tiny_model();
  const auto before = model.get_weights();
  const auto fit = [&](std::shared_ptr<Callback> callback, double validation_split) {
    return model.fit(xs(), ys(), {.batch_size = 2, .epochs = 2, .verbose = 0, .validation_split = validation_split,
                                  .callbacks = {std::move(callback)}});
  };
  CHECK_THROWS_WITH(fit(std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "val_acuracy"}), 0.25),
                    "EarlyStopping: monitor \"val_acuracy\" is not a figure of this run, which logs loss, accuracy, "
                    "val_loss, val_accuracy");
  CHECK_THROWS_WITH(fit(std::make_shared<ReduceLROnPlateau>(ReduceLROnPlateauOptions{}), 0.0),
                    "ReduceLROnPlateau: monitor \"val_loss\" is not a figure of this run, which logs loss, accuracy "
                    "(val_ figures need validation data: validation_split or validation_data)");
  const std::string path = "callbacks_figures_test-{val_los:.2f}.elucid";
  CHECK_THROWS_WITH(fit(std::make_shared<ModelCheckpoint>(path), 0.25),
                    Contains("ModelCheckpoint: file path \"" + path + "\": field \"val_los\" is not a figure"));
  // With save_freq the file path is filled from a batch's figures, which have no val_ ones.
  CHECK_THROWS_WITH(fit(std::make_shared<ModelCheckpoint>("m-{val_loss}.elucid", ModelCheckpointOptions{.save_freq = 1}),
                        0.25),
                    Contains("field \"val_loss\" is not a figure of this run, which logs loss, accuracy"));
  const auto after = model.get_weights();
  for (size_t i = 0; i < before.size(); ++i)  // nothing was trained
    CHECK(std::equal(before[i].tensor.data(), before[i].tensor.data() + before[i].tensor.size(), after[i].tensor.data()));

  // Keras's older names of accuracy are taken for the run's: monitors and file-path fields alike.
  auto old_name = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "val_acc", .patience = 5});
  CHECK(fit(old_name, 0.25).epoch.size() == 2);
  auto lr = std::make_shared<ReduceLROnPlateau>(ReduceLROnPlateauOptions{.monitor = "acc"});
  const std::string file = "callbacks_figures_test-{epoch}-{val_acc:.2f}.elucid";
  auto checkpoint = std::make_shared<ModelCheckpoint>(file, ModelCheckpointOptions{.monitor = "val_acc", .save_best_only = true});
  History h = model.fit(xs(), ys(), {.batch_size = 2, .epochs = 1, .verbose = 0, .validation_split = 0.25,
                                     .callbacks = {lr, checkpoint}});
  REQUIRE(!checkpoint->last_saved().empty());
  CHECK(checkpoint->last_saved().rfind("callbacks_figures_test-1-", 0) == 0);
  std::remove(checkpoint->last_saved().c_str());
}

TEST_CASE("ModelCheckpoint and BackupAndRestore files and model.save keep the class names of the data fit trained on", "[callbacks]") {
  // Class names come with the data (an image folder's subfolders, a recipe's class_names): no callback is told them.
  const std::vector<std::string> names = {"cat", "dog"};
  auto data = std::make_shared<data::TensorDataset>(xs(), ys(), names);
  const std::string file = "callbacks_class_names_test.elucid", dir = "callbacks_class_names_test.checkpoints";
  std::filesystem::remove_all(dir);
  Sequential model = tiny_model();
  auto checkpoint = std::make_shared<ModelCheckpoint>(file);
  auto backup = std::make_shared<BackupAndRestore>(dir);
  model.fit(data, {.batch_size = 2, .epochs = 2, .verbose = 0, .callbacks = {checkpoint, backup}});
  CHECK(load_model_file(file).class_names == names);               // `elucid predict` names the classes
  CHECK(load_model_file(backup->last_path()).class_names == names);  // the model inside the checkpoint
  model.save(file);
  CHECK(load_model_file(file).class_names == names);
  std::remove(file.c_str());
  std::filesystem::remove_all(dir);
}

TEST_CASE("ModelCheckpoint writes Keras files when the path ends in .keras, .weights.h5 or .h5", "[callbacks]") {
  Sequential model = tiny_model();
  const std::vector<std::string> paths = {"callbacks_keras_test.keras", "callbacks_keras_test.weights.h5",
                                          "callbacks_keras_test.h5"};
  std::vector<std::shared_ptr<Callback>> checkpoints;
  for (const auto& path : paths) checkpoints.push_back(std::make_shared<ModelCheckpoint>(path));
  model.fit(xs(), ys(), {.epochs = 1, .verbose = 0, .callbacks = checkpoints});
  CHECK(test::same_bits(load_keras(paths[0]).model.get_weights(), model.get_weights()));
  CHECK(load_keras(paths[0]).has_optimizer_state);
  Sequential other = tiny_model();
  load_weights(other, paths[1]);
  CHECK(test::same_bits(other.get_weights(), model.get_weights()));
  CHECK(test::same_bits(load_keras_h5(paths[2]).model.get_weights(), model.get_weights()));
  for (const auto& path : paths) std::remove(path.c_str());
}

TEST_CASE("ModelCheckpoint and ReduceLROnPlateau print their figures as Keras does, 5 decimals", "[callbacks][text]") {
  // Keras: f"{monitor} improved from {best:.5f} to {current:.5f}", not the full double.
  Sequential model = tiny_model();
  const std::string path = "callbacks_print_test.elucid";
  auto script = std::make_shared<Script>(std::vector<double>{0.34567891234, 0.5, 0.123456789});
  auto checkpoint = std::make_shared<ModelCheckpoint>(path, ModelCheckpointOptions{.verbose = 1, .save_best_only = true});
  auto plateau = std::make_shared<ReduceLROnPlateau>(
      ReduceLROnPlateauOptions{.factor = 0.5, .patience = 1, .verbose = 1});
  std::ostringstream printed;
  std::streambuf* const old = std::cout.rdbuf(printed.rdbuf());
  try {
    model.fit(xs(), ys(), {.epochs = 3, .verbose = 0, .callbacks = {script, checkpoint, plateau}});
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  const std::string text = printed.str();
  CHECK_THAT(text, Catch::Contains("Epoch 1: val_loss improved from inf to 0.34568, saving model to " + path));
  CHECK_THAT(text, Catch::Contains("Epoch 2: val_loss did not improve from 0.34568\n"));
  CHECK_THAT(text, Catch::Contains("Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05.\n"));
  CHECK_THAT(text, Catch::Contains("Epoch 3: val_loss improved from 0.34568 to 0.12346, saving model to"));
  std::remove(path.c_str());
}
