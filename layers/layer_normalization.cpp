// LayerNormalization: argument checks, weights and the forward pass through ops::layer_norm.
#include <elucid/layers/layer_normalization.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

LayerNormalization::LayerNormalization(LayerNormalizationOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (options_.axis != -1)
    throw Error(label() + ": axis " + std::to_string(options_.axis) + " is not supported (only -1, the last axis)");
  if (!(options_.epsilon > 0)) throw Error(label() + ": epsilon must be > 0, got " + format_number(options_.epsilon));
}

Shape LayerNormalization::output_shape(const Shape& input_shape) const {
  if (input_shape.empty() || input_shape.back() < 1)
    throw Error(label() + ": expects an input with a last axis, got " + to_string(input_shape));
  return input_shape;
}

void LayerNormalization::create_weights(const Shape& input_shape, Random& rng) {
  if (options_.scale) {
    gamma_ = options_.gamma_initializer.make({input_shape.back()}, rng);
    gamma_.set_requires_grad();
  }
  if (options_.center) {
    beta_ = options_.beta_initializer.make({input_shape.back()}, rng);
    beta_.set_requires_grad();
  }
}

std::vector<NamedTensor> LayerNormalization::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w;
  if (options_.scale) w.push_back({name() + "/gamma", gamma_});
  if (options_.center) w.push_back({name() + "/beta", beta_});
  return w;
}

Tensor LayerNormalization::forward(const Tensor& x, bool /*training*/) {
  require_built();
  const Shape& sample = *built_input_shape();
  if (x.rank() != static_cast<int64_t>(sample.size()) + 1 || x.dim(x.rank() - 1) != sample.back())
    throw Error(label() + ": input " + to_string(x.shape()) + " does not match its built sample shape " +
                to_string(sample));
  return ops::layer_norm(x, gamma_, beta_, static_cast<float>(options_.epsilon));
}

}  // namespace elucid::layers
