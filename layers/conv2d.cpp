// Conv2D: argument checks, output shape, weights and the forward pass through ops::conv2d (ops::conv2d_elu, fused,
// when the activation is ELU).
#include <elucid/layers/conv2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>

namespace elucid::layers {

Conv2D::Conv2D(int filters, Size2D kernel_size, Conv2DOptions options)
    : filters_(filters), kernel_size_(kernel_size), options_(std::move(options)) {
  set_name_and_input_shape(options_.name, options_.input_shape);
  if (filters_ < 1) throw Error(label() + ": filters must be positive, got " + std::to_string(filters_));
  args_ = conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding, label());
}

Shape Conv2D::output_shape(const Shape& input_shape) const {
  return window_output_shape(label(), input_shape, kernel_size_, options_.strides, options_.dilation_rate,
                             args_.padding, "kernel", filters_);
}

void Conv2D::create_weights(const Shape& input_shape, Random& rng) {
  kernel_ = options_.kernel_initializer.make({kernel_size_.height, kernel_size_.width, input_shape[2], filters_}, rng);
  kernel_.set_requires_grad();
  if (options_.use_bias) {
    bias_ = options_.bias_initializer.make({filters_}, rng);
    bias_.set_requires_grad();
  }
}

std::vector<NamedTensor> Conv2D::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w{{name() + "/kernel", kernel_}};
  if (options_.use_bias) w.push_back({name() + "/bias", bias_});
  return w;
}

Tensor Conv2D::forward(const Tensor& x, bool /*training*/) {
  require_built();
  if (x.rank() != 4 || x.dim(3) != kernel_.dim(2))
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match kernel " + to_string(kernel_.shape()) +
                " (expected (N, H, W, " + std::to_string(kernel_.dim(2)) + "))");
  if (options_.activation.kind() == activations::Kind::Elu)  // fused: one pass over each chunk's output
    return ops::conv2d_elu(x, kernel_, bias_, args_, static_cast<float>(options_.activation.alpha()));
  return options_.activation.apply(ops::conv2d(x, kernel_, bias_, args_));
}

}  // namespace elucid::layers
