// The `elucid` command end to end: each subcommand on tiny files, Ctrl-C and SIGTERM, and every bad input of the
// issue — each exits with its documented status and one line "elucid: <file>: <problem>", and leaves the files
// already on disk as they were.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/callbacks/backup_and_restore.hpp>
#include <elucid/saving/checkpoint.hpp>
#include <elucid/saving/json.hpp>

#include "support/recipe_testing.hpp"
#include "support/same_bits.hpp"

#include <stb/stb_image_write.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

using namespace elucid;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {
// One line on stderr, beginning "elucid: ".
bool one_error_line(const test::Run& r) {
  return r.err.rfind("elucid: ", 0) == 0 && r.err.find('\n') == r.err.size() - 1;
}

// A folder made immutable with chattr +i, which stops root too (tests run as root, for whom permission bits mean
// nothing). `made` is false where chattr cannot do it (no CAP_LINUX_IMMUTABLE, a file system without the flag).
// The flag is cleared when the test ends, so that the scratch folder can be removed.
struct ImmutableFolder {
  fs::path path;
  bool made = false;
  explicit ImmutableFolder(fs::path p) : path(std::move(p)) {
    fs::create_directories(path);
    made = std::system(("chattr +i '" + path.string() + "' 2> /dev/null").c_str()) == 0;
  }
  ~ImmutableFolder() {
    if (made && std::system(("chattr -i '" + path.string() + "'").c_str()) != 0) std::fprintf(stderr, "chattr -i failed\n");
  }
  ImmutableFolder(const ImmutableFolder&) = delete;
  ImmutableFolder& operator=(const ImmutableFolder&) = delete;
};

// A tiny set and recipe in a fresh folder.
fs::path tiny_folder(const std::string& name, int epochs = 2, const std::string& extra = "") {
  auto dir = test::scratch(name);
  test::write_tiny_idx(dir);
  test::write_text(dir / "tiny.json", test::tiny_recipe(epochs, extra));
  return dir;
}

// `elucid ARGS...` started in the background, its output in dir/.stdout and dir/.stderr.
pid_t spawn_elucid(const fs::path& dir, std::vector<std::string> args) {
  const std::string program = std::string(ELUCID_BINARY_DIR) + "/elucid";
  const std::string out = (dir / ".stdout").string(), err = (dir / ".stderr").string();
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(99);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(98);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int raw = 0;
  waitpid(pid, &raw, 0);
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

// Waits (at most 60 s) until `path` exists: the run is past that point.
bool wait_for_file(const fs::path& path) {
  for (int i = 0; i < 60000; ++i) {
    std::error_code ec;
    if (fs::exists(path, ec)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// A 12x12 grey PNG with a bright square in corner `c`, like the tiny set's class c.
void write_png(const fs::path& path, int c) {
  std::vector<uint8_t> pixels(144, 10);
  for (int r = (c / 2) * 6; r < (c / 2) * 6 + 5; ++r)
    for (int k = (c % 2) * 6; k < (c % 2) * 6 + 5; ++k) pixels[static_cast<size_t>(r * 12 + k)] = 230;
  REQUIRE(stbi_write_png(path.c_str(), 12, 12, 1, pixels.data(), 12) != 0);
}
}  // namespace

TEST_CASE("elucid without a command, with an unknown one, and --help on each", "[cli]") {
  auto dir = test::scratch("cli_usage");
  test::Run r = test::run_elucid(dir, "");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: no command given; see 'elucid --help'\n");
  r = test::run_elucid(dir, "trian x.json");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: unknown command \"trian\"; see 'elucid --help'\n");
  r = test::run_elucid(dir, "--help");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("train RECIPE"));
  for (const char* command : {"train", "evaluate", "predict", "summary", "export"}) {
    CAPTURE(command);
    r = test::run_elucid(dir, std::string(command) + " --help");
    CHECK(r.status == 0);
    CHECK_THAT(r.out, StartsWith(std::string("usage: elucid ") + command));
  }
  r = test::run_elucid(dir, "train a.json --fast");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: train: unknown option --fast; see 'elucid train --help'\n");
  r = test::run_elucid(dir, "evaluate m.elucid");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--data SOURCE is required"));
}

TEST_CASE("elucid summary prints the seed model's Keras summary", "[cli]") {
  // examples/recipes/seed_model.json is the seed model as tf.keras 2.x model.to_json() writes it.
  // tests/fixtures/seed_model.tf2.summary.txt is tf.keras 2.x's model.summary() of it, line for line (each line padded
  // to 65 characters, "max_pooling2d_1 (MaxPooling2D)" cut at its column as Keras cuts it).
  const std::string expected =
      test::read_text(std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/seed_model.tf2.summary.txt") + "Not compiled.\n";
  auto dir = test::scratch("cli_summary");
  test::Run r = test::run_elucid(dir, std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json");
  CHECK(r.status == 2);  // no command: the path is not one
  r = test::run_elucid(dir, "summary " + std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json");
  CHECK(r.status == 0);
  CHECK(r.out == expected);
  CHECK(r.err.empty());
  // Keras 3's JSON of the same model gives the same summary, and its compile_config.
  r = test::run_elucid(dir, "summary " + std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/seed_model.keras3.json");
  CHECK(r.status == 0);
  CHECK(r.out.substr(0, expected.size() - 14) == expected.substr(0, expected.size() - 14));
  CHECK_THAT(r.out, Contains("Optimizer: Adam, learning_rate 0.001"));
  CHECK_THAT(r.out, Contains("Loss: sparse_categorical_crossentropy (from logits)\nMetrics: accuracy\n"));

  // Keras JSON is told from a recipe by its top-level class_name, whatever its layers are called.
  std::string named = test::read_text(std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json");
  named.replace(named.find("\"name\": \"dense_1\""), 17, "\"name\": \"model\"");
  test::write_text(dir / "named.json", named);
  r = test::run_elucid(dir, "summary named.json");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("\nmodel (Dense)                (None, 10)                650       \n"));

  auto tiny = tiny_folder("cli_summary_recipe");
  r = test::run_elucid(tiny, "summary tiny.json");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Total params: 444"));
  CHECK_THAT(r.out, Contains("Data: IDX files"));
  CHECK_THAT(r.out, Contains("(found)"));
  CHECK_FALSE(fs::exists(tiny / "tiny.elucid"));  // a dry run
  CHECK_FALSE(fs::exists(tiny / "tiny.checkpoints"));
  // The dry run checks the data source: a missing file is the same error as for train.
  fs::remove(tiny / "train-labels.idx");
  r = test::run_elucid(tiny, "summary tiny.json");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: tiny.json: train-labels.idx: no such file\n");
}

TEST_CASE("elucid train, then evaluate, predict, summary and export its model", "[cli]") {
  auto dir = tiny_folder("cli_train");
  test::Run r = test::run_elucid(dir, "train tiny.json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Contains("Wrote tiny.elucid"));
  CHECK_THAT(r.out, Contains("Checkpoint: tiny.checkpoints/checkpoint-e0002-b000000.elucid"));
  CHECK(fs::exists(dir / "tiny.history.csv"));

  r = test::run_elucid(dir, "evaluate tiny.elucid --images test-images.idx --labels test-labels.idx");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("samples: 24\nloss: "));
  CHECK_THAT(r.out, Contains("accuracy: "));
  r = test::run_elucid(dir, "evaluate tiny.elucid --data tiny.json --batch-size 5");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("samples: 24"));
  // Data that is not there, or does not fit the model: a usage mistake, 2, and nothing written.
  test::write_tiny_mnist(dir / "digits", 10, 10);
  const auto before = test::snapshot(dir);
  r = test::run_elucid(dir, "evaluate tiny.elucid --images nope.idx --labels test-labels.idx");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: nope.idx: no such file or folder\n");
  r = test::run_elucid(dir, "evaluate tiny.elucid --data digits");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: digits: holds samples of shape (28, 28, 1); the model tiny.elucid takes (12, 12, 1)\n");
  CHECK(test::snapshot(dir) == before);

  write_png(dir / "corner3.png", 3);
  write_png(dir / "corner0.png", 0);
  r = test::run_elucid(dir, "predict tiny.elucid corner3.png corner0.png --top 2");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("corner3.png: bottom right "));
  CHECK_THAT(r.out, Contains("corner0.png: top left "));
  test::write_text(dir / "not_an_image.png", "hello");
  r = test::run_elucid(dir, "predict tiny.elucid not_an_image.png corner3.png");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, StartsWith("elucid: not_an_image.png: not a readable image"));
  CHECK_THAT(r.out, Contains("corner3.png: bottom right"));  // the good image still gets its answer
  // A folder stands for its images, sorted by name (other files ignored); every readable image is predicted, each
  // bad one (or a folder without images) gets one error line, and the exit status is 1 when any failed.
  fs::create_directories(dir / "pictures");
  fs::create_directories(dir / "empty");
  write_png(dir / "pictures" / "b.png", 0);
  write_png(dir / "pictures" / "a.png", 3);
  test::write_text(dir / "pictures" / "0_broken.png", "not a png");
  test::write_text(dir / "pictures" / "notes.txt", "ignored");
  r = test::run_elucid(dir, "predict tiny.elucid pictures empty corner0.png --top 1");
  CHECK(r.status == 1);
  CHECK_THAT(r.out, StartsWith("pictures/a.png: bottom right "));
  CHECK(r.out.find("pictures/a.png") < r.out.find("pictures/b.png: top left "));
  CHECK_THAT(r.out, Contains("\ncorner0.png: top left "));
  CHECK(r.out.find("notes.txt") == std::string::npos);
  CHECK_THAT(r.err, Contains("elucid: pictures/0_broken.png: not a readable image"));
  CHECK_THAT(r.err, Contains("elucid: empty: the folder holds no image"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
  r = test::run_elucid(dir, "predict tiny.elucid pictures/a.png");
  CHECK(r.status == 0);

  r = test::run_elucid(dir, "summary tiny.elucid");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Optimizer: Adam"));
  CHECK_THAT(r.out, Contains("Classes: top left, top right, bottom left, bottom right"));

  r = test::run_elucid(dir, "export tiny.elucid --keras-json tiny.keras.json");
  CHECK(r.status == 0);
  CHECK(test::read_text(dir / "tiny.keras.json") == load_model((dir / "tiny.elucid").string()).to_json());
  r = test::run_elucid(dir, "summary tiny.keras.json");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Total params: 444"));
}

TEST_CASE("elucid export --format tfjs writes a folder that predict, evaluate, summary and export read", "[cli]") {
  auto dir = tiny_folder("cli_tfjs");
  test::Run r = test::run_elucid(dir, "train tiny.json");
  REQUIRE(r.status == 0);
  r = test::run_elucid(dir, "export tiny.elucid tiny_tfjs --format tfjs");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "Wrote tiny_tfjs\n");
  CHECK(is_tfjs_model((dir / "tiny_tfjs").string()));
  CHECK(fs::file_size(dir / "tiny_tfjs" / "group1-shard1of1.bin") == 4 * 444);

  // The folder, or its model.json, is a MODEL: the same answers as the model file.
  write_png(dir / "corner3.png", 3);
  write_png(dir / "corner0.png", 0);
  const test::Run from_file = test::run_elucid(dir, "predict tiny.elucid corner3.png corner0.png --top 4");
  for (const char* model : {"tiny_tfjs", "tiny_tfjs/model.json"}) {
    r = test::run_elucid(dir, std::string("predict ") + model + " corner3.png corner0.png --top 4");
    CHECK(r.status == 0);
    CHECK(r.out == from_file.out);
  }
  const std::string data = " --images test-images.idx --labels test-labels.idx";
  r = test::run_elucid(dir, "evaluate tiny_tfjs" + data);
  CHECK(r.status == 0);
  CHECK(r.out == test::run_elucid(dir, "evaluate tiny.elucid" + data).out);
  r = test::run_elucid(dir, "summary tiny_tfjs/model.json");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Total params: 444") && Contains("Optimizer: Adam") &&
                        Contains("Classes: top left, top right, bottom left, bottom right"));
  r = test::run_elucid(dir, "export tiny_tfjs back.elucid --format elucid");
  CHECK(r.status == 0);
  CHECK(test::run_elucid(dir, "predict back.elucid corner3.png corner0.png --top 4").out == from_file.out);
  r = test::run_elucid(dir, "export tiny_tfjs tiny.keras.json --format keras-json");
  CHECK(r.status == 0);
  CHECK(test::read_text(dir / "tiny.keras.json") == load_model((dir / "tiny.elucid").string()).to_json());

  // Usage mistakes: 2, nothing written.
  const auto before = test::snapshot(dir);
  r = test::run_elucid(dir, "export tiny.elucid out --format caffe");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("unknown format \"caffe\""));
  r = test::run_elucid(dir, "export tiny.elucid out");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--format keras-json|tfjs|onnx|elucid|keras|h5|weights-h5 is required"));
  r = test::run_elucid(dir, "export tiny.elucid tiny.json --format tfjs");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: tiny.json: is a file, not a folder\n");
  CHECK(test::snapshot(dir) == before);

  // ONNX: from the .onnx name or --format onnx, the same bytes as export_onnx writes, from the file or the folder.
  const std::string onnx = onnx_model_bytes(load_model((dir / "tiny.elucid").string()));
  r = test::run_elucid(dir, "export tiny.elucid tiny.onnx");
  CHECK(r.status == 0);
  CHECK(r.out == "Wrote tiny.onnx\n");
  CHECK(test::read_text(dir / "tiny.onnx") == onnx);
  r = test::run_elucid(dir, "export tiny_tfjs tiny_graph --format onnx");
  CHECK(r.status == 0);
  CHECK(test::read_text(dir / "tiny_graph") == onnx);

  // A damaged folder: 1, one line naming the shard and the weight.
  fs::remove(dir / "tiny_tfjs" / "group1-shard1of1.bin");
  r = test::run_elucid(dir, "predict tiny_tfjs corner3.png");
  CHECK(r.status == 1);
  CHECK(one_error_line(r));
  CHECK_THAT(r.err, Contains("tiny_tfjs/group1-shard1of1.bin: no such file") && Contains("\"conv2d/kernel\""));
}

TEST_CASE("elucid export writes .h5, .keras and .weights.h5, and predict, evaluate, summary read the first two",
          "[cli]") {
  auto dir = tiny_folder("cli_keras_files");
  test::Run r = test::run_elucid(dir, "train tiny.json");
  REQUIRE(r.status == 0);
  write_png(dir / "corner3.png", 3);
  const test::Run from_file = test::run_elucid(dir, "predict tiny.elucid corner3.png --top 4");
  const std::string data = " --images test-images.idx --labels test-labels.idx";
  const std::string evaluated = test::run_elucid(dir, "evaluate tiny.elucid" + data).out;
  for (const char* out : {"tiny.h5", "tiny.keras"}) {
    r = test::run_elucid(dir, std::string("export tiny.elucid ") + out);
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out == std::string("Wrote ") + out + "\n");
    r = test::run_elucid(dir, std::string("predict ") + out + " corner3.png --top 4");
    CHECK(r.status == 0);
    // Class names are elucid's own: Keras files do not carry them, so the classes are numbered.
    CHECK(r.out.size() > 0);
    r = test::run_elucid(dir, std::string("evaluate ") + out + data);
    CHECK(r.status == 0);
    CHECK(r.out == evaluated);
    r = test::run_elucid(dir, std::string("summary ") + out);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("Total params: 444") && Contains("Optimizer: Adam"));
  }
  r = test::run_elucid(dir, "export tiny.h5 tiny.weights.h5");
  CHECK(r.status == 0);
  r = test::run_elucid(dir, "export tiny.keras legacy.h5 --format weights-h5");
  CHECK(r.status == 0);
  Sequential model = load_model((dir / "tiny.elucid").string());
  for (const char* weights : {"tiny.weights.h5", "legacy.h5"}) {
    Sequential other = load_model((dir / "tiny.elucid").string());
    for (NamedTensor& w : other.weights()) std::fill(w.tensor.data(), w.tensor.data() + w.tensor.size(), 0.0f);
    load_weights(other, (dir / weights).string());
    CHECK(test::same_bits(other.get_weights(), model.get_weights()));
  }
  r = test::run_elucid(dir, "export tiny.elucid tiny.bin --format weights-h5");
  CHECK(r.status == 2);
  // A damaged .h5: 1, one line naming the file.
  write_file_atomically((dir / "cut.h5").string(), read_file((dir / "tiny.h5").string()).substr(0, 700));
  r = test::run_elucid(dir, "summary cut.h5");
  CHECK(r.status == 1);
  CHECK(one_error_line(r));
  CHECK_THAT(r.err, Contains("cut.h5: HDF5 cannot open it"));
}

