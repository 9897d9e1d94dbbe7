// Confusion matrix counts and picture. Layout: title on top, the predicted-class names rotated below the
// grid, "True" row names to the left; the margins are sized from the longest class name so nothing is clipped.
#include <elucid/report/confusion_matrix.hpp>

#include <elucid/core/error.hpp>
#include <elucid/report/svg.hpp>

#include <algorithm>
#include <sstream>

namespace elucid::report {

ConfusionMatrix::ConfusionMatrix(int64_t classes) : classes_(classes) {
  if (classes < 1 || classes > 1000)
    throw Error("ConfusionMatrix: classes must be in [1, 1000], got " + std::to_string(classes));
  counts_.assign(static_cast<size_t>(classes * classes), 0);
}

void ConfusionMatrix::add(const Tensor& predictions, const Tensor& labels) {
  if (predictions.rank() != 2 || predictions.dim(1) != classes_ || labels.size() != predictions.dim(0))
    throw Error("ConfusionMatrix: predictions " + to_string(predictions.shape()) + " and labels " +
                to_string(labels.shape()) + " do not fit " + std::to_string(classes_) + " classes");
  for (int64_t i = 0; i < predictions.dim(0); ++i) {
    const float* row = predictions.data() + i * classes_;
    const int64_t predicted = std::max_element(row, row + classes_) - row;
    const auto truth = static_cast<int64_t>(labels.data()[i]);
    if (truth < 0 || truth >= classes_)
      throw Error("ConfusionMatrix: label " + std::to_string(truth) + " of sample " + std::to_string(i) +
                  " is outside [0, " + std::to_string(classes_) + ")");
    ++counts_[static_cast<size_t>(truth * classes_ + predicted)];
  }
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (int64_t c : counts_) n += c;
  return n;
}

double ConfusionMatrix::accuracy() const {
  int64_t right = 0;
  for (int64_t k = 0; k < classes_; ++k) right += count(k, k);
  const int64_t n = total();
  return n ? static_cast<double>(right) / static_cast<double>(n) : 0.0;
}

double ConfusionMatrix::class_accuracy(int64_t truth) const {
  int64_t row = 0;
  for (int64_t k = 0; k < classes_; ++k) row += count(truth, k);
  return row ? static_cast<double>(count(truth, truth)) / static_cast<double>(row) : 0.0;
}

std::string confusion_matrix_svg(const ConfusionMatrix& m, const std::vector<std::string>& class_names,
                                 const std::string& title) {
  const int64_t k = m.classes();
  std::vector<std::string> names = class_names;
  for (int64_t i = static_cast<int64_t>(names.size()); i < k; ++i) names.push_back(std::to_string(i));
  const double font = 12, cell = 44;
  double longest = 0;
  for (const auto& n : names) longest = std::max(longest, text_width(n, font));
  const double left = longest + 48, top = 48;                 // row names + "True label"; title
  const double bottom = longest * 0.75 + 52;                  // column names at -45 degrees + "Predicted label"
  const double right = 24;
  const double grid = cell * static_cast<double>(k);
  const double width = left + grid + right, height = top + grid + bottom;

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\"" << num(height)
    << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << num(left + grid / 2) << "\" y=\"28\" font-size=\"16\" text-anchor=\"middle\" font-weight=\"bold\">"
    << escape_xml(title) << "</text>\n";
  for (int64_t r = 0; r < k; ++r) {
    int64_t row_total = 0;
    for (int64_t c = 0; c < k; ++c) row_total += m.count(r, c);
    for (int64_t c = 0; c < k; ++c) {
      const int64_t n = m.count(r, c);
      const double share = row_total ? static_cast<double>(n) / static_cast<double>(row_total) : 0.0;
      // Diagonal cells in blue, mistakes in red; darker for a larger share of the row.
      const int light = static_cast<int>(255 - 200 * share);
      const std::string fill = r == c ? "rgb(" + std::to_string(light) + "," + std::to_string(light) + ",255)"
                                      : "rgb(255," + std::to_string(light) + "," + std::to_string(light) + ")";
      const double x = left + cell * static_cast<double>(c), y = top + cell * static_cast<double>(r);
      s << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(cell) << "\" height=\"" << num(cell)
        << "\" fill=\"" << fill << "\" stroke=\"#bbbbbb\"/>\n"
        << "<text x=\"" << num(x + cell / 2) << "\" y=\"" << num(y + cell / 2 + 4) << "\" font-size=\"" << num(font)
        << "\" text-anchor=\"middle\" fill=\"" << (share > 0.6 ? "white" : "black") << "\">" << n << "</text>\n";
    }
    s << "<text x=\"" << num(left - 6) << "\" y=\"" << num(top + cell * (static_cast<double>(r) + 0.5) + 4)
      << "\" font-size=\"" << num(font) << "\" text-anchor=\"end\">" << escape_xml(names[static_cast<size_t>(r)])
      << "</text>\n";
  }
  for (int64_t c = 0; c < k; ++c) {
    const double x = left + cell * (static_cast<double>(c) + 0.5), y = top + grid + 10;
    s << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << num(font)
      << "\" text-anchor=\"end\" dominant-baseline=\"hanging\" transform=\"rotate(-45 " << num(x) << " " << num(y)
      << ")\">" << escape_xml(names[static_cast<size_t>(c)]) << "</text>\n";
  }
  s << "<text x=\"" << num(left + grid / 2) << "\" y=\"" << num(height - 12)
    << "\" font-size=\"13\" text-anchor=\"middle\">Predicted label</text>\n"
    << "<text x=\"16\" y=\"" << num(top + grid / 2) << "\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
    << num(top + grid / 2) << ")\">True label</text>\n"
    << "</svg>\n";
  return s.str();
}

}  // namespace elucid::report
