// Losses as Keras names them: objects with options (losses::SparseCategoricalCrossentropy({.from_logits = true}))
// or names ("sparse_categorical_crossentropy", "mse"). Each computes the batch mean through a fused op.
#pragma once
#include <elucid/core/tensor.hpp>

#include <string>

namespace elucid::losses {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct LossOptions {
  bool from_logits = false;
};

class Loss {
 public:
  enum class Kind { SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError,
                    MeanAbsoluteError };
  Loss(Kind kind, LossOptions options) : kind_(kind), options_(options) {}

  // predictions (N, ...) from the model; targets (N) class indices for the sparse loss, else the same shape.
  Tensor operator()(const Tensor& predictions, const Tensor& targets) const;
  Kind kind() const { return kind_; }
  bool from_logits() const { return options_.from_logits; }
  std::string name() const;        // Keras function name: "sparse_categorical_crossentropy"
  std::string class_name() const;  // Keras class name: "SparseCategoricalCrossentropy"

 private:
  Kind kind_;
  LossOptions options_;
};

struct SparseCategoricalCrossentropy : Loss {
  explicit SparseCategoricalCrossentropy(LossOptions o = {}) : Loss(Kind::SparseCategoricalCrossentropy, o) {}
};
struct CategoricalCrossentropy : Loss {
  explicit CategoricalCrossentropy(LossOptions o = {}) : Loss(Kind::CategoricalCrossentropy, o) {}
};
struct BinaryCrossentropy : Loss {
  explicit BinaryCrossentropy(LossOptions o = {}) : Loss(Kind::BinaryCrossentropy, o) {}
};
struct MeanSquaredError : Loss {
  MeanSquaredError() : Loss(Kind::MeanSquaredError, {}) {}
};
struct MeanAbsoluteError : Loss {
  MeanAbsoluteError() : Loss(Kind::MeanAbsoluteError, {}) {}
};

// By Keras name or class name: "sparse_categorical_crossentropy", "categorical_crossentropy",
// "binary_crossentropy", "mse" / "mean_squared_error", "mae" / "mean_absolute_error", "SparseCategoricalCrossentropy", ...
// An unknown name is an elucid::Error listing the known ones.
Loss get(const std::string& name, LossOptions options = {});

}  // namespace elucid::losses