TEST_CASE("Ctrl-C after an epoch writes a checkpoint and exits 130, and --resume ends with the same model file", "[cli][threads]") {
  // 72 training samples in batches of 16, 30 epochs (a few milliseconds each): the signal, sent as soon as the first
  // epoch's checkpoint is on disk, arrives long before the end. EarlyStopping keeps waiting, so the run is long.
  auto dir = tiny_folder("cli_sigint", 30);
  std::string text = test::read_text(dir / "tiny.json");
  text.replace(text.find("\"patience\": 5"), 13, "\"patience\": 1000");
  test::write_text(dir / "tiny.json", text);
  fs::create_directory(dir / "whole");
  test::Run whole = test::run_elucid(dir, "train tiny.json --output-dir whole");
  REQUIRE(whole.status == 0);
  const std::string expected = test::read_text(dir / "whole" / "tiny.elucid");
  REQUIRE_FALSE(expected.empty());

  for (int signal : {SIGINT, SIGTERM}) {
    CAPTURE(signal);
    fs::remove_all(dir / "tiny.checkpoints");
    fs::remove(dir / "tiny.elucid");
    const pid_t pid = spawn_elucid(dir, {"train", "tiny.json"});
    REQUIRE(wait_for_file(dir / "tiny.checkpoints" / "checkpoint-e0001-b000000.elucid"));
    kill(pid, signal);
    const int status = wait_status(pid);
    const std::string err = test::read_text(dir / ".stderr");
    INFO(err);
    if (status == 0) {  // the machine stalled this process for all 29 epochs: nothing to check
      WARN("the run ended before the signal arrived");
      continue;
    }
    CHECK(status == 130);
    CHECK_THAT(err, Contains("elucid: tiny.json: interrupted; checkpoint written to tiny.checkpoints/checkpoint-e"));
    CHECK_THAT(err, Contains("go on with: elucid train tiny.json --resume"));
    CHECK_FALSE(fs::exists(dir / "tiny.elucid"));  // no model until the run ends
    const auto saved = callbacks::BackupAndRestore::list((dir / "tiny.checkpoints").string());
    REQUIRE_FALSE(saved.empty());
    CHECK(load_checkpoint(saved.back()).fit.epoch >= 1);  // stopped after at least one epoch
    CHECK_FALSE(load_checkpoint(saved.back()).finished);

    test::Run resumed = test::run_elucid(dir, "train tiny.json --resume");
    CHECK(resumed.status == 0);
    CHECK_THAT(resumed.out, Contains("Resuming from tiny.checkpoints/checkpoint-e"));
    CHECK(test::read_text(dir / "tiny.elucid") == expected);
    CHECK(test::read_text(dir / "tiny.history.csv") == test::read_text(dir / "whole" / "tiny.history.csv"));
  }

  // A second Ctrl-C stops at once, still with 130, and leaves the checkpoints that were written whole.
  fs::remove_all(dir / "tiny.checkpoints");
  const pid_t pid = spawn_elucid(dir, {"train", "tiny.json"});
  REQUIRE(wait_for_file(dir / "tiny.checkpoints" / "checkpoint-e0001-b000000.elucid"));
  kill(pid, SIGINT);
  kill(pid, SIGINT);
  const int status = wait_status(pid);
  CHECK((status == 130 || status == 0));
  for (const auto& path : callbacks::BackupAndRestore::list((dir / "tiny.checkpoints").string()))
    CHECK_NOTHROW(load_checkpoint(path));
}

