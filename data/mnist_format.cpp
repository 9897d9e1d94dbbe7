// MNIST-format loading: find the four files, read them with read_idx, check that images and labels agree.
#include <elucid/data/mnist_format.hpp>

#include <elucid/core/error.hpp>
#include <elucid/data/idx.hpp>

#include <filesystem>

namespace elucid::data {

namespace fs = std::filesystem;

std::shared_ptr<ImageDataset> load_idx_images(const std::string& images_path, const std::string& labels_path,
                                              std::vector<std::string> class_names) {
  IdxArray images = read_idx(images_path);
  if (images.shape.size() != 3 && images.shape.size() != 4)
    throw Error(images_path + ": images must be (N, H, W) or (N, H, W, C), the file holds " +
                to_string(images.shape));
  IdxArray labels = read_idx(labels_path);
  if (labels.shape.size() != 1)
    throw Error(labels_path + ": labels must be one dimension (N), the file holds " + to_string(labels.shape));
  if (labels.shape[0] != images.shape[0])
    throw Error("images and labels disagree: " + images_path + " holds " + std::to_string(images.shape[0]) +
                " images, " + labels_path + " holds " + std::to_string(labels.shape[0]) + " labels");
  const auto classes = static_cast<int64_t>(class_names.size());
  std::vector<int32_t> label_values(labels.values.size());
  for (size_t i = 0; i < labels.values.size(); ++i) {
    label_values[i] = labels.values[i];
    if (classes > 0 && label_values[i] >= classes)
      throw Error(labels_path + ": label " + std::to_string(label_values[i]) + " of item " + std::to_string(i) +
                  " is outside the " + std::to_string(classes) + " classes");
  }
  Shape shape = images.shape;
  if (shape.size() == 3) shape.push_back(1);  // (N, H, W) -> (N, H, W, 1), channels last
  return std::make_shared<ImageDataset>(shape, std::move(images.values), std::move(label_values),
                                        std::move(class_names));
}

namespace {
// The path of `name` in `dir`, raw preferred over .gz; empty when neither is a regular file.
std::string find_file(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (const std::string& candidate : {name, name + ".gz"})
    if (fs::is_regular_file(dir / candidate, ec)) return (dir / candidate).string();
  return {};
}
}  // namespace

TrainTest load_mnist_format(const MnistFormatSource& source) {
  std::string report;
  for (const std::string& dir : source.directories) {
    std::vector<std::string> paths, missing;
    for (const std::string& name : kMnistFileNames) {
      paths.push_back(find_file(dir, name));
      if (paths.back().empty()) missing.push_back(name);
    }
    if (missing.empty())
      return {load_idx_images(paths[0], paths[1], source.class_names),
              load_idx_images(paths[2], paths[3], source.class_names)};
    std::error_code ec;
    report += (report.empty() ? " " : "; ") + dir + ": ";
    if (!fs::is_directory(dir, ec)) {
      report += "no such directory";
    } else {
      report += "missing";
      for (const std::string& m : missing) report += " " + m;
    }
  }
  if (source.directories.empty()) report = " (no directory given)";
  std::string looked_for;
  for (const std::string& name : kMnistFileNames) looked_for += (looked_for.empty() ? "" : ", ") + name;
  throw Error(source.name + ": the MNIST-format files were not found. Looked for " + looked_for +
              " (each raw or .gz) in:" + report + ". These files come from " + source.origin);
}

}  // namespace elucid::data
