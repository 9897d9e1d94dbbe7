// Metrics: running figures over an epoch (accuracy, top-k accuracy, mse, mae), named as the user asked for them.
// "accuracy" resolves as Keras does, from the loss: sparse, categorical or binary accuracy.
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/train/losses.hpp>

#include <string>
#include <utility>

namespace elucid::metrics {

class Metric {
 public:
  enum class Kind { SparseCategoricalAccuracy, CategoricalAccuracy, BinaryAccuracy, SparseTopKCategoricalAccuracy,
                    MeanSquaredError, MeanAbsoluteError };
  Metric(std::string name, Kind kind, int k = 5, float threshold = 0.5f)
      : name_(std::move(name)), kind_(kind), k_(k), threshold_(threshold) {}

  const std::string& name() const { return name_; }  // the key in logs and History: "accuracy", "mae", ...
  Kind kind() const { return kind_; }
  // predictions (N, ...) from the model, targets as for the loss; adds this batch to the running figure.
  void update(const Tensor& predictions, const Tensor& targets);
  double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset() { total_ = count_ = 0; }
  // The running sums behind result(), for checkpoints that resume an epoch mid-way.
  std::pair<double, double> sums() const { return {total_, count_}; }
  void set_sums(double total, double count) { total_ = total, count_ = count; }

 private:
  std::string name_;
  Kind kind_;
  int k_;
  float threshold_;
  double total_ = 0, count_ = 0;
};

// "accuracy" / "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
// "sparse_top_k_categorical_accuracy", "mse" / "mean_squared_error", "mae" / "mean_absolute_error".
// An unknown name is an elucid::Error listing the known ones.
Metric get(const std::string& name, const losses::Loss& loss);

}  // namespace elucid::metrics
