// InputLayer: the declared sample shape and its checks.
#include <elucid/layers/input_layer.hpp>

#include <elucid/core/error.hpp>

namespace elucid::layers {

InputLayer::InputLayer(InputLayerOptions options) : options_(std::move(options)) {
  set_name(options_.name);
  if (options_.shape.empty()) throw Error(label() + ": a shape is required, e.g. InputLayer({.shape = {28, 28, 1}})");
  for (int64_t d : options_.shape)
    if (d < 1) throw Error(label() + ": shape " + to_string(options_.shape) + " has a dimension below 1");
  declared_input_shape = options_.shape;
}

Shape InputLayer::output_shape(const Shape& input_shape) const {
  if (input_shape != options_.shape)
    throw Error(label() + ": declared shape " + to_string(options_.shape) + ", got " + to_string(input_shape));
  return input_shape;
}

Tensor InputLayer::forward(const Tensor& x, bool /*training*/) {
  const Shape& s = x.shape();
  if (s.empty() || Shape(s.begin() + 1, s.end()) != options_.shape) {
    std::string expected = "(N";
    for (int64_t d : options_.shape) expected += ", " + std::to_string(d);
    throw Error(label() + ": expects a batch " + expected + "), got " + to_string(s));
  }
  return x;
}

}  // namespace elucid::layers
