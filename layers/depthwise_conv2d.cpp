// DepthwiseConv2D: argument checks, output shape, weights and the forward pass through ops::depthwise_conv2d.
#include <elucid/layers/depthwise_conv2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

DepthwiseConv2D::DepthwiseConv2D(Size2D kernel_size, DepthwiseConv2DOptions options)
    : kernel_size_(kernel_size), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  args_ = conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding, label());
  if (options_.depth_multiplier < 1)
    throw Error(label() + ": depth_multiplier must be positive, got " + std::to_string(options_.depth_multiplier));
}

Shape DepthwiseConv2D::output_shape(const Shape& input_shape) const {
  // The channel count is only known from the input: window_output_shape checks it is (H, W, C) first.
  Shape out = window_output_shape(label(), input_shape, kernel_size_, options_.strides, options_.dilation_rate,
                                  args_.padding, "kernel", 1);
  out[2] = input_shape[2] * options_.depth_multiplier;
  return out;
}

void DepthwiseConv2D::create_weights(const Shape& input_shape, Random& rng) {
  kernel_ = options_.depthwise_initializer.make(
      {kernel_size_.height, kernel_size_.width, input_shape[2], options_.depth_multiplier}, rng);
  kernel_.set_requires_grad();
  if (options_.use_bias) {
    bias_ = options_.bias_initializer.make({input_shape[2] * options_.depth_multiplier}, rng);
    bias_.set_requires_grad();
  }
}

std::vector<NamedTensor> DepthwiseConv2D::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w{{name() + "/depthwise_kernel", kernel_}};
  if (options_.use_bias) w.push_back({name() + "/bias", bias_});
  return w;
}

Tensor DepthwiseConv2D::forward(const Tensor& x, bool /*training*/) {
  require_built();
  if (x.rank() != 4 || x.dim(3) != kernel_.dim(2))
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match depthwise kernel " +
                to_string(kernel_.shape()) + " (expected (N, H, W, " + std::to_string(kernel_.dim(2)) + "))");
  return options_.activation.apply(ops::depthwise_conv2d(x, kernel_, bias_, args_));
}

}  // namespace elucid::layers
