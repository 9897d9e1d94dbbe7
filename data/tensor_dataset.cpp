// TensorDataset: copies rows of in-memory float tensors into batch buffers.
#include <elucid/data/tensor_dataset.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>

namespace elucid::data {

TensorDataset::TensorDataset(Tensor x, Tensor y, std::vector<std::string> class_names)
    : TensorDataset(std::vector<Tensor>{std::move(x)}, std::move(y), std::move(class_names)) {}

TensorDataset::TensorDataset(std::vector<Tensor> inputs, Tensor y, std::vector<std::string> class_names)
    : TensorDataset(std::move(inputs), std::vector<Tensor>{std::move(y)}, std::move(class_names)) {}

TensorDataset::TensorDataset(std::vector<Tensor> inputs, std::vector<Tensor> labels,
                             std::vector<std::string> class_names)
    : inputs_(std::move(inputs)), labels_(std::move(labels)), class_names_(std::move(class_names)) {
  if (inputs_.empty()) throw Error("TensorDataset: no inputs");
  if (labels_.empty()) throw Error("TensorDataset: no labels");
  // Each tensor named as the user gave it: "x" and "y", or "input 1", "label 0" when there are several.
  auto name = [](const std::vector<Tensor>& list, size_t k, const char* one, const char* each) {
    return list.size() > 1 ? std::string(each) + " " + std::to_string(k) : std::string(one);
  };
  const Tensor& y = labels_[0];
  const std::string y_name = name(labels_, 0, "y", "label");
  for (const auto* list : {&inputs_, &labels_})
    for (size_t k = 0; k < list->size(); ++k) {
      const Tensor& t = (*list)[k];
      const std::string t_name = list == &inputs_ ? name(inputs_, k, "x", "input") : name(labels_, k, "y", "label");
      if (!t.defined() || !y.defined()) throw Error("TensorDataset: " + t_name + " and " + y_name + " must both be defined tensors");
      if (t.rank() == 0 || y.rank() == 0)
        throw Error("TensorDataset: " + t_name + " " + to_string(t.shape()) + " and " + y_name + " " +
                    to_string(y.shape()) + " must both have a sample axis first");
      if (t.dim(0) != y.dim(0))
        throw Error("TensorDataset: " + t_name + " " + to_string(t.shape()) + " has " + std::to_string(t.dim(0)) +
                    " samples but " + y_name + " " + to_string(y.shape()) + " has " + std::to_string(y.dim(0)));
    }
}

namespace {
// Each tensor's sample shape (its shape without the first axis).
std::vector<Shape> sample_shapes(const std::vector<Tensor>& tensors) {
  std::vector<Shape> shapes;
  shapes.reserve(tensors.size());
  for (const Tensor& t : tensors) shapes.emplace_back(t.shape().begin() + 1, t.shape().end());
  return shapes;
}

// One shape as it is; several as the flat (sum of their sizes) of a sample's parts one after another.
Shape packed_shape(const std::vector<Shape>& shapes) {
  if (shapes.size() == 1) return shapes[0];
  int64_t total = 0;
  for (const Shape& shape : shapes) total += numel(shape);
  return {total};
}
}  // namespace

std::vector<Shape> TensorDataset::input_shapes() const { return sample_shapes(inputs_); }
Shape TensorDataset::sample_shape() const { return packed_shape(input_shapes()); }
std::vector<Shape> TensorDataset::label_shapes() const { return sample_shapes(labels_); }
Shape TensorDataset::label_shape() const { return packed_shape(label_shapes()); }

void TensorDataset::fill(std::span<const int64_t> indices, float* x, float* y) const {
  check_indices(indices, size(), "TensorDataset");
  // Each sample's rows of the tensors, one after another, flat.
  auto copy_rows = [&](const std::vector<Tensor>& tensors, float* to) {
    std::vector<int64_t> sizes;
    sizes.reserve(tensors.size());
    for (const Shape& shape : sample_shapes(tensors)) sizes.push_back(numel(shape));
    for (const int64_t s : indices)
      for (size_t k = 0; k < tensors.size(); ++k) {
        std::copy_n(tensors[k].data() + s * sizes[k], sizes[k], to);
        to += sizes[k];
      }
  };
  copy_rows(inputs_, x);
  copy_rows(labels_, y);
}

}  // namespace elucid::data
