// TensorDataset: copies rows of in-memory float tensors into batch buffers.
#include <elucid/data/tensor_dataset.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>

namespace elucid::data {

TensorDataset::TensorDataset(Tensor x, Tensor y, std::vector<std::string> class_names)
    : x_(std::move(x)), y_(std::move(y)), class_names_(std::move(class_names)) {
  if (!x_.defined() || !y_.defined()) throw Error("TensorDataset: x and y must both be defined tensors");
  if (x_.rank() == 0 || y_.rank() == 0)
    throw Error("TensorDataset: x " + to_string(x_.shape()) + " and y " + to_string(y_.shape()) +
                " must both have a sample axis first");
  if (x_.dim(0) != y_.dim(0))
    throw Error("TensorDataset: x " + to_string(x_.shape()) + " has " + std::to_string(x_.dim(0)) + " samples but y " +
                to_string(y_.shape()) + " has " + std::to_string(y_.dim(0)));
}

Shape TensorDataset::sample_shape() const { return Shape(x_.shape().begin() + 1, x_.shape().end()); }
Shape TensorDataset::label_shape() const { return Shape(y_.shape().begin() + 1, y_.shape().end()); }

void TensorDataset::fill(std::span<const int64_t> indices, float* x, float* y) const {
  check_indices(indices, size(), "TensorDataset");
  const int64_t xn = numel(sample_shape()), yn = numel(label_shape());
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t s = indices[i];
    std::copy_n(x_.data() + s * xn, xn, x + static_cast<int64_t>(i) * xn);
    std::copy_n(y_.data() + s * yn, yn, y + static_cast<int64_t>(i) * yn);
  }
}

}  // namespace elucid::data
