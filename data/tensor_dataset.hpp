// TensorDataset: a data set over float tensors already in memory, x (N, ...) and y (N) class indices or (N, C).
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/data/dataset.hpp>

namespace elucid::data {

class TensorDataset : public Dataset {
 public:
  // Keeps handles to x and y (Tensor copies share storage: later writes to them are seen here).
  // Throws elucid::Error when x and y disagree on N or either has rank 0.
  TensorDataset(Tensor x, Tensor y, std::vector<std::string> class_names = {});
  // Several inputs, each (N, ...its shape), for a model of several inputs: a sample is one row of each
  // (Dataset::input_shapes). Throws elucid::Error naming the input when one disagrees on N.
  TensorDataset(std::vector<Tensor> inputs, Tensor y, std::vector<std::string> class_names = {});

  int64_t size() const override { return y_.dim(0); }
  Shape sample_shape() const override;
  std::vector<Shape> input_shapes() const override;
  Shape label_shape() const override;
  void fill(std::span<const int64_t> indices, float* x, float* y) const override;
  std::vector<std::string> class_names() const override { return class_names_; }

  const Tensor& x() const { return inputs_[0]; }  // the first input
  const std::vector<Tensor>& inputs() const { return inputs_; }
  const Tensor& y() const { return y_; }

 private:
  std::vector<Tensor> inputs_;
  Tensor y_;
  std::vector<std::string> class_names_;
};

}  // namespace elucid::data
