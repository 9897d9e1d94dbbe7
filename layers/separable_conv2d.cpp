// SeparableConv2D: argument checks, output shape, weights and the forward pass, ops::depthwise_conv2d and then a
// 1x1 ops::conv2d carrying the bias.
#include <elucid/layers/separable_conv2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

SeparableConv2D::SeparableConv2D(int filters, Size2D kernel_size, SeparableConv2DOptions options)
    : filters_(filters), kernel_size_(kernel_size), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (filters_ < 1) throw Error(label() + ": filters must be positive, got " + std::to_string(filters_));
  args_ = conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding, label());
  if (options_.depth_multiplier < 1)
    throw Error(label() + ": depth_multiplier must be positive, got " + std::to_string(options_.depth_multiplier));
}

Shape SeparableConv2D::output_shape(const Shape& input_shape) const {
  return window_output_shape(label(), input_shape, kernel_size_, options_.strides, options_.dilation_rate,
                             args_.padding, "kernel", filters_);
}

void SeparableConv2D::create_weights(const Shape& input_shape, Random& rng) {
  const int64_t channels = input_shape[2], depth = input_shape[2] * options_.depth_multiplier;
  depthwise_kernel_ = options_.depthwise_initializer.make(
      {kernel_size_.height, kernel_size_.width, channels, options_.depth_multiplier}, rng);
  depthwise_kernel_.set_requires_grad();
  pointwise_kernel_ = options_.pointwise_initializer.make({1, 1, depth, filters_}, rng);
  pointwise_kernel_.set_requires_grad();
  if (options_.use_bias) {
    bias_ = options_.bias_initializer.make({filters_}, rng);
    bias_.set_requires_grad();
  }
}

std::vector<NamedTensor> SeparableConv2D::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w{{name() + "/depthwise_kernel", depthwise_kernel_},
                             {name() + "/pointwise_kernel", pointwise_kernel_}};
  if (options_.use_bias) w.push_back({name() + "/bias", bias_});
  return w;
}

Tensor SeparableConv2D::forward(const Tensor& x, bool /*training*/) {
  require_built();
  if (x.rank() != 4 || x.dim(3) != depthwise_kernel_.dim(2))
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match depthwise kernel " +
                to_string(depthwise_kernel_.shape()) + " (expected (N, H, W, " +
                std::to_string(depthwise_kernel_.dim(2)) + "))");
  const Tensor depthwise = ops::depthwise_conv2d(x, depthwise_kernel_, Tensor(), args_);
  ops::Conv2DArgs pointwise;
  pointwise.bf16_products = computes_in_bfloat16();  // the depthwise product stays float32 (on bfloat16 inputs)
  return options_.activation.apply(ops::conv2d(depthwise, pointwise_kernel_, bias_, pointwise));
}

}  // namespace elucid::layers
