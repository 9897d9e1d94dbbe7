// Merge layers: several inputs of a Functional model into one, as tf.keras.layers.Add, Subtract, Multiply, Average,
// Maximum and Concatenate. Called on a list of KerasTensors:
//
//   KerasTensor y = Add()({x, shortcut});              // the same shapes in, that shape out
//   KerasTensor z = Concatenate({.axis = -1})({a, b});  // (8, 8, 16) and (8, 8, 32) -> (8, 8, 48)
//
// No weights. The elementwise ones take two or more inputs of one shape (Subtract exactly two); unlike Keras they do
// not broadcast a dimension of 1 against a larger one.
#pragma once
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct MergeOptions {
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// The elementwise merges' shapes and errors; each class gives its op over the list.
class Merge : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;  // an error: a merge takes a list
  Tensor forward(const Tensor& x, bool training) override;      // an error: a merge takes a list
  Shape output_shape_of(std::span<const Shape> input_shapes) const override;
  Tensor forward_of(std::span<const Tensor> inputs, bool training) override;

 protected:
  explicit Merge(const MergeOptions& options);
  virtual Tensor merge(std::span<const Tensor> inputs) const = 0;  // two or more, checked
  void check_inputs(std::span<const Tensor> inputs) const;         // what forward_of checks before merge()
  virtual size_t exact_input_count() const { return 0; }          // 0: two or more
};

class Add : public Merge {
 public:
  explicit Add(const MergeOptions& options = {}) : Merge(options) {}
  std::string class_name() const override { return "Add"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Add>(std::move(*this)); }
  std::string default_name_stem() const override { return "add"; }
  // relu(a + b) of two inputs in one op (ops::add_relu).
  std::optional<Tensor> call_then_relu(std::span<const Tensor> inputs, bool training) override;

 protected:
  Tensor merge(std::span<const Tensor> inputs) const override;
};

class Subtract : public Merge {  // inputs[0] - inputs[1]
 public:
  explicit Subtract(const MergeOptions& options = {}) : Merge(options) {}
  std::string class_name() const override { return "Subtract"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Subtract>(std::move(*this)); }
  std::string default_name_stem() const override { return "subtract"; }

 protected:
  Tensor merge(std::span<const Tensor> inputs) const override;
  size_t exact_input_count() const override { return 2; }
};

class Multiply : public Merge {
 public:
  explicit Multiply(const MergeOptions& options = {}) : Merge(options) {}
  std::string class_name() const override { return "Multiply"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Multiply>(std::move(*this)); }
  std::string default_name_stem() const override { return "multiply"; }

 protected:
  Tensor merge(std::span<const Tensor> inputs) const override;
};

class Average : public Merge {  // the sum times 1 / the count
 public:
  explicit Average(const MergeOptions& options = {}) : Merge(options) {}
  std::string class_name() const override { return "Average"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Average>(std::move(*this)); }
  std::string default_name_stem() const override { return "average"; }

 protected:
  Tensor merge(std::span<const Tensor> inputs) const override;
};

class Maximum : public Merge {
 public:
  explicit Maximum(const MergeOptions& options = {}) : Merge(options) {}
  std::string class_name() const override { return "Maximum"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Maximum>(std::move(*this)); }
  std::string default_name_stem() const override { return "maximum"; }

 protected:
  Tensor merge(std::span<const Tensor> inputs) const override;
};

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct ConcatenateOptions {
  int axis = -1;  // Keras counts the batch axis: -1 the channels, 1 the rows of an image; 0 (the batch) is refused
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// Inputs equal but along the axis, joined in order along it. Takes one input too (Keras 3 does).
class Concatenate : public Layer {
 public:
  explicit Concatenate(ConcatenateOptions options = {});
  std::string class_name() const override { return "Concatenate"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Concatenate>(std::move(*this)); }
  std::string default_name_stem() const override { return "concatenate"; }
  const ConcatenateOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // one input: itself
  Tensor forward(const Tensor& x, bool training) override;
  Shape output_shape_of(std::span<const Shape> input_shapes) const override;
  Tensor forward_of(std::span<const Tensor> inputs, bool training) override;

 private:
  ConcatenateOptions options_;
};

}  // namespace elucid::layers
