// Conv2D: argument checks, output shape, weights and the forward pass through ops::conv2d (ops::conv2d_elu, fused,
// when the activation is ELU; ops::conv2d_max_pool and the activation after it when a MaxPooling2D follows).
#include <elucid/layers/conv2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>
#include <elucid/layers/pooling.hpp>

namespace elucid::layers {

Conv2D::Conv2D(int filters, Size2D kernel_size, Conv2DOptions options)
    : filters_(filters), kernel_size_(kernel_size), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (filters_ < 1) throw Error(label() + ": filters must be positive, got " + std::to_string(filters_));
  args_ = conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding, label());
  const int groups = options_.groups;
  if (groups < 1) throw Error(label() + ": groups must be positive, got " + std::to_string(groups));
  if (filters_ % groups != 0)
    throw Error(label() + ": groups " + std::to_string(groups) + " does not divide filters " +
                std::to_string(filters_));
  args_.groups = groups;
}

Shape Conv2D::output_shape(const Shape& input_shape) const {
  Shape out = window_output_shape(label(), input_shape, kernel_size_, options_.strides, options_.dilation_rate,
                                  args_.padding, "kernel", filters_);
  if (input_shape[2] % options_.groups != 0)
    throw Error(label() + ": groups " + std::to_string(options_.groups) + " does not divide the input's " +
                std::to_string(input_shape[2]) + " channels (input " + to_string(input_shape) + ")");
  return out;
}

void Conv2D::create_weights(const Shape& input_shape, Random& rng) {
  // Keras' grouped kernel: (KH, KW, C / groups, F), its fans those of that shape.
  kernel_ = options_.kernel_initializer.make(
      {kernel_size_.height, kernel_size_.width, input_shape[2] / options_.groups, filters_}, rng);
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

ops::Conv2DArgs Conv2D::args_for(const Tensor& x) const {
  require_built();
  const int64_t channels = kernel_.dim(2) * options_.groups;
  if (x.rank() != 4 || x.dim(3) != channels)
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match kernel " + to_string(kernel_.shape()) +
                " (expected (N, H, W, " + std::to_string(channels) + "))");
  ops::Conv2DArgs args = args_;
  args.bf16_products = computes_in_bfloat16();
  return args;
}

Tensor Conv2D::forward(const Tensor& x, bool /*training*/) {
  const ops::Conv2DArgs args = args_for(x);
  if (options_.activation.kind() == activations::Kind::Elu)  // fused: one pass over each chunk's output
    return ops::conv2d_elu(x, kernel_, bias_, args, static_cast<float>(options_.activation.alpha()));
  return options_.activation.apply(ops::conv2d(x, kernel_, bias_, args));
}

std::optional<Tensor> Conv2D::call_then_max_pool(const Tensor& x, Layer& pool, bool training) {
  const activations::Activation& f = options_.activation;
  if (f.is_linear() || !f.is_non_decreasing()) return std::nullopt;
  // MaxPooling2D pools each batch chunk of the convolution while it is in cache (ops::conv2d_max_pool): what
  // pool.call would do, without storing the convolution's outputs.
  if (const auto* windows = dynamic_cast<const MaxPooling2D*>(&pool))
    return f.apply(ops::conv2d_max_pool(x, kernel_, bias_, args_for(x), windows->args()));
  return f.apply(pool.call(ops::conv2d(x, kernel_, bias_, args_for(x)), training));
}

}  // namespace elucid::layers
