// Image grid: test images in a PNG with their predicted labels, mistakes framed in red with the (true label) below,
// so a person sees at a glance what the model gets right and wrong.
#pragma once
#include <elucid/core/tensor.hpp>

#include <string>
#include <vector>

namespace elucid::report {

struct ImageGridOptions {
  int columns = 10;
  int scale = 4;         // each pixel becomes scale x scale
  std::string title = {};
};

// images (N, H, W, C) in [0, 1] with C 1 or 3; predictions (N, classes) scores; labels (N). Returns PNG bytes.
std::string image_grid_png(const Tensor& images, const Tensor& predictions, const Tensor& labels,
                           const std::vector<std::string>& class_names, const ImageGridOptions& options = {});

}  // namespace elucid::report
