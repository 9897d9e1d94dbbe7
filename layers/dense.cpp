// Dense: output shape, weights, and the forward pass matmul + bias_add + activation.
#include <elucid/layers/dense.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

Dense::Dense(int units, DenseOptions options) : units_(units), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (units_ < 1) throw Error(label() + ": units must be positive, got " + std::to_string(units_));
}

namespace {
DenseOptions with_activation(DenseOptions options, activations::Activation activation) {
  if (!options.activation.is_linear())
    throw Error("Dense" + (options.name.empty() ? "" : " \"" + options.name + "\"") + ": the activation is given twice, \"" +
                activation.name() + "\" and .activation = \"" + options.activation.name() + "\"; give one");
  options.activation = std::move(activation);
  return options;
}
}  // namespace

Dense::Dense(int units, activations::Activation activation, DenseOptions options)
    : Dense(units, with_activation(std::move(options), std::move(activation))) {}

Shape Dense::output_shape(const Shape& input_shape) const {
  if (input_shape.empty() || input_shape.back() < 1)
    throw Error(label() + ": expects input (..., features) with features >= 1, got " + to_string(input_shape));
  Shape out = input_shape;
  out.back() = units_;
  return out;
}

void Dense::create_weights(const Shape& input_shape, Random& rng) {
  kernel_ = options_.kernel_initializer.make({input_shape.back(), units_}, rng);
  kernel_.set_requires_grad();
  if (options_.use_bias) {
    bias_ = options_.bias_initializer.make({units_}, rng);
    bias_.set_requires_grad();
  }
}

std::vector<NamedTensor> Dense::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w{{name() + "/kernel", kernel_}};
  if (options_.use_bias) w.push_back({name() + "/bias", bias_});
  return w;
}

Tensor Dense::forward(const Tensor& x, bool /*training*/) {
  require_built();
  const int64_t in = kernel_.dim(0);
  if (x.rank() < 2 || x.dim(-1) != in)
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match kernel " + to_string(kernel_.shape()));
  // (N, ..., in) is multiplied as (N * ..., in) and given its leading axes back afterwards.
  Tensor rows = x.rank() == 2 ? x : ops::reshape(x, {x.size() / in, in});
  Tensor y = ops::matmul(rows, kernel_, computes_in_bfloat16());
  if (options_.use_bias) y = ops::bias_add(y, bias_);
  if (x.rank() > 2) {
    Shape out = x.shape();
    out.back() = units_;
    y = ops::reshape(y, out);
  }
  return options_.activation.apply(y);
}

}  // namespace elucid::layers