TEST_CASE("a ModelCheckpoint file of elucid train keeps the class names for predict", "[cli]") {
  auto dir = tiny_folder("cli_model_checkpoint_classes");
  std::string text = test::read_text(dir / "tiny.json");
  text.replace(text.find("\"callbacks\": ["), 14,
               R"("callbacks": [{"class_name": "ModelCheckpoint", "config": {"filepath": "best.elucid"}}, )");
  test::write_text(dir / "tiny.json", text);
  test::Run r = test::run_elucid(dir, "train tiny.json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  r = test::run_elucid(dir, "summary best.elucid");
  CHECK_THAT(r.out, Contains("Classes: top left, top right, bottom left, bottom right"));
  write_png(dir / "corner3.png", 3);
  r = test::run_elucid(dir, "predict best.elucid corner3.png");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("corner3.png: bottom right "));
  CHECK_THAT(r.out, !Contains("class "));
}

TEST_CASE("bad recipes exit 2 with one line naming the file and the problem, and touch nothing", "[cli]") {
  auto dir = tiny_folder("cli_bad_recipes");
  // The outputs of an earlier run, which every failure must leave as they are.
  test::write_text(dir / "tiny.elucid", "an older model file");
  test::write_text(dir / "tiny.history.csv", "epoch,loss\n0,1.5\n");
  fs::create_directory(dir / "tiny.checkpoints");
  test::write_text(dir / "tiny.checkpoints" / "checkpoint-e0001-b000000.elucid", "an older checkpoint");
  fs::create_directory(dir / "empty");
  // A folder even root cannot write into: chattr +i (immutable) binds root too, where permission bits do not.
  ImmutableFolder locked(dir / "locked");

  auto check = [&](const std::string& name, const std::string& text, const std::string& expected, int status = 2) {
    CAPTURE(name);
    test::write_text(dir / name, text);
    const auto before = test::snapshot(dir);
    test::Run r = test::run_elucid(dir, "train " + name);
    CHECK(r.status == status);
    CHECK(one_error_line(r));
    CHECK_THAT(r.err, StartsWith("elucid: " + name + ": "));
    CHECK_THAT(r.err, Contains(expected));
    CHECK(test::snapshot(dir) == before);
  };
  const std::string good = test::tiny_recipe(
      1, R"(, "output": {"model": "tiny.elucid", "history_csv": "tiny.history.csv", "checkpoint_dir": "tiny.checkpoints"})");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    REQUIRE(t.find(from) != std::string::npos);
    return t.replace(t.find(from), from.size(), to);
  };
  // Malformed JSON, wrong types, unknown keys.
  check("malformed.json", "{\n  \"seed\": 1,\n  \"fit\": {\"epochs\": }\n}", "malformed.json: line 3, column 21: syntax error");
  check("truncated.json", good.substr(0, 200), "truncated.json: line 5, column ");
  check("types.json", with("\"epochs\": 1", "\"epochs\": \"one\""), "fit.epochs: expected an integer, got a string");
  check("types2.json", with("\"batch_input_shape\": [null, 12, 12, 1]", "\"batch_input_shape\": \"12x12\""),
        "model.config.layers[0].config.batch_input_shape: expected an array, got a string");
  check("typo.json", with("\"epochs\"", "\"epoch\""), "fit.epoch: unknown key; did you mean 'epochs'?");
  // Unknown layer classes and unsupported features.
  check("layer.json", with("\"MaxPooling2D\"", "\"MaxPooling3D\""),
        "model.config.layers[1]: layer class \"MaxPooling3D\" is not supported");
  check("regularizer.json", with("\"units\": 4", "\"units\": 4, \"kernel_regularizer\": {\"class_name\": \"L2\"}"),
        "model.config.layers[4].config: Dense: kernel_regularizer: a regularizer is not supported");
  // Impossible shapes.
  check("shapes.json", with("\"kernel_size\": [3, 3]", "\"kernel_size\": [20, 3]"), "model.config.layers[0]: Conv2D \"conv2d\"");
  check("zero.json", with("[null, 12, 12, 1]", "[null, 12, 0, 1]"),
        "model.config.layers[0].config.batch_input_shape[2]: expected an integer in [1, ");
  check("huge.json", with("\"units\": 4", "\"units\": 1000000000000"), "bytes of weights, beyond elucid's limit");
  check("input.json", with("[null, 12, 12, 1]", "[null, 14, 14, 1]"),
        "data: train-images.idx holds samples of shape (12, 12, 1); the model takes (14, 14, 1)");
  check("classes.json", with("\"units\": 4", "\"units\": 3"), "the data has 4 classes");
  // Missing data files.
  check("missing_data.json", with("\"test-images.idx\"", "\"no-such-images.idx\""), "no-such-images.idx: no such file");
  {
    std::string t = good;
    const size_t from = t.find("\"model\": {"), to = t.find("\"units\": 4}}]}},", from) + 16;
    check("missing_model.json", t.replace(from, to - from, "\"model\": \"seed.json\","),
          "model: seed.json: cannot open: No such file");
  }
  const std::string data_start = good.substr(good.find("\"data\": {"));
  check("missing_set.json", with(data_start, "\"data\": {\"dataset\": \"mnist\", \"dir\": \"empty\"}\n}\n"),
        "MNIST: the MNIST-format files were not found. Looked for train-images-idx3-ubyte");
  // Outputs under a file, or not writable (missing folders are made, once every check has passed).
  check("under_file.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"train-images.idx/m.elucid\""),
        "train-images.idx/m.elucid: train-images.idx is not a folder");
  check("under_file_deep.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"train-images.idx/new/m.elucid\""),
        "train-images.idx/new/m.elucid: train-images.idx is not a folder");
  check("proc.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"/proc/self/m.elucid\""),
        "/proc/self/m.elucid: folder /proc/self is not writable");
  check("output_is_folder.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"empty\""),
        "empty: is a directory, not a file");
  // A configuration error makes no folder either: the outputs' missing folders are made only after every check.
  {
    std::string t = with("{\"patience\": 5}", "{\"patience\": 5, \"monitor\": \"val_acuracy\"}");
    t.replace(t.find("\"tiny.history.csv\""), 18, "\"gone/h.csv\"");
    t.replace(t.find("\"tiny.checkpoints\""), 18, "\"gone/ckpt\"");
    t.replace(t.find("\"tiny.elucid\""), 13, "\"new/m.elucid\"");
    check("new_folders_typo.json", t, "EarlyStopping: monitor \"val_acuracy\" is not a figure of this run");
  }
  // Two outputs on one file, or an output on a file the run reads: found before training, nothing written.
  check("clash.json", with("\"history_csv\": \"tiny.history.csv\"", "\"history_csv\": \"tiny.elucid\""),
        "output.model and output.history_csv both name tiny.elucid: one would overwrite the other");
  fs::create_symlink("tiny.elucid", dir / "link.elucid");  // another name for the same file
  check("clash_link.json", with("\"history_csv\": \"tiny.history.csv\"", "\"history_csv\": \"link.elucid\""),
        "output.model and output.history_csv both name link.elucid");
  const std::string early_stopping = "{\"class_name\": \"EarlyStopping\", \"config\": {\"patience\": 5}}";
  check("clash_callback.json",
        with(early_stopping, "{\"class_name\": \"CSVLogger\", \"config\": {\"filename\": \"tiny.history.csv\"}}"),
        "output.history_csv and callbacks[0].config.filename both name tiny.history.csv");
  check("self.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"self.json\""),
        "output.model names self.json, which is the recipe itself: writing it would destroy it");
  check("on_data.json", with("\"history_csv\": \"tiny.history.csv\"", "\"history_csv\": \"train-images.idx\""),
        "output.history_csv names train-images.idx, which is data.train_images, an input of the run");
  {
    std::string t = good;
    const size_t from = t.find("\"model\": {"), to = t.find("\"units\": 4}}]}},", from) + 16;
    test::write_text(dir / "keras_model.json", t.substr(from + 9, to - from - 10));
    t.replace(from, to - from, "\"model\": \"keras_model.json\",");
    const std::string output = "\"model\": \"tiny.elucid\"";
    REQUIRE(t.find(output) != std::string::npos);
    t.replace(t.find(output), output.size(), "\"model\": \"keras_model.json\"");
    check("on_model.json", t, "output.model names keras_model.json, which is model, an input of the run");
  }
  // What fit() would find only once it runs, or evaluation only after training: found before, nothing written.
  check("monitor_typo.json", with("{\"patience\": 5}", "{\"patience\": 5, \"monitor\": \"val_acuracy\"}"),
        "EarlyStopping: monitor \"val_acuracy\" is not a figure of this run, which logs loss, accuracy, val_loss, "
        "val_accuracy");
  check("no_validation.json", with("\"validation_split\": 0.25, ", ""),
        "EarlyStopping: monitor \"val_loss\" is not a figure of this run, which logs loss, accuracy (val_ figures need "
        "validation data");
  check("field.json",
        with(early_stopping, "{\"class_name\": \"ModelCheckpoint\", \"config\": {\"filepath\": \"m-{val_los:.2f}.elucid\"}}"),
        "ModelCheckpoint: file path \"m-{val_los:.2f}.elucid\": field \"val_los\" is not a figure of this run");
  check("split.json", with("\"validation_split\": 0.25", "\"validation_split\": 0.999"),
        "validation_split=0.999 cannot split");
  {
    test::Bytes labels = test::file_bytes(dir / "test-labels.idx");
    labels.back() = 200;
    test::write_raw(dir / "bad-test-labels.idx", labels);
    labels = test::file_bytes(dir / "train-labels.idx");
    labels[labels.size() / 2] = 7;
    test::write_raw(dir / "bad-train-labels.idx", labels);
  }
  // With class names the IDX reader finds a label past them; without, the model's outputs are the classes.
  check("test_labels.json", with("\"test-labels.idx\"", "\"bad-test-labels.idx\""),
        "bad-test-labels.idx: label 200 of item 23 is outside the 4 classes");
  const std::string names = ",\n           \"class_names\": [\"top left\", \"top right\", \"bottom left\", \"bottom right\"]";
  const auto unnamed = [&](const std::string& from, const std::string& to) {
    std::string t = with(from, to);
    REQUIRE(t.find(names) != std::string::npos);
    return t.erase(t.find(names), names.size());
  };
  check("test_labels_unnamed.json", unnamed("\"test-labels.idx\"", "\"bad-test-labels.idx\""),
        "test data: label 200 of sample 23 is not a class index in [0, 4) for the model's 4 outputs");
  check("train_labels_unnamed.json", unnamed("\"train-labels.idx\"", "\"bad-train-labels.idx\""),
        "fit: label 7 of sample 44 is not a class index in [0, 4)");
  test::write_text(dir / "a_file.txt", "not a folder");
  check("checkpoint_file.json", with("\"checkpoint_dir\": \"tiny.checkpoints\"", "\"checkpoint_dir\": \"a_file.txt\""),
        "output.checkpoint_dir names a_file.txt, which is a file, not a folder");
  if (locked.made) {
    check("locked.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"locked/m.elucid\""),
          "locked/m.elucid: folder locked is not writable: Operation not permitted");
    check("locked_checkpoints.json", with("\"checkpoint_dir\": \"tiny.checkpoints\"", "\"checkpoint_dir\": \"locked/ckpt\""),
          "locked/ckpt: folder locked is not writable");
  } else {
    WARN("chattr +i is not available here: the immutable-folder cases were skipped (the /proc/self case ran)");
  }
  // elucid summary finds the same clash before it lists the outputs.
  {
    test::Run r = test::run_elucid(dir, "summary clash.json");
    CHECK(r.status == 2);
    CHECK(one_error_line(r));
    CHECK_THAT(r.err, Contains("output.model and output.history_csv both name tiny.elucid"));
    CHECK(r.out.find("Outputs:") == std::string::npos);
    r = test::run_elucid(dir, "summary monitor_typo.json");
    CHECK(r.status == 2);
    CHECK(one_error_line(r));
    CHECK_THAT(r.err, Contains("EarlyStopping: monitor \"val_acuracy\" is not a figure of this run"));
  }
  // A recipe that is a folder, or is not there.
  fs::create_directory(dir / "a_folder.json");
  const auto before = test::snapshot(dir);
  test::Run r = test::run_elucid(dir, "train a_folder.json");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: a_folder.json: is not a regular file (it is a directory)\n");
  r = test::run_elucid(dir, "summary a_folder.json");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: a_folder.json: is not a regular file (it is a directory)\n");
  r = test::run_elucid(dir, "train nothing.json");
  CHECK(r.status == 2);
  CHECK(one_error_line(r));
  CHECK_THAT(r.err, StartsWith("elucid: nothing.json: cannot open: No such file"));
  // --output-dir that is a file; one that is missing is made, but not when the recipe has a configuration error.
  test::write_text(dir / "ok.json", good);
  test::write_text(dir / "a_file", "");
  r = test::run_elucid(dir, "train ok.json --output-dir a_file");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: a_file: is a file, not a folder\n");
  fs::remove(dir / "a_file");
  test::write_text(dir / "typo_out.json", with("\"epochs\"", "\"epoch\""));
  r = test::run_elucid(dir, "train typo_out.json --output-dir no/such");
  CHECK(r.status == 2);
  CHECK_FALSE(fs::exists(dir / "no"));
  fs::remove(dir / "typo_out.json");
  fs::remove(dir / "ok.json");
  CHECK(test::snapshot(dir) == before);
}

