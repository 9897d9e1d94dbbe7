// ConfusionMatrix: counts of (true class, predicted class) pairs, per-class accuracy, and its SVG picture.
#pragma once
#include <elucid/core/tensor.hpp>

#include <string>
#include <vector>

namespace elucid::report {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes);
  // predictions (N, classes) scores (logits or probabilities); labels (N) class indices.
  void add(const Tensor& predictions, const Tensor& labels);
  int64_t classes() const { return classes_; }
  int64_t count(int64_t truth, int64_t predicted) const { return counts_[static_cast<size_t>(truth * classes_ + predicted)]; }
  int64_t total() const;
  double accuracy() const;
  double class_accuracy(int64_t truth) const;  // recall of that class; 0 when it has no samples

 private:
  int64_t classes_;
  std::vector<int64_t> counts_;
};

// The matrix as an SVG picture: rows are true classes, columns predicted ones, each cell its count, shaded by the
// share of its row; class names label both axes.
std::string confusion_matrix_svg(const ConfusionMatrix& matrix, const std::vector<std::string>& class_names,
                                 const std::string& title);

}  // namespace elucid::report
