// End to end: the MNIST demo's --quick run on Fashion-MNIST reaches a sane accuracy and leaves valid pictures.
#include <elucid/saving/model_file.hpp>

#include <catch2/catch.hpp>

#include <stb/stb_image.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("elucid-mnist --quick trains the seed model and writes its pictures", "[demo][e2e]") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST is not installed (scripts/setup.sh installs dataset-fashion-mnist): skipped");
    return;
  }
  const fs::path out = fs::path(ELUCID_BINARY_DIR) / "test_demo_out";
  fs::remove_all(out);
  const std::string log = (fs::path(ELUCID_BINARY_DIR) / "test_demo.log").string();
  const std::string command = std::string(ELUCID_BINARY_DIR) + "/elucid-mnist --quick --threads 2 --out " +
                              out.string() + " > " + log + " 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  const std::string text = slurp(log);
  INFO(text);
  CHECK(text.find("Total params: 93,322") != std::string::npos);
  CHECK(text.find("Epoch 2/2") != std::string::npos);
  // (No std::regex: GCC 12 warns falsely inside libstdc++'s regex at -O2 with sanitizers, and CI has -Werror.)
  const size_t at = text.find("Test loss ");
  REQUIRE(at != std::string::npos);
  double loss = 0, accuracy = 0;
  REQUIRE(std::sscanf(text.c_str() + at, "Test loss %lf, test accuracy %lf on 1000 images", &loss, &accuracy) == 2);
  // 2 epochs over 2,700 images: about 0.78 here; 0.70 leaves room for other seeds and thread counts.
  CHECK(accuracy >= 0.70);
  CHECK(loss < 1.0);
  CHECK(text.find("Ankle boot") != std::string::npos);

  for (const char* name : {"training_curves.svg", "confusion_matrix.svg"}) {
    const std::string svg = slurp(out / name);
    CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
    CHECK(svg.find("</svg>\n") == svg.size() - 7);
  }
  // The model file carries the class names, so `elucid predict` names what it sees.
  const elucid::ModelFile saved = elucid::load_model_file((out / "model.elucid").string());
  CHECK(saved.model.count_params() == 93322);
  CHECK(saved.class_names == std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                                      "Shirt", "Sneaker", "Bag", "Ankle boot"});
  int w = 0, h = 0, c = 0;
  REQUIRE(stbi_info((out / "test_predictions.png").string().c_str(), &w, &h, &c) == 1);
  CHECK(w > 400);
  CHECK(h > 100);

  // A folder that cannot be made is reported before any training, with the exit status of a runtime failure.
  const std::string bad = std::string(ELUCID_BINARY_DIR) + "/elucid-mnist --quick --out /proc/elucid-no > " + log + " 2>&1";
  CHECK(WEXITSTATUS(std::system(bad.c_str())) == 1);
  CHECK(slurp(log).rfind("elucid-mnist: --out /proc/elucid-no: cannot create the folder", 0) == 0);
  const std::string usage = std::string(ELUCID_BINARY_DIR) + "/elucid-mnist --epochs zero > " + log + " 2>&1";
  CHECK(WEXITSTATUS(std::system(usage.c_str())) == 2);
  CHECK(slurp(log).rfind("elucid-mnist: --epochs: expected a whole number from 1 to 10000, got \"zero\"", 0) == 0);
}
