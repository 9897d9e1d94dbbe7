// LayerNormalization over the last axis, as tf.keras.layers.LayerNormalization (axis -1): each sample's values along
// that axis normalised by their own mean and variance, then scaled by gamma and shifted by beta (one per position of
// the axis). The same in training and inference; no moving statistics.
#pragma once
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Keras' keyword arguments with Keras' defaults, in this order for designated initializers.
struct LayerNormalizationOptions {
  int axis = -1;  // only the last axis is supported
  double epsilon = 1e-3;
  bool center = true;  // learn beta (an offset)
  bool scale = true;   // learn gamma (a factor)
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class LayerNormalization : public Layer {
 public:
  // axis other than -1 or epsilon <= 0 throws.
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  std::string class_name() const override { return "LayerNormalization"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<LayerNormalization>(std::move(*this)); }
  std::string default_name_stem() const override { return "layer_normalization"; }
  const LayerNormalizationOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // the same shape
  // y = (x - mean) / sqrt(variance + epsilon) * gamma + beta over the last axis of each sample.
  Tensor forward(const Tensor& x, bool training) override;
  std::vector<NamedTensor> trainable_weights() override;  // gamma, beta (each the last axis' size, when scale / center)

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  LayerNormalizationOptions options_;
  Tensor gamma_, beta_;  // undefined when scale / center is off
};

}  // namespace elucid::layers
