// Dense: a fully connected layer, activation(x @ kernel + bias), as tf.keras.layers.Dense.
#pragma once
#include <elucid/layers/activations.hpp>
#include <elucid/layers/initializers.hpp>
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Dense(64, {.activation = "elu", .input_shape = {784}}); fields in this order.
struct DenseOptions {
  activations::Activation activation = {};  // linear
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};   // empty: the Sequential names it dense, dense_1, ...
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Dense : public Layer {
 public:
  explicit Dense(int units, DenseOptions options = {});  // units < 1 throws
  // Keras' second positional argument: Dense(10, "softmax"), Dense(64, "elu", {.input_shape = {784}}). Giving
  // options.activation as well throws.
  Dense(int units, activations::Activation activation, DenseOptions options = {});

  std::string class_name() const override { return "Dense"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Dense>(std::move(*this)); }
  std::string default_name_stem() const override { return "dense"; }
  bool autocast_inputs() const override { return false; }  // its product rounds its operands to bfloat16
  int units() const { return units_; }
  const DenseOptions& options() const { return options_; }

  // (..., in) -> (..., units): like Keras, a rank > 1 input is transformed along its last axis.
  Shape output_shape(const Shape& input_shape) const override;
  Tensor forward(const Tensor& x, bool training) override;
  std::vector<NamedTensor> trainable_weights() override;  // kernel (in, units), bias (units)

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  int units_;
  DenseOptions options_;
  Tensor kernel_, bias_;
};

}  // namespace elucid::layers
