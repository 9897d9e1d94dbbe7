// UpSampling2D: (N, H, W, C) -> (N, H * size.height, W * size.width, C), as tf.keras.layers.UpSampling2D: with
// interpolation "nearest" (the default) each pixel repeated size.height x size.width times; with "bilinear" the image
// resized bilinearly, half-pixel centers, as tf.image.resize (output row i reads input row (i + 0.5) / size - 0.5,
// clamped to the image).
#pragma once
#include <elucid/layers/layer.hpp>
#include <elucid/layers/window.hpp>

namespace elucid::layers {

struct UpSampling2DOptions {
  std::string interpolation = "nearest";  // or "bilinear"; "bicubic", "lanczos3", ... are refused
  Shape input_shape = {};                 // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// UpSampling2D(2), UpSampling2D({2, 3}), UpSampling2D(2, {.interpolation = "bilinear"}).
class UpSampling2D : public Layer {
 public:
  explicit UpSampling2D(Size2D size = {2, 2}, UpSampling2DOptions options = {});
  std::string class_name() const override { return "UpSampling2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<UpSampling2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "up_sampling2d"; }
  Size2D size() const { return size_; }
  const UpSampling2DOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // (7, 7, 64) with size 2 -> (14, 14, 64)
  Tensor forward(const Tensor& x, bool training) override;      // x (N, H, W, C)

 private:
  Size2D size_;
  UpSampling2DOptions options_;
};

}  // namespace elucid::layers
