// BatchNormalization over the channels (last) axis, as tf.keras.layers.BatchNormalization.
// Training: normalise with the batch's mean and (biased) variance and update the moving statistics,
// moving = moving * momentum + batch * (1 - momentum). Inference: normalise with the moving statistics.
#pragma once
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct BatchNormalizationOptions {
  int axis = -1;  // only the last axis (channels_last) is supported
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // learn beta (an offset)
  bool scale = true;   // learn gamma (a factor)
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class BatchNormalization : public Layer {
 public:
  // momentum outside [0, 1] or epsilon <= 0 throws.
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  std::string class_name() const override { return "BatchNormalization"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<BatchNormalization>(std::move(*this)); }
  bool needs_whole_batch() const override { return true; }
  std::string default_name_stem() const override { return "batch_normalization"; }
  const BatchNormalizationOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // the same shape; axis must be the last
  // y = gamma * (x - mean) / sqrt(var + epsilon) + beta, per channel.
  Tensor forward(const Tensor& x, bool training) override;
  // relu(forward(x)) in one op (ops::batch_norm_relu).
  std::optional<Tensor> call_then_relu(std::span<const Tensor> inputs, bool training) override;
  // gamma, beta (each (C), when scale / center); then moving_mean, moving_variance (C), updated by forward().
  std::vector<NamedTensor> trainable_weights() override;
  std::vector<NamedTensor> non_trainable_weights() override;

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  Tensor normalize(const Tensor& x, bool training, bool relu);  // forward(), then max(y, 0) when `relu`

  BatchNormalizationOptions options_;
  Tensor gamma_, beta_, moving_mean_, moving_variance_;  // gamma_ / beta_ stay constant ones / zeros when off
};

}  // namespace elucid::layers
