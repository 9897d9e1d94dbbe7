// SeparableConv2D: a depthwise convolution (each input channel on its own, depth_multiplier kernels) followed by a
// pointwise 1x1 convolution that mixes the channels, as tf.keras.layers.SeparableConv2D (channels_last).
#pragma once
#include <elucid/layers/activations.hpp>
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/layers/window.hpp>

namespace elucid::layers {

// Keras' keyword arguments with Keras' defaults, in this order for designated initializers:
// SeparableConv2D(64, 3, {.padding = "same", .activation = "relu"}).
struct SeparableConv2DOptions {
  Size2D strides = {1, 1};        // of the depthwise step; the pointwise step has strides 1
  std::string padding = "valid";  // "valid" or "same", of the depthwise step
  Size2D dilation_rate = {1, 1};
  int depth_multiplier = 1;  // depthwise output channels per input channel
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer pointwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Shape input_shape = {};  // (H, W, C) for the first layer of a model; empty: not given
  std::string name = {};   // empty: the Sequential names it separable_conv2d, separable_conv2d_1, ...
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class SeparableConv2D : public Layer {
 public:
  // Throws naming the layer when filters, a kernel side, stride, dilation or the depth multiplier is < 1, or the
  // padding is unknown.
  SeparableConv2D(int filters, Size2D kernel_size, SeparableConv2DOptions options = {});

  std::string class_name() const override { return "SeparableConv2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<SeparableConv2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "separable_conv2d"; }
  int filters() const { return filters_; }
  Size2D kernel_size() const { return kernel_size_; }
  const SeparableConv2DOptions& options() const { return options_; }

  // (H, W, C) -> (OH, OW, filters), OH and OW as Conv2D's with the same kernel, strides, padding and dilation.
  Shape output_shape(const Shape& input_shape) const override;
  // x (N, H, W, C) -> activation(conv2d(depthwise_conv2d(x, depthwise_kernel), pointwise_kernel) + bias).
  Tensor forward(const Tensor& x, bool training) override;
  // depthwise_kernel (KH, KW, C, depth_multiplier), pointwise_kernel (1, 1, C * depth_multiplier, filters),
  // bias (filters): Keras' names and order.
  std::vector<NamedTensor> trainable_weights() override;

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  int filters_;
  Size2D kernel_size_;
  SeparableConv2DOptions options_;
  ops::Conv2DArgs args_;  // the depthwise step's
  Tensor depthwise_kernel_, pointwise_kernel_, bias_;
};

}  // namespace elucid::layers
