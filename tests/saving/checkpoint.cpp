// Checkpoints: they hold everything a run needs, a damaged one is refused with the reason, and a run interrupted
// anywhere — mid-epoch or between epochs, once or after every single batch — and resumed ends with the same bytes
// as a run that was never stopped.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/callbacks/backup_and_restore.hpp>
#include <elucid/saving/binary_io.hpp>
#include <elucid/saving/checkpoint.hpp>
#include <elucid/train/interrupt.hpp>
#include <elucid/recipe/recipe.hpp>
#include <elucid/recipe/train_recipe.hpp>

#include "support/recipe_testing.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <sys/stat.h>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;

namespace {
Sequential small_model() {
  set_random_seed(9);
  Sequential model;
  model.add(Conv2D(4, {3, 3}, {.activation = "elu", .input_shape = Shape{12, 12, 1}}));
  model.add(BatchNormalization());
  model.add(MaxPooling2D({2, 2}));
  model.add(Dropout(0.3));
  model.add(Flatten());
  model.add(Dense(10));
  set_random_seed(0);
  model.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  return model;
}

// Asks for an interrupt at the end of one batch, as a signal arriving during that batch would.
class InterruptAt : public Callback {
 public:
  InterruptAt(int epoch, int64_t batch) : epoch_(epoch), batch_(batch) {}
  std::string name() const override { return "InterruptAt"; }
  void on_epoch_begin(int epoch, Logs&) override { current_ = epoch; }
  void on_train_batch_end(int64_t batch, Logs&) override {
    if (current_ == epoch_ && batch == batch_) request_interrupt();
  }

