// MNIST-format folders and the built-in data sets: IDX pairs into uint8 ImageDatasets, the four standard files,
// the error when they are missing, and the real Fashion-MNIST when its Debian package is installed.
#include <elucid/core/error.hpp>
#include <elucid/data/batches.hpp>
#include <elucid/data/datasets.hpp>

#include "support/data_files.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

using namespace elucid;
using namespace elucid::data;
using namespace elucid::test;
namespace fs = std::filesystem;

namespace {

Bytes idx(const std::vector<uint32_t>& dims, const Bytes& values) { return idx_bytes(dims, values); }
std::string write(const fs::path& path, const Bytes& bytes, bool gzip) {
  return gzip ? write_gzip(path, bytes) : write_raw(path, bytes);
}

// n images of 2x3 whose pixel j of image i is 10 i + j, labels i % 10.
void write_split(const fs::path& dir, const std::string& prefix, uint32_t n, bool gzip) {
  Bytes pixels, labels;
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < 6; ++j) pixels.push_back(static_cast<uint8_t>(10 * i + j));
    labels.push_back(static_cast<uint8_t>(i % 10));
  }
  const std::string gz = gzip ? ".gz" : "";
  write(dir / (prefix + "-images-idx3-ubyte" + gz), idx({n, 2, 3}, pixels), gzip);
  write(dir / (prefix + "-labels-idx1-ubyte" + gz), idx({n}, labels), gzip);
}

}  // namespace

TEST_CASE("load_idx_images keeps uint8 images and gives floats in 0..1 per batch", "[data][mnist]") {
  const fs::path dir = scratch("pair");
  write_split(dir, "train", 12, true);
  auto d = load_idx_images((dir / "train-images-idx3-ubyte.gz").string(), (dir / "train-labels-idx1-ubyte.gz").string(),
                           datasets::mnist::class_names());
  CHECK(d->size() == 12);
  CHECK(d->shape() == Shape{12, 2, 3, 1});
  CHECK(d->sample_shape() == Shape{2, 3, 1});
  CHECK(d->label_shape() == Shape{});
  CHECK(d->pixels().size() == 72);  // one byte per pixel in memory
  CHECK(d->image(11)[5] == 115);
  CHECK(d->labels()[11] == 1);
  CHECK(d->num_classes() == 10);

  Batches batches(d, 5, false);
  auto b = batches.next();
  REQUIRE(b);
  CHECK(b->x.shape() == Shape{5, 2, 3, 1});
  CHECK(b->x.at({3, 1, 2, 0}) == 35.0f / 255.0f);
  CHECK(b->y.at({3}) == 3.0f);
  fs::remove_all(dir);
}

TEST_CASE("load_idx_images: images and labels of different counts name both files", "[data][mnist][bad]") {
  const fs::path dir = scratch("mismatch");
  const std::string images = write(dir / "imgs", idx({3, 2, 2}, Bytes(12, 1)), false);
  const std::string labels = write(dir / "labs.gz", idx({4}, {0, 1, 2, 3}), true);
  CHECK_THROWS_WITH(load_idx_images(images, labels),
                    "images and labels disagree: " + images + " holds 3 images, " + labels + " holds 4 labels");
  const std::string bad_label = write(dir / "bad.gz", idx({3}, {0, 10, 2}), true);
  CHECK_THROWS_WITH(load_idx_images(images, bad_label, datasets::mnist::class_names()),
                    bad_label + ": label 10 of item 1 is outside the 10 classes");
  CHECK_THROWS_WITH(load_idx_images(labels, labels),
                    labels + ": images must be (N, H, W) or (N, H, W, C), the file holds (4,)");
  CHECK_THROWS_WITH(load_idx_images(images, images),
                    images + ": labels must be one dimension (N), the file holds (3, 2, 2)");
  fs::remove_all(dir);
}

TEST_CASE("mnist::load_data reads a folder of raw and gzip files, from the argument or ELUCID_DATA",
          "[data][mnist]") {
  const fs::path dir = scratch("folder");
  write_split(dir, "train", 20, false);
  write_split(dir, "t10k", 7, true);
  auto [train, test] = datasets::mnist::load_data(dir.string());
  CHECK(train->size() == 20);
  CHECK(test->size() == 7);
  CHECK(test->image(6)[0] == 60);
  CHECK(train->class_names()[9] == "9");

  const fs::path root = scratch("env");
  fs::create_directories(root / "kmnist");
  write_split(root / "kmnist", "train", 5, true);
  write_split(root / "kmnist", "t10k", 3, true);
  REQUIRE(setenv("ELUCID_DATA", root.c_str(), 1) == 0);
  auto k = datasets::kmnist::load_data();
  unsetenv("ELUCID_DATA");
  CHECK(k.train->size() == 5);
  CHECK(k.test->class_names()[3] == "tsu");
  fs::remove_all(dir);
  fs::remove_all(root);
}

TEST_CASE("mnist::load_data names the directory, the files and their origin when they are missing",
          "[data][mnist][bad]") {
  const fs::path dir = scratch("partial");
  write_split(dir, "train", 4, true);
  try {
    datasets::mnist::load_data(dir.string());
    FAIL("no error");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::StartsWith("MNIST: the MNIST-format files were not found. Looked for train-images-idx3-ubyte, "
                                    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each "
                                    "raw or .gz) in:"));
    CHECK_THAT(m, Catch::Contains(dir.string() + ": missing t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"));
    CHECK_THAT(m, Catch::Contains("These files come from http://yann.lecun.com/exdb/mnist/"));
    CHECK_THAT(m, Catch::Contains("ELUCID_DATA"));
  }
  CHECK_THROWS_WITH(datasets::fashion_mnist::load_data((dir / "nowhere").string()),
                    Catch::Contains((dir / "nowhere").string() + ": no such directory") &&
                        Catch::Contains("the Debian package dataset-fashion-mnist"));
  unsetenv("ELUCID_DATA");
  CHECK_THROWS_WITH(datasets::mnist::load_data(), Catch::Contains("(no directory given)"));
  fs::remove_all(dir);
}

TEST_CASE("fashion_mnist::load_data reads the Debian package", "[data][mnist][fashion_mnist]") {
  if (!fs::exists(datasets::fashion_mnist::kPackageDirectory)) {
    WARN("skipped: " << datasets::fashion_mnist::kPackageDirectory
                     << " is missing (install the Debian package dataset-fashion-mnist)");
    return;
  }
  unsetenv("ELUCID_DATA");
  auto [train, test] = datasets::fashion_mnist::load_data();
  CHECK(train->shape() == Shape{60000, 28, 28, 1});
  CHECK(test->shape() == Shape{10000, 28, 28, 1});
  CHECK(train->pixels().size() == 47040000);  // uint8: 47 MB, not 188 MB of floats
  CHECK(std::vector<int32_t>(train->labels().begin(), train->labels().begin() + 10) ==
        std::vector<int32_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  CHECK(std::vector<int32_t>(test->labels().begin(), test->labels().begin() + 10) ==
        std::vector<int32_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7});
  CHECK(train->image(0)[14 * 28 + 14] == 217);
  CHECK(train->class_names()[0] == "T-shirt/top");
  CHECK(train->class_names()[9] == "Ankle boot");
}
