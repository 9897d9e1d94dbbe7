// Sequential: layers added and named in order, built for an input shape, their weights, the forward pass, and the
// hooks train::Trainer asks through.
#include <elucid/model/sequential.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/random.hpp>
#include <elucid/layers/activation_layers.hpp>
#include <elucid/layers/pooling.hpp>

#include <algorithm>
#include <optional>
#include <set>

namespace elucid {

Sequential::Sequential(std::string name) : name_(std::move(name)) {}

namespace {
// Keras' default name: the stem, then stem_1, stem_2, ... for each further layer of that kind in the model.
std::string unique_name(const std::string& stem, const std::vector<std::shared_ptr<layers::Layer>>& existing) {
  std::set<std::string> taken;
  for (const auto& l : existing) taken.insert(l->name());
  if (!taken.count(stem)) return stem;
  for (int i = 1;; ++i)
    if (!taken.count(stem + "_" + std::to_string(i))) return stem + "_" + std::to_string(i);
}
}  // namespace

void Sequential::add(std::shared_ptr<layers::Layer> layer) {
  if (!layer) throw Error("Sequential::add: the layer is null");
  if (layer->class_name() == "InputLayer") {
    // As in Keras, an InputLayer only fixes the input shape; it is not one of model.layers.
    if (!layers_.empty()) throw Error("Sequential::add: an InputLayer must come first");
    if (!layer->declared_input_shape) throw Error("Sequential::add: the InputLayer has no shape");
    input_shape_ = layer->declared_input_shape;
    return;
  }
  if (layer->name().empty()) layer->set_name(unique_name(layer->default_name_stem(), layers_));
  for (const auto& l : layers_)
    if (l->name() == layer->name())
      throw Error("Sequential::add: a layer named \"" + layer->name() + "\" is already in the model");
  if (layers_.empty() && !input_shape_ && layer->declared_input_shape) input_shape_ = layer->declared_input_shape;
  else if (!layers_.empty() && layer->declared_input_shape && built() &&
           *layer->declared_input_shape != output_shape())
    throw Error("Sequential::add: " + layer->label() + " declares input_shape " +
                to_string(*layer->declared_input_shape) + " but the layer below outputs " +
                to_string(output_shape()));
  layers_.push_back(std::move(layer));
  if (input_shape_) {
    try {
      build(*input_shape_);
    } catch (...) {
      layers_.pop_back();  // an impossible layer is not kept
      throw;
    }
  }
}

void Sequential::pop() {
  if (layers_.empty()) throw Error("Sequential::pop: the model has no layers");
  layers_.pop_back();
}

std::shared_ptr<layers::Layer> Sequential::get_layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  throw Error("Sequential \"" + name_ + "\" has no layer \"" + name + "\"; it has: " + (names.empty() ? "none" : names));
}

void Sequential::build(const Shape& input_shape) {
  if (input_shape_ && *input_shape_ != input_shape)
    throw Error("Sequential \"" + name_ + "\": built for input " + to_string(*input_shape_) + ", cannot take " +
                to_string(input_shape));
  input_shape_ = input_shape;
  Shape shape = input_shape;
  for (size_t i = 0; i < layers_.size(); ++i) {
    // Each layer draws its initial weights from its own stream: the same seed gives the same model however it was
    // put together (by add() or from a recipe).
    Random rng = Random::derive(random_seed(), i);
    shape = layers_[i]->build(shape, rng);
  }
}

bool Sequential::built() const {
  if (!input_shape_) return false;
  for (const auto& l : layers_)
    if (!l->built()) return false;
  return true;
}

Shape Sequential::input_shape() const {
  if (!input_shape_)
    throw Error("Sequential \"" + name_ + "\": the input shape is not known yet; give the first layer an "
                "input_shape, or call build() or fit()");
  return *input_shape_;
}

Shape Sequential::output_shape() const {
  Shape shape = input_shape();
  for (const auto& l : layers_) shape = l->output_shape(shape);
  return shape;
}

std::vector<NamedTensor> Sequential::weights() const { return layers::weights_of(layers_, layers::WeightKind::All); }

std::vector<NamedTensor> Sequential::trainable_weights() const { return layers::weights_of(layers_, layers::WeightKind::Trainable); }

std::vector<NamedTensor> Sequential::non_trainable_weights() const { return layers::weights_of(layers_, layers::WeightKind::NonTrainable); }

// ---- forward ----

Tensor Sequential::operator()(const Tensor& x, bool training) {
  if (layers_.empty()) throw Error("Sequential \"" + name_ + "\" has no layers");
  if (x.rank() < 1) throw Error("Sequential \"" + name_ + "\": input " + to_string(x.shape()) + " has no batch axis");
  check_input(Shape(x.shape().begin() + 1, x.shape().end()));
  Tensor h = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (i + 1 < layers_.size()) {
      layers::Layer& next = *layers_[i + 1];
      std::optional<Tensor> pair;  // the two layers in one call
      if (layers::is_disjoint_max_pooling(next))
        pair = layers_[i]->call_then_max_pool(h, next, training);  // a non-decreasing activation runs after it
      else if (layers::is_relu(next))
        pair = layers_[i]->call_then_relu(std::span<const Tensor>(&h, 1), training);
      if (pair) {
        h = *pair;
        ++i;
        continue;
      }
    }
    h = layers_[i]->call(h, training);
  }
  return h;
}

void Sequential::check_input(const Shape& sample_shape) {
  build_for(std::span<const Shape>(&sample_shape, 1));
  if (sample_shape != *input_shape_)
    throw Error("Sequential: samples of shape " + to_string(sample_shape) + " do not match the model's input " +
                to_string(*input_shape_));
}

// ---- train::Trainer's hooks ----

std::vector<Tensor> Sequential::forward(std::span<const Tensor> inputs, bool training) {
  if (inputs.size() != 1)
    throw Error("Sequential \"" + name_ + "\" takes one input, got " + std::to_string(inputs.size()));
  return {(*this)(inputs[0], training)};
}

std::vector<Shape> Sequential::build_for(std::span<const Shape> sample_shapes) {
  if (sample_shapes.size() != 1)
    throw Error("Sequential \"" + name_ + "\" takes one input, got " + std::to_string(sample_shapes.size()));
  if (!input_shape_) build(sample_shapes[0]);
  else if (!built()) build(*input_shape_);
  return {*input_shape_};
}

std::vector<std::string> Sequential::output_names() const {
  if (layers_.empty()) return {};
  return {layers_.back()->name()};
}

bool Sequential::needs_whole_batch() const {
  return std::any_of(layers_.begin(), layers_.end(), [](const auto& layer) { return layer->needs_whole_batch(); });
}

}  // namespace elucid
