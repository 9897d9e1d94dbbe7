// Subset views, the Keras validation split and whole-set conversion for any Dataset.
#include <elucid/data/dataset.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace elucid::data {

void check_indices(std::span<const int64_t> indices, int64_t size, const char* who) {
  for (int64_t i : indices)
    if (i < 0 || i >= size)
      throw Error(std::string(who) + ": sample index " + std::to_string(i) + " is outside [0, " +
                  std::to_string(size) + ")");
}

namespace {

// Samples of `parent` picked by a list of its indices; class names and shapes are the parent's.
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> parent, std::vector<int64_t> indices)
      : parent_(std::move(parent)), indices_(std::move(indices)) {}
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Shape sample_shape() const override { return parent_->sample_shape(); }
  std::vector<Shape> input_shapes() const override { return parent_->input_shapes(); }
  Shape label_shape() const override { return parent_->label_shape(); }
  std::vector<Shape> label_shapes() const override { return parent_->label_shapes(); }
  std::vector<std::string> class_names() const override { return parent_->class_names(); }
  void fill(std::span<const int64_t> indices, float* x, float* y) const override {
    check_indices(indices, size(), "subset");
    std::vector<int64_t> mapped(indices.size());  // batch-sized, one small allocation per batch
    for (size_t i = 0; i < indices.size(); ++i) mapped[i] = indices_[static_cast<size_t>(indices[i])];
    parent_->fill(mapped, x, y);
  }

 private:
  std::shared_ptr<const Dataset> parent_;
  std::vector<int64_t> indices_;
};

void check_parent(const std::shared_ptr<const Dataset>& parent) {
  if (!parent) throw Error("subset: the parent data set is null");
}

// "3" for a whole number (small enough to convert safely), "2.500000" or "nan" otherwise.
std::string label_text(float label) {
  if (std::abs(label) < 1e9f && label == std::floor(label)) return std::to_string(static_cast<int64_t>(label));
  return std::to_string(label);
}

// The parent's class-index labels as one-hot rows.
class OneHotDataset : public Dataset {
 public:
  OneHotDataset(std::shared_ptr<const Dataset> parent, int64_t classes)
      : parent_(std::move(parent)), classes_(classes) {}
  int64_t size() const override { return parent_->size(); }
  Shape sample_shape() const override { return parent_->sample_shape(); }
  std::vector<Shape> input_shapes() const override { return parent_->input_shapes(); }
  Shape label_shape() const override { return {classes_}; }
  std::vector<std::string> class_names() const override { return parent_->class_names(); }
  void fill(std::span<const int64_t> indices, float* x, float* y) const override {
    std::vector<float> labels(indices.size());  // batch-sized
    parent_->fill(indices, x, labels.data());
    std::fill(y, y + static_cast<int64_t>(indices.size()) * classes_, 0.0f);
    for (size_t i = 0; i < indices.size(); ++i) {
      const float label = labels[i];
      if (!(label >= 0 && label < static_cast<float>(classes_)) || label != std::floor(label))
        throw Error("one_hot: label " + label_text(label) + " of sample " + std::to_string(indices[i]) +
                    " is not a class index in [0, " + std::to_string(classes_) + ")");
      y[static_cast<int64_t>(i) * classes_ + static_cast<int64_t>(label)] = 1.0f;
    }
  }

 private:
  std::shared_ptr<const Dataset> parent_;
  int64_t classes_;
};

}  // namespace

std::shared_ptr<Dataset> one_hot(std::shared_ptr<const Dataset> parent, int64_t num_classes) {
  if (!parent) throw Error("one_hot: the data set is null");
  if (!parent->label_shape().empty())
    throw Error("one_hot: labels must be class indices of shape (), the data set's labels are " +
                to_string(parent->label_shape()));
  if (num_classes == 0) num_classes = static_cast<int64_t>(parent->class_names().size());
  if (num_classes < 1)
    throw Error("one_hot: the number of classes is unknown (the data set has no class names); pass num_classes");
  return std::make_shared<OneHotDataset>(std::move(parent), num_classes);
}

std::shared_ptr<Dataset> subset(std::shared_ptr<const Dataset> parent, int64_t begin, int64_t end) {
  check_parent(parent);
  const int64_t n = parent->size();
  if (begin < 0 || end < begin || end > n)
    throw Error("subset: range [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") is not inside a data set of " + std::to_string(n) + " samples");
  std::vector<int64_t> indices(static_cast<size_t>(end - begin));
  std::iota(indices.begin(), indices.end(), begin);
  return std::make_shared<SubsetDataset>(std::move(parent), std::move(indices));
}

std::shared_ptr<Dataset> subset(std::shared_ptr<const Dataset> parent, std::vector<int64_t> indices) {
  check_parent(parent);
  check_indices(indices, parent->size(), "subset");
  return std::make_shared<SubsetDataset>(std::move(parent), std::move(indices));
}

std::pair<std::shared_ptr<Dataset>, std::shared_ptr<Dataset>> split_last(const std::shared_ptr<const Dataset>& data,
                                                                         double validation_fraction) {
  if (!data) throw Error("validation_split: the data set is null");
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0))
    throw Error("validation_split must be between 0 and 1 (exclusive), got " + format_number(validation_fraction));
  const int64_t n = data->size();
  // Keras (train_validation_split): split_at = floor(N * (1 - validation_split)).
  const auto split_at = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - validation_fraction)));
  if (split_at <= 0 || split_at >= n)
    throw Error("validation_split=" + format_number(validation_fraction) + " cannot split " + std::to_string(n) +
                " samples into a non-empty training part and a non-empty validation part (training would keep " +
                std::to_string(split_at) + ")");
  return {subset(data, 0, split_at), subset(data, split_at, n)};
}

std::pair<Tensor, Tensor> to_tensors(const Dataset& data) {
  const int64_t n = data.size();
  Shape xs = data.sample_shape(), ys = data.label_shape();
  xs.insert(xs.begin(), n);
  ys.insert(ys.begin(), n);
  Tensor x(xs), y(ys);
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  data.fill(all, x.data(), y.data());
  return {x, y};
}

}  // namespace elucid::data
