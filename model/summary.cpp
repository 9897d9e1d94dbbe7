// Sequential::summary in the tf.keras 2.x layout: columns end at 29, 55 and 65, each cell cut to its column with its
// last character a space, rows separated by underscores, totals with thousands separators.
#include <elucid/model/sequential.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>

#include <sstream>

namespace elucid {

namespace {
constexpr int kLineLength = 65;
constexpr int kColumns[] = {29, 55, 65};

std::string row(const std::string& layer, const std::string& shape, const std::string& params) {
  std::string line;
  const std::string* cells[] = {&layer, &shape, &params};
  for (int i = 0; i < 3; ++i) {
    if (i > 0) line.back() = ' ';  // as Keras' print_row: a cell cut at its column still ends with a space
    line += *cells[i];
    line.resize(static_cast<size_t>(kColumns[i]), ' ');  // cut or pad to the column's end
  }
  return line;
}

std::string with_none(const Shape& shape) {
  std::string s = "(None";
  for (int64_t d : shape) s += ", " + std::to_string(d);
  return s + ")";
}
}  // namespace

std::string Sequential::summary_string() const {
  if (!built())
    throw Error("summary: the model \"" + name_ + "\" has not been built yet; give the first layer an input_shape, "
                "or call build() or fit() first");
  std::ostringstream out;
  const std::string rule(kLineLength, '_'), double_rule(kLineLength, '=');
  out << "Model: \"" << name_ << "\"\n" << rule << "\n" << row("Layer (type)", "Output Shape", "Param #") << "\n"
      << double_rule << "\n";
  Shape shape = input_shape();
  int64_t trainable = 0, non_trainable = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& layer = *layers_[i];
    shape = layer.output_shape(shape);
    int64_t layer_trainable = 0, layer_fixed = 0;
    for (const auto& w : layer.trainable_weights()) layer_trainable += w.tensor.size();
    for (const auto& w : layer.non_trainable_weights()) layer_fixed += w.tensor.size();
    trainable += layer_trainable;
    non_trainable += layer_fixed;
    out << row(layer.name() + " (" + layer.class_name() + ")", with_none(shape),
               std::to_string(layer_trainable + layer_fixed))
        << "\n"
        << (i + 1 < layers_.size() ? rule : double_rule) << "\n";
  }
  if (layers_.empty()) out << double_rule << "\n";
  out << "Total params: " << thousands(trainable + non_trainable) << "\n"
      << "Trainable params: " << thousands(trainable) << "\n"
      << "Non-trainable params: " << thousands(non_trainable) << "\n"
      << rule << "\n";
  return out.str();
}

void Sequential::summary(std::ostream& out) const { out << summary_string(); }

}  // namespace elucid
