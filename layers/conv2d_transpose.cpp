// Conv2DTranspose: argument checks, output shape, weights and the forward pass through ops::conv2d_transpose.
#include <elucid/layers/conv2d_transpose.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

Conv2DTranspose::Conv2DTranspose(int filters, Size2D kernel_size, Conv2DTransposeOptions options)
    : filters_(filters), kernel_size_(kernel_size), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (filters_ < 1) throw Error(label() + ": filters must be positive, got " + std::to_string(filters_));
  args_ = conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding, label());
  if (options_.dilation_rate != Size2D(1, 1))
    throw Error(label() + ": dilation_rate " + size_string(options_.dilation_rate) + " is not supported (only 1)");
  if (options_.groups != 1)
    throw Error(label() + ": groups " + std::to_string(options_.groups) + " is not supported (only 1)");
}

Shape Conv2DTranspose::output_shape(const Shape& input_shape) const {
  if (input_shape.size() != 3 || input_shape[0] < 1 || input_shape[1] < 1 || input_shape[2] < 1)
    throw Error(label() + ": expects input (H, W, C), got " + to_string(input_shape));
  return {ops::transposed_output_size(input_shape[0], kernel_size_.height, args_.stride_h, args_.padding),
          ops::transposed_output_size(input_shape[1], kernel_size_.width, args_.stride_w, args_.padding), filters_};
}

void Conv2DTranspose::create_weights(const Shape& input_shape, Random& rng) {
  kernel_ = options_.kernel_initializer.make({kernel_size_.height, kernel_size_.width, filters_, input_shape[2]}, rng);
  kernel_.set_requires_grad();
  if (options_.use_bias) {
    bias_ = options_.bias_initializer.make({filters_}, rng);
    bias_.set_requires_grad();
  }
}

std::vector<NamedTensor> Conv2DTranspose::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w{{name() + "/kernel", kernel_}};
  if (options_.use_bias) w.push_back({name() + "/bias", bias_});
  return w;
}

Tensor Conv2DTranspose::forward(const Tensor& x, bool /*training*/) {
  require_built();
  if (x.rank() != 4 || x.dim(3) != kernel_.dim(3))
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match kernel " + to_string(kernel_.shape()) +
                " (expected (N, H, W, " + std::to_string(kernel_.dim(3)) + "))");
  return options_.activation.apply(ops::conv2d_transpose(x, kernel_, bias_, args_));
}

}  // namespace elucid::layers
