// Activations by name and as objects, as tf.keras.activations: "elu", activations::elu(0.5), ... Each one applies
// the fused op of core/ops.hpp (ELU is ops::elu, not a composition). The name and alpha are kept for Keras JSON.
#pragma once
#include <elucid/core/tensor.hpp>

#include <string>

namespace elucid::activations {

enum class Kind { Linear, Elu, Relu, Sigmoid, Tanh, Softmax, Selu, Softplus, Gelu, Swish };

class Activation {
 public:
  Activation() = default;  // linear, as Keras' activation=None
  // Implicit, so that options read `.activation = "elu"`. An unknown name throws elucid::Error listing the known.
  Activation(const char* name);         // NOLINT(google-explicit-constructor)
  Activation(const std::string& name);  // NOLINT(google-explicit-constructor)

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }  // as given: "silu" stays "silu" (the same op as "swish")
  double alpha() const { return alpha_; }            // ELU's alpha; 1.0 for the others
  bool is_linear() const { return kind_ == Kind::Linear; }
  // True when a <= b gives f(a) <= f(b) elementwise (every kind but softmax, gelu and swish): then
  // max(f(a), f(b)) = f(max(a, b)), which lets a model max-pool before activating (Layer::call_then_max_pool).
  bool is_non_decreasing() const;

  // x (..., C) -> same shape; softmax is over the last axis. Linear returns x itself.
  Tensor apply(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return apply(x); }

  bool operator==(const Activation&) const = default;

  // "elu, relu, linear, ...": every name the string constructor accepts, for error messages and docs.
  static std::string known_names();

 private:
  friend Activation elu(double alpha);

  Kind kind_ = Kind::Linear;
  std::string name_ = "linear";
  double alpha_ = 1.0;
};

Activation elu(double alpha = 1.0);
Activation relu();
Activation linear();
Activation sigmoid();
Activation tanh();
Activation softmax();
Activation selu();
Activation softplus();
Activation gelu();   // the exact (erf) form, Keras' default approximate=False
Activation swish();  // x * sigmoid(x)
Activation silu();   // swish under its other name

}  // namespace elucid::activations
