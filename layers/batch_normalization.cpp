// BatchNormalization: option checks, the four per-channel weights, and ops::batch_norm.
#include <elucid/layers/batch_normalization.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>

namespace elucid::layers {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (!(options_.momentum >= 0.0 && options_.momentum <= 1.0))
    throw Error(label() + ": momentum must be in [0, 1], got " + format_number(options_.momentum));
  if (!(options_.epsilon > 0.0))
    throw Error(label() + ": epsilon must be positive, got " + format_number(options_.epsilon));
}

Shape BatchNormalization::output_shape(const Shape& input_shape) const {
  if (input_shape.empty() || input_shape.back() < 1)
    throw Error(label() + ": expects input (..., channels) with channels >= 1, got " + to_string(input_shape));
  // With the batch axis, the last axis is input_shape.size(); Keras also spells it -1.
  const int last = static_cast<int>(input_shape.size());
  if (options_.axis != -1 && options_.axis != last)
    throw Error(label() + ": only the last axis (-1 or " + std::to_string(last) + ") is supported, got axis " +
                std::to_string(options_.axis));
  return input_shape;
}

void BatchNormalization::create_weights(const Shape& input_shape, Random& rng) {
  const Shape channels{input_shape.back()};
  gamma_ = options_.scale ? options_.gamma_initializer.make(channels, rng) : Tensor::ones(channels);
  beta_ = options_.center ? options_.beta_initializer.make(channels, rng) : Tensor::zeros(channels);
  if (options_.scale) gamma_.set_requires_grad();
  if (options_.center) beta_.set_requires_grad();
  moving_mean_ = options_.moving_mean_initializer.make(channels, rng);
  moving_variance_ = options_.moving_variance_initializer.make(channels, rng);
}

std::vector<NamedTensor> BatchNormalization::trainable_weights() {
  if (!built()) return {};
  std::vector<NamedTensor> w;
  if (options_.scale) w.push_back({name() + "/gamma", gamma_});
  if (options_.center) w.push_back({name() + "/beta", beta_});
  return w;
}

std::vector<NamedTensor> BatchNormalization::non_trainable_weights() {
  if (!built()) return {};
  return {{name() + "/moving_mean", moving_mean_}, {name() + "/moving_variance", moving_variance_}};
}

Tensor BatchNormalization::forward(const Tensor& x, bool training) { return normalize(x, training, false); }

std::optional<Tensor> BatchNormalization::call_then_relu(std::span<const Tensor> inputs, bool training) {
  if (inputs.size() != 1) return std::nullopt;
  return normalize(autocast(inputs[0]), training, true);
}

Tensor BatchNormalization::normalize(const Tensor& x, bool training, bool relu) {
  require_built();
  if (x.rank() < 2 || x.dim(-1) != gamma_.dim(0))
    throw Error(label() + ": input " + to_string(x.shape()) + " does not have " + std::to_string(gamma_.dim(0)) +
                " channels on its last axis");
  const auto momentum = static_cast<float>(options_.momentum), epsilon = static_cast<float>(options_.epsilon);
  return relu ? ops::batch_norm_relu(x, gamma_, beta_, moving_mean_, moving_variance_, momentum, epsilon, training)
              : ops::batch_norm(x, gamma_, beta_, moving_mean_, moving_variance_, momentum, epsilon, training);
}

}  // namespace elucid::layers
