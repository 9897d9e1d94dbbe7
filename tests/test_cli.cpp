// The `elucid` command end to end: each subcommand on tiny files, Ctrl-C and SIGTERM, and every bad input of the
// issue — each exits with its documented status and one line "elucid: <file>: <problem>", and leaves the files
// already on disk as they were.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>

#include "recipe_testing.hpp"

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

// Waits (at most 60 s) until a checkpoint file is in `dir`: the run is past its first batches.
bool wait_for_checkpoint(const fs::path& dir) {
  for (int i = 0; i < 6000; ++i) {
    std::error_code ec;
    if (fs::is_directory(dir, ec))
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().filename().string().rfind("checkpoint-e", 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
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
  auto dir = test::scratch("cli_summary");
  test::Run r = test::run_elucid(dir, std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json");
  CHECK(r.status == 2);  // no command: the path is not one
  r = test::run_elucid(dir, "summary " + std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("conv2d_2 (Conv2D)            (None, 3, 3, 64)          36928"));
  CHECK_THAT(r.out, Contains("Total params: 93,322"));
  CHECK(r.err.empty());

  auto tiny = tiny_folder("cli_summary_recipe");
  r = test::run_elucid(tiny, "summary tiny.json");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("Total params: 444"));
  CHECK_THAT(r.out, Contains("Data: IDX files"));
  CHECK_THAT(r.out, Contains("(found)"));
  CHECK_FALSE(fs::exists(tiny / "tiny.elucid"));  // a dry run
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

TEST_CASE("Ctrl-C writes a checkpoint and exits 130, and --resume ends with the same model file", "[cli]") {
  // 72 training samples in batches of 16, a checkpoint after every batch, 8 epochs: long enough to interrupt.
  auto dir = tiny_folder("cli_sigint", 8, R"(, "output": {"checkpoint_every": 1})");
  fs::create_directory(dir / "whole");
  test::Run whole = test::run_elucid(dir, "train tiny.json --output-dir whole");
  REQUIRE(whole.status == 0);

  for (int signal : {SIGINT, SIGTERM}) {
    CAPTURE(signal);
    fs::remove_all(dir / "tiny.checkpoints");
    const pid_t pid = spawn_elucid(dir, {"train", "tiny.json"});
    REQUIRE(wait_for_checkpoint(dir / "tiny.checkpoints"));
    kill(pid, signal);
    const int status = wait_status(pid);
    const std::string err = test::read_text(dir / ".stderr");
    INFO(err);
    if (status == 0) {
      WARN("the run ended before the signal arrived");
      continue;
    }
    CHECK(status == 130);
    CHECK_THAT(err, Contains("elucid: tiny.json: interrupted; checkpoint written to tiny.checkpoints/checkpoint-e"));
    CHECK_THAT(err, Contains("go on with: elucid train tiny.json --resume"));
    test::Run resumed = test::run_elucid(dir, "train tiny.json --resume");
    CHECK(resumed.status == 0);
    CHECK_THAT(resumed.out, Contains("Resuming from tiny.checkpoints/checkpoint-e"));
    CHECK(test::read_text(dir / "tiny.elucid") == test::read_text(dir / "whole" / "tiny.elucid"));
    CHECK(test::read_text(dir / "tiny.history.csv") == test::read_text(dir / "whole" / "tiny.history.csv"));
  }

  // A second Ctrl-C stops at once, still with 130.
  fs::remove_all(dir / "tiny.checkpoints");
  const pid_t pid = spawn_elucid(dir, {"train", "tiny.json"});
  REQUIRE(wait_for_checkpoint(dir / "tiny.checkpoints"));
  kill(pid, SIGINT);
  kill(pid, SIGINT);
  const int status = wait_status(pid);
  CHECK((status == 130 || status == 0));
}

TEST_CASE("bad recipes exit 2 with one line naming the file and the problem, and touch nothing", "[cli]") {
  auto dir = tiny_folder("cli_bad_recipes");
  test::write_text(dir / "tiny.elucid", "an older model file");  // the recipe's output: must survive every failure
  auto check = [&](const std::string& name, const std::string& text, const std::string& expected, int status = 2) {
    CAPTURE(name);
    test::write_text(dir / name, text);
    test::Run r = test::run_elucid(dir, "train " + name);
    CHECK(r.status == status);
    CHECK(one_error_line(r));
    CHECK_THAT(r.err, StartsWith("elucid: " + name + ": "));
    CHECK_THAT(r.err, Contains(expected));
    CHECK(test::read_text(dir / "tiny.elucid") == "an older model file");
  };
  const std::string good = test::tiny_recipe(1, R"(, "output": {"model": "tiny.elucid"})");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    REQUIRE(t.find(from) != std::string::npos);
    return t.replace(t.find(from), from.size(), to);
  };
  check("malformed.json", "{\n  \"seed\": 1,\n  \"fit\": {\"epochs\": }\n}", "malformed.json: line 3, column 21: syntax error");
  check("types.json", with("\"epochs\": 1", "\"epochs\": \"one\""), "fit.epochs: expected an integer, got a string");
  check("typo.json", with("\"epochs\"", "\"epoch\""), "fit.epoch: unknown key; did you mean 'epochs'?");
  check("layer.json", with("\"MaxPooling2D\"", "\"MaxPooling3D\""),
        "model.config.layers[1]: layer class \"MaxPooling3D\" is not supported");
  check("shapes.json", with("\"kernel_size\": [3, 3]", "\"kernel_size\": [20, 3]"), "model.config.layers[0]: Conv2D \"conv2d\"");
  check("regularizer.json", with("\"units\": 4", "\"units\": 4, \"kernel_regularizer\": {\"class_name\": \"L2\"}"),
        "kernel_regularizer: a regularizer is not supported");
  check("huge.json", with("\"units\": 4", "\"units\": 1000000000000"), "bytes of weights, beyond elucid's limit");
  check("missing_data.json", with("\"test-images.idx\"", "\"no-such-images.idx\""), "no-such-images.idx: no such file");
  check("missing_folder.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"no/such/folder/m.elucid\""),
        "folder no/such/folder does not exist");
  check("not_writable.json", with("\"model\": \"tiny.elucid\"", "\"model\": \"/proc/self/m.elucid\""), "is not writable");
  fs::create_directory(dir / "a_folder.json");
  test::Run r = test::run_elucid(dir, "train a_folder.json");
  CHECK(r.status == 2);
  CHECK(r.err == "elucid: a_folder.json: is not a regular file (it is a directory)\n");
  r = test::run_elucid(dir, "train nothing.json");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, StartsWith("elucid: nothing.json: cannot open: No such file"));
  r = test::run_elucid(dir, "summary a_folder.json");
  CHECK(r.status == 2);
  CHECK(one_error_line(r));
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

TEST_CASE("damaged model files exit 1 with one line naming the file, for every command", "[cli]") {
  auto dir = tiny_folder("cli_bad_models", 1);
  REQUIRE(test::run_elucid(dir, "train tiny.json").status == 0);
  const std::string bytes = test::read_text(dir / "tiny.elucid");
  write_png(dir / "x.png", 1);
  std::vector<std::pair<std::string, std::string>> damaged;
  for (size_t length : {size_t(0), size_t(16), bytes.size() / 2, bytes.size() - 1})
    damaged.emplace_back("cut at " + std::to_string(length), bytes.substr(0, length));
  for (size_t at : {size_t(3), size_t(60), bytes.size() / 2}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    damaged.emplace_back("flipped at " + std::to_string(at), bad);
  }
  for (const auto& [what, content] : damaged) {
    CAPTURE(what);
    test::write_text(dir / "bad.elucid", content);
    for (const std::string& command : {std::string("summary bad.elucid"), std::string("predict bad.elucid x.png"),
                                       std::string("evaluate bad.elucid --data tiny.json"),
                                       std::string("export bad.elucid --keras-json out.json")}) {
      CAPTURE(command);
      test::Run r = test::run_elucid(dir, command);
      CHECK(r.status == 1);
      CHECK(one_error_line(r));
      CHECK_THAT(r.err, StartsWith("elucid: bad.elucid: "));
    }
    CHECK_FALSE(fs::exists(dir / "out.json"));
  }
}
