// Activation, ELU, ReLU and Softmax layers: shape checks and the fused activation ops.
#include <elucid/layers/activation_layers.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

namespace {
// Softmax runs over the last axis; a per-sample shape () would make that the batch axis.
void check_has_features(const Shape& input_shape, const std::string& label) {
  if (input_shape.empty()) throw Error(label + ": softmax needs an input (..., classes), got ()");
}
}  // namespace

Activation::Activation(activations::Activation activation, ActivationOptions options)
    : activation_(std::move(activation)), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

Shape Activation::output_shape(const Shape& input_shape) const {
  if (activation_.kind() == activations::Kind::Softmax) check_has_features(input_shape, label());
  return input_shape;
}

Tensor Activation::forward(const Tensor& x, bool /*training*/) { return activation_.apply(x); }

std::optional<Tensor> Activation::call_then_max_pool(const Tensor& x, Layer& pool, bool training) {
  if (!activation_.is_non_decreasing()) return std::nullopt;
  return call(pool.call(x, training), training);
}

bool Activation::autocast_inputs() const {
  return !activation_.is_linear() && activation_.kind() != activations::Kind::Relu;
}

ELU::ELU(ELUOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

Tensor ELU::forward(const Tensor& x, bool /*training*/) { return ops::elu(x, static_cast<float>(options_.alpha)); }

std::optional<Tensor> ELU::call_then_max_pool(const Tensor& x, Layer& pool, bool training) {
  return call(pool.call(x, training), training);
}

ReLU::ReLU(ActivationOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

Tensor ReLU::forward(const Tensor& x, bool /*training*/) { return ops::relu(x); }

std::optional<Tensor> ReLU::call_then_max_pool(const Tensor& x, Layer& pool, bool training) {
  return call(pool.call(x, training), training);
}

bool is_relu(const Layer& layer) {
  if (dynamic_cast<const ReLU*>(&layer)) return true;
  const auto* activation = dynamic_cast<const Activation*>(&layer);
  return activation && activation->activation().kind() == activations::Kind::Relu;
}

Softmax::Softmax(SoftmaxOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

Shape Softmax::output_shape(const Shape& input_shape) const {
  check_has_features(input_shape, label());
  // With the batch axis, the last axis is input_shape.size(); Keras also spells it -1.
  const int last = static_cast<int>(input_shape.size());
  if (options_.axis != -1 && options_.axis != last)
    throw Error(label() + ": only the last axis (-1 or " + std::to_string(last) + ") is supported, got axis " +
                std::to_string(options_.axis));
  return input_shape;
}

Tensor Softmax::forward(const Tensor& x, bool /*training*/) { return ops::softmax(x); }

}  // namespace elucid::layers
