// TensorDataset: copies rows of in-memory float tensors into batch buffers.
#include <elucid/data/tensor_dataset.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>

namespace elucid::data {

TensorDataset::TensorDataset(Tensor x, Tensor y, std::vector<std::string> class_names)
    : TensorDataset(std::vector<Tensor>{std::move(x)}, std::move(y), std::move(class_names)) {}

TensorDataset::TensorDataset(std::vector<Tensor> inputs, Tensor y, std::vector<std::string> class_names)
    : inputs_(std::move(inputs)), y_(std::move(y)), class_names_(std::move(class_names)) {
  if (inputs_.empty()) throw Error("TensorDataset: no inputs");
  const bool several = inputs_.size() > 1;
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const Tensor& x = inputs_[k];
    const std::string name = several ? "input " + std::to_string(k) : "x";
    if (!x.defined() || !y_.defined()) throw Error("TensorDataset: " + name + " and y must both be defined tensors");
    if (x.rank() == 0 || y_.rank() == 0)
      throw Error("TensorDataset: " + name + " " + to_string(x.shape()) + " and y " + to_string(y_.shape()) +
                  " must both have a sample axis first");
    if (x.dim(0) != y_.dim(0))
      throw Error("TensorDataset: " + name + " " + to_string(x.shape()) + " has " + std::to_string(x.dim(0)) +
                  " samples but y " + to_string(y_.shape()) + " has " + std::to_string(y_.dim(0)));
  }
}

std::vector<Shape> TensorDataset::input_shapes() const {
  std::vector<Shape> shapes;
  shapes.reserve(inputs_.size());
  for (const Tensor& x : inputs_) shapes.emplace_back(x.shape().begin() + 1, x.shape().end());
  return shapes;
}

Shape TensorDataset::sample_shape() const {
  if (inputs_.size() == 1) return input_shapes()[0];
  int64_t total = 0;
  for (const Shape& shape : input_shapes()) total += numel(shape);
  return {total};
}

Shape TensorDataset::label_shape() const { return Shape(y_.shape().begin() + 1, y_.shape().end()); }

void TensorDataset::fill(std::span<const int64_t> indices, float* x, float* y) const {
  check_indices(indices, size(), "TensorDataset");
  const int64_t yn = numel(label_shape());
  std::vector<int64_t> sizes;
  for (const Shape& shape : input_shapes()) sizes.push_back(numel(shape));
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t s = indices[i];
    for (size_t k = 0; k < inputs_.size(); ++k) {  // each input of the sample in turn, flat
      std::copy_n(inputs_[k].data() + s * sizes[k], sizes[k], x);
      x += sizes[k];
    }
    std::copy_n(y_.data() + s * yn, yn, y + static_cast<int64_t>(i) * yn);
  }
}

}  // namespace elucid::data
