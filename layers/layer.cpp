// Layer: building once per input shape, and the weight lists every layer shares.
#include <elucid/layers/layer.hpp>

#include <elucid/core/error.hpp>

namespace elucid::layers {

Shape Layer::build(const Shape& input_shape, Random& rng) {
  Shape out = output_shape(input_shape);  // validates before any weight is made
  if (input_shape_) {
    if (*input_shape_ != input_shape)
      throw Error(class_name() + " \"" + name_ + "\": already built for input " + to_string(*input_shape_) +
                  ", cannot take " + to_string(input_shape));
    return out;
  }
  create_weights(input_shape, rng);
  input_shape_ = input_shape;
  return out;
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

}  // namespace elucid::layers
