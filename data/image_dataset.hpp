// ImageDataset: images kept as uint8 (N, H, W, C) with integer class labels; a batch is converted to float when it
// is filled (pixel / 255, in [0, 1]), so 60,000 28x28 images stay 47 MB instead of 188 MB.
#pragma once
#include <elucid/data/dataset.hpp>

namespace elucid::data {

class ImageDataset : public Dataset {
 public:
  // shape is (N, H, W, C); pixels holds numel(shape) bytes; labels holds N class indices, each below
  // class_names.size() when names are given. rescale: pixel / 255 (true) or raw 0..255 (false: what Keras'
  // image_dataset_from_directory yields before a Rescaling layer). Throws elucid::Error on any mismatch.
  ImageDataset(Shape shape, std::vector<uint8_t> pixels, std::vector<int32_t> labels,
               std::vector<std::string> class_names = {}, bool rescale = true);

  int64_t size() const override { return shape_[0]; }
  Shape sample_shape() const override { return Shape(shape_.begin() + 1, shape_.end()); }
  Shape label_shape() const override { return {}; }
  void fill(std::span<const int64_t> indices, float* x, float* y) const override;
  std::vector<std::string> class_names() const override { return class_names_; }

  const Shape& shape() const { return shape_; }                  // (N, H, W, C)
  std::span<const uint8_t> pixels() const { return pixels_; }    // all images, row-major
  std::span<const uint8_t> image(int64_t i) const;               // H * W * C bytes of image i
  const std::vector<int32_t>& labels() const { return labels_; }
  int64_t num_classes() const;  // class_names().size(), or the largest label + 1 without names

 private:
  Shape shape_;
  std::vector<uint8_t> pixels_;
  std::vector<int32_t> labels_;
  std::vector<std::string> class_names_;
  bool rescale_;
};

}  // namespace elucid::data
