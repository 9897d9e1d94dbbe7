// Layer: building once per input shape, and the weight lists every layer shares.
#include <elucid/layers/layer.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/keras_tensor.hpp>

#include <algorithm>
#include <cstdio>

namespace elucid::layers {

Shape Layer::build(const Shape& input_shape, Random& rng) {
  Shape out = output_shape(input_shape);  // validates before any weight is made
  if (input_shape_) {
    if (*input_shape_ != input_shape)
      throw Error(label() + ": already built for input " + to_string(*input_shape_) +
                  ", cannot take " + to_string(input_shape));
    return out;
  }
  create_weights(input_shape, rng);
  input_shape_ = input_shape;
  return out;
}

Shape Layer::output_shape_of(std::span<const Shape> input_shapes) const {
  if (input_shapes.size() != 1)
    throw Error(label() + ": takes one input, was given " + std::to_string(input_shapes.size()) +
                (input_shapes.empty() ? "" : ": " + to_string(input_shapes)));
  return output_shape(input_shapes[0]);
}

Tensor Layer::forward_of(std::span<const Tensor> inputs, bool training) {
  if (inputs.size() != 1)
    throw Error(label() + ": takes one input, was given " + std::to_string(inputs.size()));
  return forward(inputs[0], training);
}

Tensor Layer::autocast(const Tensor& x) const {
  return autocast_inputs() && computes_in_bfloat16() ? ops::round_to_bfloat16(x) : x;
}

Tensor Layer::call(const Tensor& x, bool training) { return forward(autocast(x), training); }

Tensor Layer::call_of(std::span<const Tensor> inputs, bool training) {
  if (!autocast_inputs() || !computes_in_bfloat16()) return forward_of(inputs, training);
  std::vector<Tensor> rounded;
  rounded.reserve(inputs.size());
  for (const Tensor& x : inputs) rounded.push_back(autocast(x));
  return forward_of(rounded, training);
}

std::optional<Tensor> Layer::call_then_max_pool(const Tensor& x, Layer& pool, bool training) {
  (void)x, (void)pool, (void)training;
  return std::nullopt;
}

std::optional<Tensor> Layer::call_then_relu(std::span<const Tensor> inputs, bool training) {
  (void)inputs, (void)training;
  return std::nullopt;
}

Shape Layer::build_of(std::span<const Shape> input_shapes, Random& rng) {
  if (input_shapes.size() == 1) return build(input_shapes[0], rng);
  Shape out = output_shape_of(input_shapes);  // validates
  if (!input_shapes_.empty() && !std::equal(input_shapes.begin(), input_shapes.end(), input_shapes_.begin(),
                                            input_shapes_.end()))
    throw Error(label() + ": already built for inputs " + to_string(input_shapes_) + ", cannot take " +
                to_string(input_shapes));
  input_shapes_.assign(input_shapes.begin(), input_shapes.end());
  return out;
}

// ---- calls on KerasTensors ----

namespace {
KerasTensor graph_node(std::shared_ptr<Layer> layer, const std::vector<KerasTensor>& inputs) {
  std::vector<Shape> shapes;
  for (const KerasTensor& x : inputs) {
    if (!x) throw Error(layer->label() + ": called on an empty KerasTensor");
    shapes.push_back(x.shape());
  }
  if (inputs.empty()) throw Error(layer->label() + ": called on no tensors");
  Shape out = layer->output_shape_of(shapes);
  return KerasTensor(std::make_shared<const Node>(Node{.layer = std::move(layer), .inputs = inputs, .shape = out}));
}

std::shared_ptr<Layer> held(Layer& layer) {
  std::shared_ptr<Layer> self = layer.weak_from_this().lock();
  if (!self)
    throw Error(layer.label() + ": called on a tensor as a named variable no std::shared_ptr holds; call a temporary "
                "(Dense(10)(x)) or std::move(layer)(x), or make it with std::make_shared to call it more than once");
  return self;
}
}  // namespace

KerasTensor Layer::operator()(const KerasTensor& x) && { return graph_node(std::move(*this).moved_to_heap(), {x}); }
KerasTensor Layer::operator()(const KerasTensor& x) & { return graph_node(held(*this), {x}); }
KerasTensor Layer::operator()(const std::vector<KerasTensor>& xs) && {
  return graph_node(std::move(*this).moved_to_heap(), xs);
}
KerasTensor Layer::operator()(const std::vector<KerasTensor>& xs) & { return graph_node(held(*this), xs); }

std::shared_ptr<Layer> Layer::moved_to_heap() && {
  throw Error(label() + ": its class has no moved_to_heap(), so a temporary of it cannot be called on a tensor; "
                        "make it with std::make_shared and call (*layer)(x)");
}

std::string Layer::label() const {
  return name_.empty() ? class_name() : class_name() + " \"" + name_ + "\"";
}

void Layer::set_common_options(const std::string& name, const Shape& input_shape, const std::string& dtype) {
  if (!name.empty()) name_ = name;
  if (!input_shape.empty()) declared_input_shape = input_shape;
  if (!dtype.empty()) {
    try {
      dtype_policy_ = mixed_precision::DTypePolicy(dtype);
    } catch (const Error& e) {
      throw Error(label() + ": " + e.what());
    }
  }
}

void Layer::require_built() const {
  if (!built())
    throw Error(label() + ": called before it was built (its input shape is not known yet; give the first layer "
                          "an input_shape)");
}

std::vector<NamedTensor> Layer::weights() {
  auto all = trainable_weights();
  for (auto& w : non_trainable_weights()) all.push_back(std::move(w));
  return all;
}

int64_t Layer::count_params() {
  int64_t n = 0;
  for (auto& w : weights()) n += w.tensor.size();
  return n;
}

std::vector<NamedTensor> weights_of(const std::vector<std::shared_ptr<Layer>>& layers, WeightKind kind) {
  std::vector<NamedTensor> all;
  for (const auto& layer : layers) {
    std::vector<NamedTensor> own = kind == WeightKind::All         ? layer->weights()
                                   : kind == WeightKind::Trainable ? layer->trainable_weights()
                                                                   : layer->non_trainable_weights();
    for (auto& w : own) all.push_back(std::move(w));
  }
  return all;
}

}  // namespace elucid::layers
