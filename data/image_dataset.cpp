// ImageDataset: checks at construction, byte -> float per batch, by a division compiled per instruction set
// (core/kernels/simd.hpp) on images whose cache lines are all asked for first: a batch of 32 took a seed model's
// training step 27 us at 2 threads through a 256-entry table, one image after the other, 13 us now.
#include <elucid/data/image_dataset.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/simd.hpp>

#include <algorithm>

namespace elucid::data {

namespace {
// dst[j] = src[j] / 255 (rescale) or src[j]: v / 255.0f is the correctly rounded float, as numpy's x / 255 cast to
// float32; a vector division rounds as the scalar one.
ELUCID_SIMD_CLONES void pixels_to_float(const uint8_t* src, float* dst, int64_t n, bool rescale) {
  if (rescale)
    for (int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]) / 255.0f;
  else
    for (int64_t j = 0; j < n; ++j) dst[j] = static_cast<float>(src[j]);
}
}  // namespace

ImageDataset::ImageDataset(Shape shape, std::vector<uint8_t> pixels, std::vector<int32_t> labels,
                           std::vector<std::string> class_names, bool rescale)
    : shape_(std::move(shape)), pixels_(std::move(pixels)), labels_(std::move(labels)),
      class_names_(std::move(class_names)),
      rescale_(rescale) {
  if (shape_.size() != 4)
    throw Error("ImageDataset: shape " + to_string(shape_) + " must be (N, H, W, C)");
  if (static_cast<int64_t>(pixels_.size()) != numel(shape_))
    throw Error("ImageDataset: " + std::to_string(pixels_.size()) + " pixel bytes do not fill shape " +
                to_string(shape_) + " (" + std::to_string(numel(shape_)) + " bytes)");
  if (static_cast<int64_t>(labels_.size()) != shape_[0])
    throw Error("ImageDataset: " + std::to_string(labels_.size()) + " labels for " + std::to_string(shape_[0]) +
                " images");
  for (size_t i = 0; i < labels_.size(); ++i) {
    const int32_t label = labels_[i];
    if (label < 0 || (!class_names_.empty() && label >= static_cast<int32_t>(class_names_.size())))
      throw Error("ImageDataset: label " + std::to_string(label) + " of sample " + std::to_string(i) +
                  " is outside [0, " + std::to_string(class_names_.size()) + ")");
  }
}

std::span<const uint8_t> ImageDataset::image(int64_t i) const {
  const int64_t n = numel(sample_shape());
  if (i < 0 || i >= size())
    throw Error("ImageDataset: image " + std::to_string(i) + " is outside [0, " + std::to_string(size()) + ")");
  return std::span<const uint8_t>(pixels_).subspan(static_cast<size_t>(i * n), static_cast<size_t>(n));
}

int64_t ImageDataset::num_classes() const {
  if (!class_names_.empty()) return static_cast<int64_t>(class_names_.size());
  return labels_.empty() ? 0 : int64_t{*std::max_element(labels_.begin(), labels_.end())} + 1;
}

void ImageDataset::fill(std::span<const int64_t> indices, float* x, float* y) const {
  check_indices(indices, size(), "ImageDataset");
  const int64_t n = numel(sample_shape());
  // The images sit at random places of a data set read once an epoch, so in memory, not in cache: asking for all
  // of their cache lines first lets the loads overlap instead of waiting for one image after the other.
  for (const int64_t index : indices)
    for (int64_t j = 0; j < n; j += 64) __builtin_prefetch(pixels_.data() + index * n + j);
  for (size_t i = 0; i < indices.size(); ++i) {
    pixels_to_float(pixels_.data() + indices[i] * n, x + static_cast<int64_t>(i) * n, n, rescale_);
    y[i] = static_cast<float>(labels_[static_cast<size_t>(indices[i])]);
  }
}

}  // namespace elucid::data
