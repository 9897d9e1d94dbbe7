// Dataset: N samples that fill float buffers on demand, so a data set can stay compact (uint8 images) and only a
// batch at a time is float. Subsets and the Keras validation split are views over another data set, never copies.
#pragma once
#include <elucid/core/shape.hpp>
#include <elucid/core/tensor.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace elucid::data {

// A data set of N samples: inputs of sample_shape() (e.g. (28, 28, 1)) and labels of label_shape()
// (() for class indices stored as floats, (C) for one-hot or regression targets).
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Shape sample_shape() const = 0;
  virtual Shape label_shape() const = 0;
  // Writes samples `indices` into x (indices.size() * numel(sample_shape) floats) and y (indices.size() *
  // numel(label_shape) floats), in the order given. Throws elucid::Error for an index outside [0, size()).
  virtual void fill(std::span<const int64_t> indices, float* x, float* y) const = 0;
  virtual std::vector<std::string> class_names() const { return {}; }
  // The shape of each of a sample's inputs: one, sample_shape(), but for a data set of several inputs (a Functional
  // model's), whose sample_shape() is then (the sum of their sizes) and whose fill writes each sample's inputs one
  // after another, each flat (train::Trainer unpacks them).
  virtual std::vector<Shape> input_shapes() const { return {sample_shape()}; }
  // The shape of each of a sample's labels: one, label_shape(), but for a data set of several labels (one per output
  // of a Functional model), whose label_shape() is then (the sum of their sizes) and whose fill writes each sample's
  // labels one after another, each flat.
  virtual std::vector<Shape> label_shapes() const { return {label_shape()}; }
};

// Throws elucid::Error naming `who` and the range when an index is outside [0, size).
void check_indices(std::span<const int64_t> indices, int64_t size, const char* who);

// A view of samples [begin, end) of `parent`, or of the listed samples in that order.
std::shared_ptr<Dataset> subset(std::shared_ptr<const Dataset> parent, int64_t begin, int64_t end);
std::shared_ptr<Dataset> subset(std::shared_ptr<const Dataset> parent, std::vector<int64_t> indices);

// Keras' validation_split rule for fit: the LAST fraction of the samples, before any shuffling.
// Training keeps floor(N * (1 - fraction)) samples; both parts must be non-empty. Returns {training, validation}.
std::pair<std::shared_ptr<Dataset>, std::shared_ptr<Dataset>> split_last(const std::shared_ptr<const Dataset>& data,
                                                                         double validation_fraction);

// Class-index labels () turned into one-hot rows (num_classes), as keras.utils.to_categorical, for
// categorical_crossentropy; a view, the parent keeps its compact labels. num_classes 0: class_names().size().
std::shared_ptr<Dataset> one_hot(std::shared_ptr<const Dataset> parent, int64_t num_classes = 0);

// The whole data set as float tensors x (N, ...sample) and y (N, ...label): only when asked, it can be large.
std::pair<Tensor, Tensor> to_tensors(const Dataset& data);

}  // namespace elucid::data