TEST_CASE("elucid train makes the missing folders of its outputs and of --output-dir, as Keras does", "[cli]") {
  // Keras' ModelCheckpoint and CSVLogger make the folders their files go in; so do elucid's outputs.
  auto dir = tiny_folder("cli_new_folders", 1, R"(, "output": {"model": "models/sub/m.elucid", "history_csv": "h/h.csv",
      "checkpoint_dir": "ckpt/deep"})");
  std::string text = test::read_text(dir / "tiny.json");
  const std::string early_stopping = "{\"class_name\": \"EarlyStopping\", \"config\": {\"patience\": 5}}";
  REQUIRE(text.find(early_stopping) != std::string::npos);
  text.replace(text.find(early_stopping), early_stopping.size(),
               R"({"class_name": "CSVLogger", "config": {"filename": "logs/deep/log.csv"}},
                  {"class_name": "ModelCheckpoint", "config": {"filepath": "best/e{epoch}.elucid"}})");
  test::write_text(dir / "tiny.json", text);
  test::Run r = test::run_elucid(dir, "train tiny.json --output-dir out/run");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(fs::is_regular_file(dir / "out" / "run" / "models" / "sub" / "m.elucid"));
  CHECK(fs::is_regular_file(dir / "out" / "run" / "h" / "h.csv"));
  CHECK(fs::is_directory(dir / "out" / "run" / "ckpt" / "deep"));
  CHECK(fs::is_regular_file(dir / "logs" / "deep" / "log.csv"));  // callbacks' paths are the recipe's, not moved
  CHECK(fs::is_regular_file(dir / "best" / "e1.elucid"));
}

