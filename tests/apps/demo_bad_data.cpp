// The MNIST demo's --data folder: missing files, images of another size, labels past 9. Each is one line on stderr
// that names the folder and the problem, exit status 1, and nothing is trained.
#include "support/data_files.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace fs = std::filesystem;
using elucid::test::Bytes;

namespace {

struct Run {
  int status = -1;
  std::string output;
};

// Runs elucid-mnist with `args`, stdout and stderr together into a log beside the data.
Run demo(const fs::path& dir, const std::string& args) {
  const fs::path log = dir / "demo.log";
  const std::string command =
      std::string(ELUCID_BINARY_DIR) + "/elucid-mnist " + args + " --out " + (dir / "out").string() + " > " +
      log.string() + " 2>&1";
  const int raw = std::system(command.c_str());
  const Bytes bytes = elucid::test::file_bytes(log);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, std::string(bytes.begin(), bytes.end())};
}

// Writes the four MNIST files into `dir`: n images of side x side pixels, labels all `label`.
void write_set(const fs::path& dir, uint32_t n, uint32_t side, uint8_t label) {
  const Bytes pixels(size_t{n} * side * side, 7);
  const Bytes labels(n, label);
  for (const std::string prefix : {"train", "t10k"}) {
    elucid::test::write_gzip(dir / (prefix + "-images-idx3-ubyte.gz"), elucid::test::idx_bytes({n, side, side}, pixels));
    elucid::test::write_raw(dir / (prefix + "-labels-idx1-ubyte"), elucid::test::idx_bytes({n}, labels));
  }
}

size_t lines(const std::string& text) {
  size_t count = 0;
  for (char c : text) count += c == '\n';
  return count;
}

}  // namespace

TEST_CASE("elucid-mnist --data names a folder without the MNIST files and where they come from", "[demo][bad]") {
  const fs::path dir = elucid::test::scratch("demo_missing");
  const Run run = demo(dir, "--data " + dir.string());
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(lines(run.output) == 1);
  CHECK(run.output.rfind("elucid-mnist: ", 0) == 0);
  CHECK(run.output.find(dir.string()) != std::string::npos);
  CHECK(run.output.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK(!fs::exists(dir / "out" / "model.elucid"));
}

TEST_CASE("elucid-mnist --data refuses images that are not 28x28, naming their size", "[demo][bad]") {
  const fs::path dir = elucid::test::scratch("demo_size");
  write_set(dir, 4, 8, 1);
  const Run run = demo(dir, "--data " + dir.string());
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(lines(run.output) == 1);
  CHECK(run.output.rfind("elucid-mnist: " + dir.string() + ": images are (8, 8, 1), the demo's model takes 28x28", 0) ==
        0);
  CHECK(!fs::exists(dir / "out" / "model.elucid"));
}

TEST_CASE("elucid-mnist --data refuses labels past 9, naming the file and the item", "[demo][bad]") {
  const fs::path dir = elucid::test::scratch("demo_labels");
  write_set(dir, 4, 28, 12);
  const Run run = demo(dir, "--data " + dir.string());
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(lines(run.output) == 1);
  CHECK(run.output == "elucid-mnist: " + (dir / "train-labels-idx1-ubyte").string() +
                          ": label 12 of item 0 is outside the 10 classes\n");
  CHECK(!fs::exists(dir / "out" / "model.elucid"));
}
