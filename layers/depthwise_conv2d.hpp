// DepthwiseConv2D: each input channel convolved on its own with depth_multiplier kernels, (N, H, W, C) ->
// (N, OH, OW, C * depth_multiplier), as tf.keras.layers.DepthwiseConv2D (channels_last).
#pragma once
#include <elucid/layers/activations.hpp>
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/layers/window.hpp>

namespace elucid::layers {

// Keras' keyword arguments with Keras' defaults, in this order for designated initializers:
// DepthwiseConv2D(3, {.padding = "same", .depth_multiplier = 2, .activation = "relu"}).
struct DepthwiseConv2DOptions {
  Size2D strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same"
  int depth_multiplier = 1;       // output channels per input channel
  Size2D dilation_rate = {1, 1};
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Shape input_shape = {};  // (H, W, C) for the first layer of a model; empty: not given
  std::string name = {};   // empty: the Sequential names it depthwise_conv2d, depthwise_conv2d_1, ...
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class DepthwiseConv2D : public Layer {
 public:
  // Throws naming the layer when a kernel side, stride, dilation or the depth multiplier is < 1, or the padding is
  // unknown.
  explicit DepthwiseConv2D(Size2D kernel_size, DepthwiseConv2DOptions options = {});

  std::string class_name() const override { return "DepthwiseConv2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<DepthwiseConv2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "depthwise_conv2d"; }
  Size2D kernel_size() const { return kernel_size_; }
  const DepthwiseConv2DOptions& options() const { return options_; }

  // (H, W, C) -> (OH, OW, C * depth_multiplier), OH and OW as Conv2D's.
  Shape output_shape(const Shape& input_shape) const override;
  // x (N, H, W, C) -> activation(depthwise_conv2d(x, depthwise_kernel) + bias).
  Tensor forward(const Tensor& x, bool training) override;
  // depthwise_kernel (KH, KW, C, depth_multiplier), bias (C * depth_multiplier): Keras' names and order.
  std::vector<NamedTensor> trainable_weights() override;

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  Size2D kernel_size_;
  DepthwiseConv2DOptions options_;
  ops::Conv2DArgs args_;
  Tensor kernel_, bias_;
};

}  // namespace elucid::layers
