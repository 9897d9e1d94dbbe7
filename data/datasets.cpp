// The built-in data sets: where each is looked for, where it comes from, and its class names.
#include <elucid/data/datasets.hpp>

#include <cstdlib>
#include <filesystem>

namespace elucid::datasets {

namespace {

// `dir` alone when given; otherwise $ELUCID_DATA/<sub> and (when `bare`) $ELUCID_DATA.
std::vector<std::string> directories(const std::string& dir, const std::string& sub, bool bare) {
  if (!dir.empty()) return {dir};
  std::vector<std::string> dirs;
  const char* env = std::getenv(kDataEnvironmentVariable);
  if (env && *env) {
    dirs.push_back((std::filesystem::path(env) / sub).string());
    if (bare) dirs.push_back(env);
  }
  return dirs;
}

std::string digits_origin(const std::string& what) {
  return what + "; name their directory with the argument or the " + kDataEnvironmentVariable +
         " environment variable";
}

}  // namespace

namespace fashion_mnist {
std::vector<std::string> class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}
TrainTest load_data(const std::string& dir) {
  std::vector<std::string> dirs;
  if (!dir.empty()) {
    dirs = {dir};
  } else {
    std::error_code ec;
    for (const std::string& d : directories("", "fashion-mnist", false))
      if (std::filesystem::is_directory(d, ec)) dirs.push_back(d);
    dirs.push_back(kPackageDirectory);
  }
  return data::load_mnist_format(
      {"Fashion-MNIST", dirs,
       "the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist puts them in " +
           std::string(kPackageDirectory) + ") or https://github.com/zalandoresearch/fashion-mnist",
       class_names()});
}
}  // namespace fashion_mnist

namespace mnist {
std::vector<std::string> class_names() { return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}; }
TrainTest load_data(const std::string& dir) {
  return data::load_mnist_format({"MNIST", directories(dir, "mnist", true),
                                  digits_origin("http://yann.lecun.com/exdb/mnist/ (mirrored at "
                                                "https://ossci-datasets.s3.amazonaws.com/mnist/)"),
                                  class_names()});
}
}  // namespace mnist

namespace kmnist {
std::vector<std::string> class_names() { return {"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"}; }
TrainTest load_data(const std::string& dir) {
  return data::load_mnist_format(
      {"KMNIST", directories(dir, "kmnist", true),
       digits_origin("https://github.com/rois-codh/kmnist (the MNIST-format .gz files)"), class_names()});
}
}  // namespace kmnist

}  // namespace elucid::datasets