 private:
  int epoch_, current_ = 0;
  int64_t batch_;
};

std::vector<std::shared_ptr<Callback>> run_callbacks(const std::string& dir, int interrupt_epoch, int64_t interrupt_batch) {
  return {std::make_shared<callbacks::EarlyStopping>(callbacks::EarlyStoppingOptions{.monitor = "val_loss", .patience = 3}),
          std::make_shared<callbacks::ReduceLROnPlateau>(callbacks::ReduceLROnPlateauOptions{.patience = 1}),
          std::make_shared<InterruptAt>(interrupt_epoch, interrupt_batch),
          std::make_shared<callbacks::BackupAndRestore>(dir, callbacks::BackupAndRestoreOptions{.save_freq = 2})};
}

FitOptions fit_options(std::vector<std::shared_ptr<Callback>> callbacks) {
  FitOptions o;
  o.batch_size = 8;
  o.epochs = 3;
  o.verbose = 0;
  o.validation_split = 0.2;
  o.seed = 4;
  o.callbacks = std::move(callbacks);
  return o;
}

std::string error_of(const std::string& bytes) {
  try {
    read_checkpoint(bytes, "c.elucid");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for the bytes");
  return "";
}
}  // namespace

TEST_CASE("a checkpoint reads back what was written, and load_model reads its model", "[checkpoint]") {
  test::OneThread one_thread;
  Sequential model = small_model();
  FitState state;
  state.epoch = 2;
  state.batch = 7;
  state.loss_sum = 1.5;
  state.sample_count = 56;
  state.metric_sums = {{40, 56}};
  state.history.append(0, [] { Logs l; l.set("loss", 0.5); l.set("accuracy", 0.75); return l; }());
  state.history.append(1, [] { Logs l; l.set("loss", 0.25); l.set("accuracy", 0.875); return l; }());
  state.callback_states = {{"EarlyStopping", {{"wait", 1}, {"best", 0.25}}}, {"BackupAndRestore", {}}};
  const Checkpoint c = make_checkpoint(model, state, false, "key", {.class_names = {"a"}});
  const std::string bytes = checkpoint_bytes(c);
  CHECK(bytes.substr(0, 8) == "ELUCIDCK");
  CHECK(bytes.substr(8, 4) == std::string("\x02\0\0\0", 4));  // format version 2: no generator states
  const Checkpoint back = read_checkpoint(bytes, "c.elucid");
  CHECK(back.model_file == c.model_file);
  CHECK(back.fit.epoch == 2);
  CHECK(back.fit.batch == 7);
  CHECK(back.fit.loss_sum == 1.5);
  CHECK(back.fit.metric_sums == state.metric_sums);
  CHECK(back.fit.history.epoch == state.history.epoch);
  CHECK(back.fit.history["accuracy"] == std::vector<double>{0.75, 0.875});
  CHECK(back.fit.callback_states == state.callback_states);
  CHECK_FALSE(back.finished);
  CHECK(back.run_key == "key");
  CHECK(checkpoint_bytes(back) == bytes);
  CHECK(read_model_file(bytes, "c.elucid").class_names == std::vector<std::string>{"a"});
}

TEST_CASE("a version 1 checkpoint is still read, its Dropout generator states skipped", "[checkpoint]") {
  test::OneThread one_thread;
  FitState state;
  state.epoch = 1;
  state.batch = 3;
  state.metric_sums = {{5, 8}};
  const Checkpoint c = make_checkpoint(small_model(), state, true, "key");
  const std::string v2 = checkpoint_bytes(c);
  // Version 1's body: version 2's with each Dropout layer's name and 4-word generator state before the finished flag
  // and the run key (its last 1 + 8 + 3 bytes).
  std::string body = v2.substr(binary::kEnvelopeBytes - 4, v2.size() - binary::kEnvelopeBytes);
  binary::Writer generators;
  generators.u64(1);
  generators.str("dropout");
  for (uint64_t word : {1u, 2u, 3u, 4u}) generators.u64(word);
  body.insert(body.size() - (1 + 8 + 3), generators.bytes());
  const std::string v1 = binary::seal("ELUCIDCK", 1, body);

  const Checkpoint back = read_checkpoint(v1, "c1.elucid");
  CHECK(back.model_file == c.model_file);
  CHECK(back.fit.epoch == 1);
  CHECK(back.fit.batch == 3);
  CHECK(back.fit.metric_sums == state.metric_sums);
  CHECK(back.finished);
  CHECK(back.run_key == "key");
  CHECK(checkpoint_bytes(back) == v2);  // written back as version 2
  CHECK(read_model_file(v1, "c1.elucid").model.count_params() == small_model().count_params());
  Sequential model = small_model();
  restore_checkpoint(model, back, "c1.elucid");

  // A newer version is refused in one line naming the file and both versions.
  CHECK_THAT(error_of(binary::seal("ELUCIDCK", 3, body)),
             Contains("c.elucid: checkpoint format version 3 is newer than this elucid reads (up to 2)"));
}

TEST_CASE("a flipped byte in a checkpoint's format version is corruption, not a newer file", "[checkpoint]") {
  test::OneThread one_thread;
  std::string bytes = checkpoint_bytes(make_checkpoint(small_model(), {}, false, ""));
  bytes[10] = static_cast<char>(0xff);  // version 2 (02 00 00 00) becomes 16711682
  const std::string message = error_of(bytes);
  CHECK_THAT(message, Contains("c.elucid: checkpoint corrupted: "));
  CHECK_THAT(message, Contains("format version 16711682"));
  CHECK_THAT(message, Contains("this elucid reads versions 1 to 2"));
  CHECK(message.find("newer") == std::string::npos);
}

TEST_CASE("a damaged checkpoint is an error naming the path", "[checkpoint]") {
  test::OneThread one_thread;
  const std::string bytes = checkpoint_bytes(make_checkpoint(small_model(), {}, false, ""));
  for (size_t length : {size_t(0), size_t(7), size_t(20), bytes.size() / 3, bytes.size() - 1}) {
    CAPTURE(length);
    CHECK_THAT(error_of(bytes.substr(0, length)), Contains("c.elucid: "));
  }
  for (size_t at : {size_t(2), size_t(30), bytes.size() / 2, bytes.size() - 2}) {
    CAPTURE(at);
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 1);
    CHECK_THAT(error_of(bad), Contains("c.elucid: "));
  }
  CHECK_THAT(error_of(model_file_bytes(small_model())), Contains("not an elucid checkpoint"));
}

