// Conv2D: a 2-D convolution over (N, H, W, C) images, as tf.keras.layers.Conv2D (channels_last).
#pragma once
#include <elucid/layers/activations.hpp>
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/layers/window.hpp>

namespace elucid::layers {

// Keras' keyword arguments with Keras' defaults. Designated initializers must follow this order:
// Conv2D(32, {3, 3}, {.padding = "same", .activation = "elu", .input_shape = {28, 28, 1}}).
struct Conv2DOptions {
  Size2D strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same"
  Size2D dilation_rate = {1, 1};
  int groups = 1;  // G divides the input channels and filters; each group of F / G filters sees C / G channels
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Shape input_shape = {};  // (H, W, C) for the first layer of a model; empty: not given
  std::string name = {};   // empty: the Sequential names it conv2d, conv2d_1, ...
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Conv2D : public Layer {
 public:
  // Throws naming the layer when filters < 1, a kernel side, stride or dilation is < 1, the padding is unknown, or
  // groups is < 1 or does not divide filters.
  Conv2D(int filters, Size2D kernel_size, Conv2DOptions options = {});

  std::string class_name() const override { return "Conv2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Conv2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "conv2d"; }
  bool autocast_inputs() const override { return false; }  // its products round their operands to bfloat16
  int filters() const { return filters_; }
  Size2D kernel_size() const { return kernel_size_; }
  const Conv2DOptions& options() const { return options_; }

  // (H, W, C) -> (OH, OW, filters); valid: OH = floor((H - dilated KH) / stride) + 1, same: ceil(H / stride).
  // Throws naming the layer when groups does not divide C.
  Shape output_shape(const Shape& input_shape) const override;
  // x (N, H, W, C) -> activation(conv2d(x, kernel) + bias), the bias fused into the convolution.
  Tensor forward(const Tensor& x, bool training) override;
  // Followed by max-pooling and with a non-decreasing activation: conv2d, then the pooling, then the activation.
  std::optional<Tensor> call_then_max_pool(const Tensor& x, Layer& pool, bool training) override;
  std::vector<NamedTensor> trainable_weights() override;  // kernel (KH, KW, C / groups, filters), bias (filters)

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  // The convolution's arguments for input x (bfloat16 products under a mixed policy); throws naming the layer when
  // x does not match the kernel.
  ops::Conv2DArgs args_for(const Tensor& x) const;

  int filters_;
  Size2D kernel_size_;
  Conv2DOptions options_;
  ops::Conv2DArgs args_;
  Tensor kernel_, bias_;
};

}  // namespace elucid::layers