TEST_CASE("a NaN loss stops training with the epoch and batch, exit 1, and no model written", "[cli]") {
  auto dir = tiny_folder("cli_nan", 3, R"(, "output": {"model": "tiny.elucid"})");
  std::string text = test::read_text(dir / "tiny.json");
  text.replace(text.find("\"learning_rate\": 0.01"), 21, "\"learning_rate\": 1e30");
  test::write_text(dir / "tiny.json", text);
  test::write_text(dir / "tiny.elucid", "an older model file");
  test::Run r = test::run_elucid(dir, "train tiny.json");
  CHECK(r.status == 1);
  CHECK(one_error_line(r));
  CHECK_THAT(r.err, StartsWith("elucid: tiny.json: epoch 1, batch "));
  CHECK_THAT(r.err, Contains("invalid loss nan"));
  CHECK(test::read_text(dir / "tiny.elucid") == "an older model file");

  // TerminateOnNaN can be turned off: the run goes to its end.
  text.replace(text.find("\"seed\": 3"), 9, "\"seed\": 3, \"terminate_on_nan\": false");
  test::write_text(dir / "tiny.json", text);
  r = test::run_elucid(dir, "train tiny.json");
  CHECK(r.status == 0);
}

TEST_CASE("damaged model files exit 1 with one line naming the file, for every command, and touch nothing", "[cli]") {
  auto dir = tiny_folder("cli_bad_models", 1);
  REQUIRE(test::run_elucid(dir, "train tiny.json").status == 0);
  const std::string bytes = test::read_text(dir / "tiny.elucid");
  write_png(dir / "x.png", 1);
  test::write_text(dir / "out.json", "an older export");  // export's output: must survive
  std::vector<std::pair<std::string, std::string>> damaged;
  for (size_t length : {size_t(0), size_t(7), size_t(16), size_t(40), bytes.size() / 2, bytes.size() - 4, bytes.size() - 1})
    damaged.emplace_back("cut at " + std::to_string(length), bytes.substr(0, length));
  for (size_t at : {size_t(3), size_t(9), size_t(60), bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    damaged.emplace_back("flipped at " + std::to_string(at), bad);
  }
  damaged.emplace_back("a PNG", test::read_text(dir / "x.png"));
  const std::vector<std::string> all = {"summary bad.elucid", "predict bad.elucid x.png",
                                        "evaluate bad.elucid --data tiny.json", "export bad.elucid --keras-json out.json"};
  for (size_t i = 0; i < damaged.size(); ++i) {
    const auto& [what, content] = damaged[i];
    CAPTURE(what);
    test::write_text(dir / "bad.elucid", content);
    const auto before = test::snapshot(dir);
    // Every command reads model files the same way (load_model_file): all four on a few of the damaged files, the
    // summary on the others (each run of the program costs a process start).
    const bool every_command = i == 4 || i == 9 || i == damaged.size() - 1;
    for (const std::string& command : every_command ? all : std::vector<std::string>{all[0]}) {
      CAPTURE(command);
      test::Run r = test::run_elucid(dir, command);
      CHECK(r.status == 1);
      CHECK(one_error_line(r));
      CHECK_THAT(r.err, StartsWith("elucid: bad.elucid: "));
    }
    CHECK(test::snapshot(dir) == before);
  }
  // What the messages say, for a cut file, a flipped byte and a foreign file.
  test::write_text(dir / "bad.elucid", bytes.substr(0, bytes.size() / 2));
  CHECK_THAT(test::run_elucid(dir, "summary bad.elucid").err, Contains("model file cut short"));
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 1;
  test::write_text(dir / "bad.elucid", flipped);
  CHECK_THAT(test::run_elucid(dir, "summary bad.elucid").err, Contains("checksum"));
  test::write_text(dir / "bad.elucid", test::read_text(dir / "x.png"));
  CHECK_THAT(test::run_elucid(dir, "summary bad.elucid").err, Contains("not an elucid"));

  // A model file that is not there, or an export into a folder that is not: usage mistakes, 2.
  const auto before = test::snapshot(dir);
  for (const std::string& command : {std::string("summary gone.elucid"), std::string("predict gone.elucid x.png"),
                                     std::string("evaluate gone.elucid --data tiny.json"),
                                     std::string("export gone.elucid --keras-json out.json")}) {
    CAPTURE(command);
    test::Run r = test::run_elucid(dir, command);
    CHECK(r.status == 2);
    CHECK(one_error_line(r));
    CHECK_THAT(r.err, StartsWith("elucid: gone.elucid: "));
  }
  test::write_text(dir / "a_file", "");
  const auto before_file = test::snapshot(dir);
  test::Run r = test::run_elucid(dir, "export tiny.elucid --keras-json a_file/such/out.json");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: a_file/such/out.json: a_file is not a folder\n");
  CHECK(test::snapshot(dir) == before_file);
  fs::remove(dir / "a_file");
  CHECK(test::snapshot(dir) == before);
}

TEST_CASE("messages name the file that is wrong and say what it is", "[cli]") {
  auto dir = tiny_folder("cli_what_is_wrong", 1);
  REQUIRE(test::run_elucid(dir, "train tiny.json").status == 0);
  write_png(dir / "x.png", 1);
  fs::create_directories(dir / "folder.png");
  // evaluate: errors in the data name the data, not the model file.
  test::Run r = test::run_elucid(dir, "evaluate tiny.elucid --images test-labels.idx --labels test-labels.idx");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, StartsWith("elucid: test-labels.idx: images must be"));
  r = test::run_elucid(dir, "evaluate tiny.elucid --images test-images.idx --labels train-labels.idx");
  CHECK(r.err == "elucid: images and labels disagree: test-images.idx holds 24 images, train-labels.idx holds 96 labels\n");
  // predict: a device named as an image is said to be one, not missing; a folder stands for its images, and one
  // without any says so.
  r = test::run_elucid(dir, "predict tiny.elucid folder.png /dev/zero /dev/urandom gone.png x.png");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("elucid: folder.png: the folder holds no image"));
  CHECK_THAT(r.err, Contains("elucid: /dev/zero: is a character device, not an image file\n"));
  CHECK_THAT(r.err, Contains("elucid: /dev/urandom: is a character device, not an image file\n"));
  CHECK_THAT(r.err, Contains("elucid: gone.png: no such file\n"));
  CHECK_THAT(r.out, Contains("x.png: top right"));
}