TEST_CASE("fit interrupted mid-epoch or between epochs and resumed gives the same bits", "[checkpoint]") {
  test::OneThread one_thread;
  auto [x, y] = datasets::synthetic_squares(60, 3, 12);
  auto data = std::make_shared<data::TensorDataset>(x, y);
  Sequential reference = small_model();
  const History full = reference.fit(data, fit_options(run_callbacks((test::scratch("ckpt_ref") / "c").string(), -1, -1)));
  const std::string expected = model_file_bytes(reference);

  // (epoch, batch) of the interrupt: 6 batches per epoch, so batch 5 is an epoch's last.
  for (auto [epoch, batch] : {std::pair{0, 3}, {1, 5}, {2, 0}}) {
    CAPTURE(epoch, batch);
    const std::string dir = (test::scratch("ckpt_fit") / "c").string();
    Sequential first = small_model();
    CHECK_THROWS_AS(first.fit(data, fit_options(run_callbacks(dir, epoch, batch))), Interrupted);
    clear_interrupt();
    const auto saved = callbacks::BackupAndRestore::list(dir);
    REQUIRE_FALSE(saved.empty());
    const Checkpoint c = load_checkpoint(saved.back());
    CHECK(c.fit.epoch == epoch);
    CHECK(c.fit.batch == batch + 1);

    Sequential resumed = small_model();
    restore_checkpoint(resumed, c, saved.back());
    FitOptions options = fit_options(run_callbacks(dir, -1, -1));
    options.resume = c.fit;
    const History rest = resumed.fit(data, options);
    CHECK(model_file_bytes(resumed) == expected);
    CHECK(rest.epoch == full.epoch);
    CHECK(rest["loss"] == full["loss"]);
    CHECK(rest["val_accuracy"] == full["val_accuracy"]);
    CHECK(rest["lr"] == full["lr"]);
  }
}

// The file a checkpoint path names now: its inode, which an atomic rewrite (a new file renamed over it) changes.
ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// Before BackupAndRestore, so its on_train_end runs first: the newest checkpoint and its inode as training ends.
class NewestAtTrainEnd : public Callback {
 public:
  explicit NewestAtTrainEnd(std::string dir) : dir_(std::move(dir)) {}
  std::string name() const override { return "NewestAtTrainEnd"; }
  void on_train_end(Logs&) override {
    path = callbacks::BackupAndRestore::list(dir_).back();
    inode = inode_of(path);
  }
  std::string path;
  ino_t inode = 0;

 private:
  std::string dir_;
};

TEST_CASE("the last epoch's checkpoint is marked finished when written and not written again", "[checkpoint]") {
  test::OneThread one_thread;
  auto [x, y] = datasets::synthetic_squares(60, 3, 12);
  auto data = std::make_shared<data::TensorDataset>(x, y);
  for (const bool stop_early : {false, true}) {
    CAPTURE(stop_early);
    const std::string dir = (test::scratch("ckpt_finished") / "c").string();
    auto newest = std::make_shared<NewestAtTrainEnd>(dir);
    FitOptions options = fit_options({newest, std::make_shared<callbacks::BackupAndRestore>(dir)});
    if (stop_early)  // no loss can fall by 100: stops after the second epoch, the checkpoint of epoch index 2
      options.callbacks.insert(options.callbacks.begin(), std::make_shared<callbacks::EarlyStopping>(
                                                              callbacks::EarlyStoppingOptions{.monitor = "loss", .min_delta = 100, .patience = 1}));
    Sequential model = small_model();
    model.fit(data, options);
    const auto saved = callbacks::BackupAndRestore::list(dir);
    REQUIRE(saved.size() == 2);
    CHECK(saved.back() == newest->path);
    CHECK(inode_of(saved.back()) == newest->inode);  // the end of training rewrote nothing
    const Checkpoint last = load_checkpoint(saved.back());
    CHECK(last.fit.epoch == (stop_early ? 2 : 3));
    CHECK(last.finished);
    CHECK_FALSE(load_checkpoint(saved.front()).finished);
  }
}

