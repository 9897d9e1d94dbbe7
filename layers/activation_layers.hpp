// Activation functions as layers: Activation("relu"), ELU({.alpha = 1.0}), ReLU(), Softmax(), as tf.keras.layers.
// Each maps (N, ...) to the same shape.
#pragma once
#include <elucid/layers/activations.hpp>
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct ActivationOptions {
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// Applies any named activation: Activation("tanh"), Activation(activations::elu(0.5)).
// True for a ReLU layer and an Activation("relu"): max(x, 0), the activation a layer before it may fuse
// (Layer::call_then_relu).
bool is_relu(const Layer& layer);

class Activation : public Layer {
 public:
  explicit Activation(activations::Activation activation, ActivationOptions options = {});
  std::string class_name() const override { return "Activation"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Activation>(std::move(*this)); }
  std::string default_name_stem() const override { return "activation"; }
  // "linear" and "relu" give the same values whether their input is rounded to bfloat16 before or after.
  bool autocast_inputs() const override;
  const activations::Activation& activation() const { return activation_; }
  const ActivationOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // softmax needs a rank >= 1 sample
  Tensor forward(const Tensor& x, bool training) override;
  // A non-decreasing activation before max-pooling runs after it, on the pooled values.
  std::optional<Tensor> call_then_max_pool(const Tensor& x, Layer& pool, bool training) override;

 private:
  activations::Activation activation_;
  ActivationOptions options_;
};

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct ELUOptions {
  double alpha = 1.0;
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// The fused ELU op as a layer: x > 0 ? x : alpha * (exp(x) - 1).
class ELU : public Layer {
 public:
  explicit ELU(ELUOptions options = {});
  std::string class_name() const override { return "ELU"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<ELU>(std::move(*this)); }
  std::string default_name_stem() const override { return "elu"; }
  double alpha() const { return options_.alpha; }
  const ELUOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Tensor forward(const Tensor& x, bool training) override;
  // Before max-pooling it runs after it, on the pooled values.
  std::optional<Tensor> call_then_max_pool(const Tensor& x, Layer& pool, bool training) override;

 private:
  ELUOptions options_;
};

// max(x, 0). Keras' max_value, negative_slope and threshold are not supported.
class ReLU : public Layer {
 public:
  explicit ReLU(ActivationOptions options = {});
  std::string class_name() const override { return "ReLU"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<ReLU>(std::move(*this)); }
  std::string default_name_stem() const override { return "re_lu"; }
  bool autocast_inputs() const override { return false; }  // max(x, 0) of a rounded x is the rounded max(x, 0)
  const ActivationOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Tensor forward(const Tensor& x, bool training) override;
  // Before max-pooling it runs after it, on the pooled values.
  std::optional<Tensor> call_then_max_pool(const Tensor& x, Layer& pool, bool training) override;

 private:
  ActivationOptions options_;
};

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct SoftmaxOptions {
  int axis = -1;           // only the last axis is supported
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Softmax : public Layer {
 public:
  explicit Softmax(SoftmaxOptions options = {});
  std::string class_name() const override { return "Softmax"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Softmax>(std::move(*this)); }
  std::string default_name_stem() const override { return "softmax"; }
  const SoftmaxOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // axis must be the last of (N, ...input_shape)
  Tensor forward(const Tensor& x, bool training) override;

 private:
  SoftmaxOptions options_;
};

}  // namespace elucid::layers
