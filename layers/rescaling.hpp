// Rescaling: y = x * scale + offset elementwise, as tf.keras.layers.Rescaling (Rescaling(1.0 / 255) takes pixel
// values 0..255 to [0, 1]; Rescaling(1.0 / 127.5, {.offset = -1}) to [-1, 1]).
#pragma once
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

struct RescalingOptions {
  double offset = 0.0;
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Rescaling : public Layer {
 public:
  explicit Rescaling(double scale, RescalingOptions options = {});  // scale and offset must be finite
  std::string class_name() const override { return "Rescaling"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Rescaling>(std::move(*this)); }
  std::string default_name_stem() const override { return "rescaling"; }
  double scale() const { return scale_; }
  const RescalingOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  // x * float(scale), then + float(offset): two float roundings, as Keras computes it in float32.
  Tensor forward(const Tensor& x, bool training) override;

 private:
  double scale_;  // kept in double, so that Keras JSON writes back the number it read
  RescalingOptions options_;
};

}  // namespace elucid::layers
