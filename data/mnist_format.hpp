// MNIST-format data sets: an IDX images file and an IDX labels file become one ImageDataset, and a folder holding
// the four standard files (train/t10k images/labels, raw or .gz) becomes {train, test}.
#pragma once
#include <elucid/data/image_dataset.hpp>

#include <memory>
#include <string>
#include <vector>

namespace elucid::data {

// Images (N, H, W) or (N, H, W, C) and labels (N), each label below class_names.size() when names are given.
// Images and labels of different counts are an error naming both files.
std::shared_ptr<ImageDataset> load_idx_images(const std::string& images_path, const std::string& labels_path,
                                              std::vector<std::string> class_names = {});

struct TrainTest {  // usable as auto [train, test] = ...
  std::shared_ptr<ImageDataset> train;
  std::shared_ptr<ImageDataset> test;
};

// Where a named MNIST-format data set may be and where its files come from, for the error when they are not there.
struct MnistFormatSource {
  std::string name;                      // "Fashion-MNIST"
  std::vector<std::string> directories;  // tried in order; the first holding all four files wins
  std::string origin;                    // "the Debian package dataset-fashion-mnist, or https://..."
  std::vector<std::string> class_names;
};

// The standard file names, looked for raw and with .gz in each directory.
inline const std::vector<std::string> kMnistFileNames = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

TrainTest load_mnist_format(const MnistFormatSource& source);

}  // namespace elucid::data