TEST_CASE("the shipped seed recipes train to the same weights as elucid-mnist with the same seed and settings", "[cli][demo]") {
  // examples/recipes/fashion_mnist_seed.json is elucid-mnist's default run, fashion_mnist_seed_quick.json its
  // --quick run (the first 3,000 training and 1,000 test images, 2 epochs). Here both programs train on a tiny
  // MNIST-format folder instead of Fashion-MNIST (elucid-mnist --data, the recipe's data.dir), on one thread.
  auto dir = test::scratch("cli_seed_recipe");
  test::write_tiny_mnist(dir / "digits", 80, 20);
  const std::string recipes = std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/";
  json::Json full = json::parse(test::read_text(recipes + "fashion_mnist_seed.json"), "full");
  json::Json quick = json::parse(test::read_text(recipes + "fashion_mnist_seed_quick.json"), "quick");
  // The demo's defaults: seed 0, Adam from 0.001 down a cosine to 0 over the run's steps (epochs x
  // ceil(54,000 / 32) = 5 x 1,688), sparse categorical cross-entropy from logits, accuracy, 5 epochs of batches of
  // 32 with a tenth held out, no callbacks.
  CHECK(full["seed"] == 0);
  CHECK(full["compile"] == json::Json::parse(R"({
      "optimizer": {"class_name": "Adam", "config": {"learning_rate":
          {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.001, "decay_steps": 8440}}}},
      "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true}},
      "metrics": ["accuracy"]})"));
  CHECK(full["fit"] == json::Json::parse(R"({"epochs": 5, "batch_size": 32, "validation_split": 0.1})"));
  CHECK_FALSE(full.contains("callbacks"));
  CHECK(full["data"] == json::Json::parse(R"({"dataset": "fashion_mnist"})"));
  // The quick recipe differs in the epochs, the subset and so the steps the cosine spans (2 x ceil(2,700 / 32)).
  for (const char* key : {"seed", "model"}) CHECK(quick[key] == full[key]);
  json::Json& decay_steps = quick["compile"]["optimizer"]["config"]["learning_rate"]["config"]["decay_steps"];
  CHECK(decay_steps == 170);
  decay_steps = 8440;
  CHECK(quick["compile"] == full["compile"]);
  CHECK(quick["fit"] == json::Json::parse(R"({"epochs": 2, "batch_size": 32, "validation_split": 0.1})"));
  CHECK(quick["data"] == json::Json::parse(R"({"dataset": "fashion_mnist", "max_train_samples": 3000, "max_test_samples": 1000})"));
  CHECK_FALSE(quick.contains("callbacks"));

  quick["model"] = recipes + "seed_model.json";
  quick["threads"] = 1;
  quick["data"]["dataset"] = "mnist";
  quick["data"]["dir"] = "digits";
  decay_steps = 2 * 3;  // the demo's cosine on 80 images: 72 for training, 3 batches per epoch
  test::write_text(dir / "quick.json", quick.dump(2));
  test::Run r = test::run_elucid(dir, "train quick.json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  // The model, the history CSV (a row per epoch), the checkpoint and the pictures are written.
  CHECK(fs::exists(dir / "fashion_mnist_seed_quick.elucid"));
  CHECK(test::read_text(dir / "fashion_mnist_seed_quick.history.csv")
            .rfind("epoch,accuracy,loss,val_accuracy,val_loss\n0,", 0) == 0);
  CHECK(fs::exists(dir / "fashion_mnist_seed_quick.checkpoints" / "checkpoint-e0002-b000000.elucid"));
  CHECK(fs::exists(dir / "fashion_mnist_seed_quick.curves.svg"));
  CHECK(fs::exists(dir / "fashion_mnist_seed_quick.confusion.svg"));

  r = test::run_program(dir, "elucid-mnist", "--quick --data digits --threads 1 --out demo");
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("80 training and 20 test images"));
  Sequential from_recipe = load_model((dir / "fashion_mnist_seed_quick.elucid").string());
  Sequential from_demo = load_model((dir / "demo" / "model.elucid").string());
  CHECK(from_recipe.weights().size() == 10);
  CHECK(test::same_bits(from_recipe.weights(), from_demo.weights()));
  CHECK(from_recipe.optimizer().iterations() == from_demo.optimizer().iterations());
  CHECK(from_recipe.to_json() == from_demo.to_json());
}