TEST_CASE("a recipe run interrupted after every batch and resumed each time ends with the same bytes", "[checkpoint]") {
  test::OneThread one_thread;
  auto dir = test::scratch("ckpt_recipe");
  test::write_tiny_idx(dir, 48);
  test::write_text(dir / "r.json", test::tiny_recipe(2, R"(, "output": {"checkpoint_every": 2})"));
  std::ostringstream out;
  Recipe recipe = load_recipe((dir / "r.json").string());
  {
    Sequential model = build_model(recipe);
    train_recipe(recipe, model, {.resume = false, .out = &out});
  }
  const std::string expected_model = test::read_text(dir / "r.elucid");
  const std::string expected_history = test::read_text(dir / "r.history.csv");
  std::filesystem::remove_all(dir / "r.checkpoints");
  std::filesystem::remove(dir / "r.elucid");

  // 36 training samples in batches of 16: 3 batches per epoch. Each run takes one batch and is interrupted, or,
  // resumed after an epoch's last batch, ends that epoch (validation, callbacks) and is interrupted: 4 runs an epoch.
  int interrupted = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    request_interrupt();
    Sequential model = build_model(recipe);
    try {
      train_recipe(recipe, model, {.resume = true, .out = &out});
      break;
    } catch (const Interrupted& e) {
      ++interrupted;
      CHECK(std::filesystem::exists(e.checkpoint()));
    }
  }
  clear_interrupt();
  CHECK(interrupted == 8);
  CHECK(test::read_text(dir / "r.elucid") == expected_model);
  CHECK(test::read_text(dir / "r.history.csv") == expected_history);
  CHECK(callbacks::BackupAndRestore::list((dir / "r.checkpoints").string()).size() == 2);  // the newest two are kept
  CHECK(load_checkpoint(callbacks::BackupAndRestore::list((dir / "r.checkpoints").string()).back()).finished);
}

TEST_CASE("resuming checks the settings, starts afresh without a checkpoint, and skips a damaged one", "[checkpoint]") {
  test::OneThread one_thread;
  auto dir = test::scratch("ckpt_resume_cases");
  test::write_tiny_idx(dir, 48);
  test::write_text(dir / "r.json", test::tiny_recipe(2));
  std::ostringstream out;
  Recipe recipe = load_recipe((dir / "r.json").string());
  {
    Sequential model = build_model(recipe);
    train_recipe(recipe, model, {.resume = true, .out = &out});
  }
  CHECK_THAT(out.str(), Contains("No checkpoint in"));
  const std::string expected = test::read_text(dir / "r.elucid");

  // A changed batch size would not give the same numbers: refused.
  std::string text = test::tiny_recipe(2);
  text.replace(text.find("\"batch_size\": 16"), 16, "\"batch_size\": 8");
  test::write_text(dir / "r.json", text);
  Recipe changed = load_recipe((dir / "r.json").string());
  Sequential other = build_model(changed);
  CHECK_THROWS_WITH(train_recipe(changed, other, {.resume = true, .out = &out}), Contains("other settings"));

  // The newest checkpoint damaged: the one before it is used, with a warning.
  test::write_text(dir / "r.json", test::tiny_recipe(2));
  const auto saved = callbacks::BackupAndRestore::list((dir / "r.checkpoints").string());
  REQUIRE(saved.size() == 2);
  std::string bytes = test::read_text(saved.back());
  bytes[bytes.size() / 2] ^= 4;
  test::write_text(saved.back(), bytes);
  out.str("");
  Sequential model = build_model(recipe);
  train_recipe(recipe, model, {.resume = true, .out = &out});
  CHECK_THAT(out.str(), Contains("skipping a checkpoint that does not load"));
  CHECK(test::read_text(dir / "r.elucid") == expected);
}
