// RandomCrop: (N, H, W, C) -> (N, height, width, C). In training, each sample's own (height, width) window, its
// top-left corner uniform over the places it fits; at inference (and in training when the image is smaller than the
// window), the largest centered window of the target's aspect ratio, resized bilinearly to (height, width), as
// Keras documents it (smart_resize). As keras.layers.RandomCrop, channels_last.
//
// Sample i draws its top, then its left, with below(H - height + 1) and below(W - width + 1) from its keyed generator
// (layers/augmentation.hpp). Keras draws one corner for the whole batch; elucid one per sample. Keras 3 random-crops
// only when both sides are larger than the window (center-crops when one side is equal); elucid, as tf.keras 2.x,
// when both fit. Keras 3's code at inference returns the input uncropped, against its documentation and its own
// output shape; elucid does what the documentation says.
#pragma once
#include <elucid/core/ops.hpp>
#include <elucid/layers/augmentation.hpp>

namespace elucid::layers {

// RandomCrop(24, 24, {.seed = 42}).
struct RandomCropOptions {
  std::optional<uint64_t> seed = {};  // unset: build() draws the layer's seed from the model's generator
  Shape input_shape = {};             // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class RandomCrop : public Augmentation {
 public:
  RandomCrop(int64_t height, int64_t width, RandomCropOptions options = {});  // sizes >= 1, else throws
  std::string class_name() const override { return "RandomCrop"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<RandomCrop>(std::move(*this)); }
  std::string default_name_stem() const override { return "random_crop"; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  const RandomCropOptions& options() const { return options_; }

  // The inference window of an (h, w) image: the largest centered one with the target's aspect ratio, as margins
  // (the ONNX export crops the same rows and columns).
  ops::Margins2D center_window(int64_t h, int64_t w) const;

  Shape output_shape(const Shape& input_shape) const override;  // (H, W, C) -> (height, width, C)
  Tensor forward(const Tensor& x, bool training) override;      // x (N, H, W, C)

 private:
  int64_t height_, width_;
  RandomCropOptions options_;
};

}  // namespace elucid::layers
