// RandomCrop: the size checks, each sample's corner drawn from its keyed generator for ops::crop2d_each, and the
// centered crop and resize (ops::crop2d, ops::resize_bilinear) at inference.
#include <elucid/layers/random_crop.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/edges.hpp>

#include <algorithm>
#include <vector>

namespace elucid::layers {

RandomCrop::RandomCrop(int64_t height, int64_t width, RandomCropOptions options)
    : Augmentation(options.seed), height_(height), width_(width), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (height_ < 1 || width_ < 1)
    throw Error(label() + ": height and width must be >= 1, got (" + std::to_string(height_) + ", " +
                std::to_string(width_) + ")");
}

Shape RandomCrop::output_shape(const Shape& input_shape) const {
  check_image_shape(input_shape, label());
  return {height_, width_, input_shape[2]};
}

Tensor RandomCrop::forward(const Tensor& x, bool training) {
  if (x.rank() != 4) throw Error(label() + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
  const int64_t h = x.dim(1), w = x.dim(2);
  if (training && h >= height_ && w >= width_) {
    const RunPosition at = position(x);
    std::vector<int64_t> tops(static_cast<size_t>(x.dim(0))), lefts(tops.size());
    for (size_t i = 0; i < tops.size(); ++i) {
      Random rng = sample_random(at, static_cast<int64_t>(i));
      tops[i] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(h - height_ + 1)));
      lefts[i] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(w - width_ + 1)));
    }
    return ops::crop2d_each(x, height_, width_, tops, lefts);
  }
  // The largest centered window with the target's aspect ratio (as Keras' smart_resize), then resized to the target.
  const ops::Margins2D window = center_window(h, w);
  Tensor y = ops::crop2d(x, window);
  const bool resize = h - window.top - window.bottom != height_ || w - window.left - window.right != width_;
  return resize ? ops::resize_bilinear(y, height_, width_) : y;
}

ops::Margins2D RandomCrop::center_window(int64_t h, int64_t w) const {
  const int64_t crop_h = std::clamp<int64_t>(w * height_ / width_, 1, h);
  const int64_t crop_w = std::clamp<int64_t>(h * width_ / height_, 1, w);
  const int64_t top = (h - crop_h) / 2, left = (w - crop_w) / 2;
  return {top, h - crop_h - top, left, w - crop_w - left};
}

}  // namespace elucid::layers
