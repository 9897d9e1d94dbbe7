// What the recipe, checkpoint and CLI tests share: a tiny four-class image set written as IDX files (a bright 5x5
// square in one of four corners of a dark 12x12 canvas), a tiny recipe that trains on it in well under a second,
// and a runner for the `elucid` command that captures its exit status and output.
#pragma once
#include "support/data_files.hpp"

#include <elucid/core/parallel.hpp>
#include <elucid/core/random.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace elucid::test {

// train-images.idx / train-labels.idx (n images) and test-*.idx (n / 4) in `dir`.
inline void write_tiny_idx(const std::filesystem::path& dir, uint32_t n = 96) {
  Random rng(5);
  auto images = [&](uint32_t count, Bytes& pixels, Bytes& labels) {
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t c = i % 4;
      Bytes img(144);
      for (auto& p : img) p = static_cast<uint8_t>(rng.below(40));
      for (uint32_t r = (c / 2) * 6; r < (c / 2) * 6 + 5; ++r)
        for (uint32_t k = (c % 2) * 6; k < (c % 2) * 6 + 5; ++k) img[r * 12 + k] = 230;
      pixels.insert(pixels.end(), img.begin(), img.end());
      labels.push_back(static_cast<uint8_t>(c));
    }
  };
  Bytes train, train_labels, test, test_labels;
  images(n, train, train_labels);
  images(n / 4, test, test_labels);
  write_raw(dir / "train-images.idx", idx_bytes({n, 12, 12}, train));
  write_raw(dir / "train-labels.idx", idx_bytes({n}, train_labels));
  write_raw(dir / "test-images.idx", idx_bytes({n / 4, 12, 12}, test));
  write_raw(dir / "test-labels.idx", idx_bytes({n / 4}, test_labels));
}

// An MNIST-format folder (train-images-idx3-ubyte, ..., raw) of 28x28 digits-like images: class c is a bright 6x6
// square at one of ten places on a dark, noisy canvas. `train` and `test` images, classes in turn.
inline void write_tiny_mnist(const std::filesystem::path& dir, uint32_t train = 64, uint32_t test = 16) {
  std::filesystem::create_directories(dir);
  Random rng(11);
  auto images = [&](uint32_t count, Bytes& pixels, Bytes& labels) {
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t c = i % 10, top = 2 + (c / 5) * 12, left = 1 + (c % 5) * 5;
      Bytes img(784);
      for (auto& p : img) p = static_cast<uint8_t>(rng.below(50));
      for (uint32_t r = top; r < top + 6; ++r)
        for (uint32_t k = left; k < left + 6 && k < 28; ++k) img[r * 28 + k] = 220;
      pixels.insert(pixels.end(), img.begin(), img.end());
      labels.push_back(static_cast<uint8_t>(c));
    }
  };
  Bytes train_images, train_labels, test_images, test_labels;
  images(train, train_images, train_labels);
  images(test, test_images, test_labels);
  write_raw(dir / "train-images-idx3-ubyte", idx_bytes({train, 28, 28}, train_images));
  write_raw(dir / "train-labels-idx1-ubyte", idx_bytes({train}, train_labels));
  write_raw(dir / "t10k-images-idx3-ubyte", idx_bytes({test, 28, 28}, test_images));
  write_raw(dir / "t10k-labels-idx1-ubyte", idx_bytes({test}, test_labels));
}

// A small CNN with Dropout on the tiny set; `extra` is spliced into the top-level object (",\"key\": ...").
inline std::string tiny_recipe(int epochs = 3, const std::string& extra = "") {
  return R"({
  "seed": 3,
  "threads": 1,
  "model": {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
    {"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": [3, 3], "activation": "elu",
                                        "batch_input_shape": [null, 12, 12, 1]}},
    {"class_name": "MaxPooling2D", "config": {}},
    {"class_name": "Dropout", "config": {"rate": 0.2}},
    {"class_name": "Flatten", "config": {}},
    {"class_name": "Dense", "config": {"units": 4}}]}},
  "compile": {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.01}},
              "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true}},
              "metrics": ["accuracy"]},
  "fit": {"epochs": )" + std::to_string(epochs) + R"(, "batch_size": 16, "validation_split": 0.25, "verbose": 0},
  "callbacks": [{"class_name": "EarlyStopping", "config": {"patience": 5}},
                {"class_name": "ReduceLROnPlateau", "config": {"patience": 1, "factor": 0.5}}],
  "data": {"train_images": "train-images.idx", "train_labels": "train-labels.idx",
           "test_images": "test-images.idx", "test_labels": "test-labels.idx",
           "class_names": ["top left", "top right", "bottom left", "bottom right"]})" + extra + "\n}\n";
}

// Tiny models train fastest on one thread (and a loaded machine makes two threads wait on each other); the same
// bits come out at any thread count. Restores the count when the test ends.
struct OneThread {
  int before = num_threads();
  OneThread() { set_num_threads(1); }
  ~OneThread() { set_num_threads(before); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;
};

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file under `dir` (recursively) with its bytes, but the runner's own .stdout and .stderr: to check that a
// failed command left the files on disk as they were.
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = std::filesystem::relative(entry.path(), dir).string();
    if (name == ".stdout" || name == ".stderr") continue;
    files[name] = entry.is_regular_file() ? read_text(entry.path()) : "(folder)";
  }
  return files;
}

struct Run {
  int status = -1;   // the exit status, or 128 + the signal that ended it
  std::string out, err;
};

// Runs PROGRAM ARGS (a program of the build, e.g. "elucid") in `dir`, as a user would in a shell; arguments go
// through the shell: keep them free of quotes.
inline Run run_program(const std::filesystem::path& dir, const std::string& program, const std::string& args) {
  const std::string out = (dir / ".stdout").string(), err = (dir / ".stderr").string();
  const std::string command = "cd '" + dir.string() + "' && '" + std::string(ELUCID_BINARY_DIR) + "/" + program + "' " +
                              args + " > '" + out + "' 2> '" + err + "' < /dev/null";
  const int raw = std::system(command.c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = read_text(out);
  r.err = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

// Runs `elucid ARGS` in `dir`.
inline Run run_elucid(const std::filesystem::path& dir, const std::string& args) { return run_program(dir, "elucid", args); }

}  // namespace elucid::test
