// TensorDataset: a data set over float tensors already in memory, x (N, ...) and y (N) class indices or (N, C); or
// several inputs and several labels (a Functional model's), one row of each per sample.
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
  // Several labels too, one per output of the model (Dataset::label_shapes), each (N, ...its shape).
  TensorDataset(std::vector<Tensor> inputs, std::vector<Tensor> labels, std::vector<std::string> class_names = {});

  int64_t size() const override { return labels_[0].dim(0); }
  Shape sample_shape() const override;
  std::vector<Shape> input_shapes() const override;
  Shape label_shape() const override;
  std::vector<Shape> label_shapes() const override;
  void fill(std::span<const int64_t> indices, float* x, float* y) const override;
  std::vector<std::string> class_names() const override { return class_names_; }

  const Tensor& x() const { return inputs_[0]; }  // the first input
  const std::vector<Tensor>& inputs() const { return inputs_; }
  const Tensor& y() const { return labels_[0]; }  // the first label
  const std::vector<Tensor>& labels() const { return labels_; }

 private:
  std::vector<Tensor> inputs_, labels_;
  std::vector<std::string> class_names_;
};

}  // namespace elucid::data
