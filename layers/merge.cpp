// Merge layers: the list checks, then one op per pair (add, sub, mul, maximum) or one concatenate.
#include <elucid/layers/merge.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>

#include <algorithm>

namespace elucid::layers {

// ---- Merge: two or more inputs of one shape ----

Merge::Merge(const MergeOptions& options) { set_common_options(options.name, {}, options.dtype); }

Shape Merge::output_shape(const Shape& input_shape) const {
  throw Error(label() + ": takes a list of inputs (" + class_name() + "()({a, b})), was given one of shape " +
              to_string(input_shape));
}

Tensor Merge::forward(const Tensor& x, bool /*training*/) {
  throw Error(label() + ": takes a list of inputs, was given one of shape " + to_string(x.shape()));
}

Shape Merge::output_shape_of(std::span<const Shape> input_shapes) const {
  const size_t exact = exact_input_count();
  if (exact ? input_shapes.size() != exact : input_shapes.size() < 2)
    throw Error(label() + ": takes " + (exact ? "exactly " + std::to_string(exact) : std::string("2 or more")) +
                " inputs, was given " + std::to_string(input_shapes.size()) +
                (input_shapes.empty() ? "" : ": " + to_string(input_shapes)));
  for (const Shape& s : input_shapes)
    if (s != input_shapes[0])
      throw Error(label() + ": inputs of different shapes " + to_string(input_shapes) +
                  "; they must all have one shape");
  return input_shapes[0];
}

Tensor Merge::forward_of(std::span<const Tensor> inputs, bool /*training*/) {
  check_inputs(inputs);
  return merge(inputs);
}

void Merge::check_inputs(std::span<const Tensor> inputs) const {
  std::vector<Shape> shapes;
  for (const Tensor& x : inputs) {
    if (x.rank() < 1) throw Error(label() + ": expects batches (N, ...), got a scalar");
    shapes.emplace_back(x.shape().begin() + 1, x.shape().end());
  }
  output_shape_of(shapes);
  if (std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& x) { return x.dim(0) != inputs[0].dim(0); }))
    throw Error(label() + ": batches of different sizes");
}

std::optional<Tensor> Add::call_then_relu(std::span<const Tensor> inputs, bool /*training*/) {
  if (inputs.size() != 2) return std::nullopt;
  check_inputs(inputs);
  return ops::add_relu(autocast(inputs[0]), autocast(inputs[1]));
}

Tensor Add::merge(std::span<const Tensor> inputs) const {
  Tensor y = ops::add(inputs[0], inputs[1]);
  for (size_t i = 2; i < inputs.size(); ++i) y = ops::add(y, inputs[i]);
  return y;
}

Tensor Subtract::merge(std::span<const Tensor> inputs) const { return ops::sub(inputs[0], inputs[1]); }

Tensor Multiply::merge(std::span<const Tensor> inputs) const {
  Tensor y = ops::mul(inputs[0], inputs[1]);
  for (size_t i = 2; i < inputs.size(); ++i) y = ops::mul(y, inputs[i]);
  return y;
}

Tensor Average::merge(std::span<const Tensor> inputs) const {
  Tensor sum = ops::add(inputs[0], inputs[1]);
  for (size_t i = 2; i < inputs.size(); ++i) sum = ops::add(sum, inputs[i]);
  return ops::mul_scalar(sum, 1.0f / static_cast<float>(inputs.size()));
}

Tensor Maximum::merge(std::span<const Tensor> inputs) const {
  Tensor y = ops::maximum(inputs[0], inputs[1]);
  for (size_t i = 2; i < inputs.size(); ++i) y = ops::maximum(y, inputs[i]);
  return y;
}

// ---- Concatenate ----

Concatenate::Concatenate(ConcatenateOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, {}, options_.dtype);
}

Shape Concatenate::output_shape(const Shape& input_shape) const {
  const Shape one[] = {input_shape};
  return output_shape_of(one);
}

Tensor Concatenate::forward(const Tensor& x, bool training) {
  const Tensor one[] = {x};
  return forward_of(one, training);
}

Shape Concatenate::output_shape_of(std::span<const Shape> input_shapes) const {
  if (input_shapes.empty()) throw Error(label() + ": was given no inputs");
  // The axis counts the batch axis; a sample's shape does not have it.
  const int rank = static_cast<int>(input_shapes[0].size()) + 1;
  const int axis = options_.axis < 0 ? options_.axis + rank : options_.axis;
  if (axis < 1 || axis >= rank)
    throw Error(label() + ": axis " + std::to_string(options_.axis) + " is " +
                (axis == 0 ? std::string("the batch axis") : "outside inputs of rank " + std::to_string(rank)) +
                " (inputs " + to_string(input_shapes) + ")");
  const auto a = static_cast<size_t>(axis - 1);
  Shape out = input_shapes[0];
  out[a] = 0;
  for (const Shape& s : input_shapes) {
    bool fits = s.size() == out.size();
    for (size_t i = 0; fits && i < s.size(); ++i) fits = i == a || s[i] == input_shapes[0][i];
    if (!fits)
      throw Error(label() + ": inputs " + to_string(input_shapes) + " differ off axis " +
                  std::to_string(options_.axis));
    out[a] += s[a];
  }
  return out;
}

Tensor Concatenate::forward_of(std::span<const Tensor> inputs, bool /*training*/) {
  std::vector<Shape> shapes;
  for (const Tensor& x : inputs) {
    if (x.rank() < 1) throw Error(label() + ": expects batches (N, ...), got a scalar");
    shapes.emplace_back(x.shape().begin() + 1, x.shape().end());
  }
  output_shape_of(shapes);
  if (inputs.size() == 1) return inputs[0];
  return ops::concatenate(std::vector<Tensor>(inputs.begin(), inputs.end()), options_.axis);
}

}  // namespace elucid::layers
