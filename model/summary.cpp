// Sequential::summary and Functional::summary in the tf.keras 2.x layout: columns end at 29, 55 and 65 (a
// Functional's at 32, 53, 65 and 98, with Connected to), each cell cut to its column with its last character a space,
// rows separated by underscores, totals with thousands separators.
#include <elucid/model/functional.hpp>
#include <elucid/model/sequential.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>

#include <algorithm>
#include <sstream>

namespace elucid {

namespace {
constexpr int kLineLength = 65;
constexpr int kFunctionalLineLength = 98;

// Keras' print_row: each cell cut or padded to its column's end, a cut cell still ending with a space.
std::string row(const std::vector<std::string>& cells, const std::vector<int>& columns) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line.back() = ' ';
    line += cells[i];
    line.resize(static_cast<size_t>(columns[i]), ' ');
  }
  return line;
}

std::string row(const std::string& layer, const std::string& shape, const std::string& params) {
  return row({layer, shape, params}, {29, 55, 65});
}

std::string totals(int64_t trainable, int64_t non_trainable, const std::string& rule) {
  return "Total params: " + thousands(trainable + non_trainable) + "\n" + "Trainable params: " + thousands(trainable) +
         "\n" + "Non-trainable params: " + thousands(non_trainable) + "\n" + rule + "\n";
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
  out << totals(trainable, non_trainable, rule);
  return out.str();
}

void Sequential::summary(std::ostream& out) const { out << summary_string(); }

std::string Functional::summary_string() const {
  const std::vector<int> columns = {32, 53, 65, 98};
  std::ostringstream out;
  const std::string rule(kFunctionalLineLength, '_'), double_rule(kFunctionalLineLength, '=');
  out << "Model: \"" << name_ << "\"\n" << rule << "\n"
      << row({"Layer (type)", "Output Shape", "Param #", "Connected to"}, columns) << "\n" << double_rule << "\n";
  int64_t trainable = 0, non_trainable = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers::Layer& layer = *layers_[i];
    // Its calls in this model: their shapes ("multiple" when they differ) and what each was called on.
    std::vector<std::string> shapes, connections;
    for (const auto& node : nodes_) {
      if (node->layer.get() != &layer) continue;
      shapes.push_back(with_none(node->shape));
      for (const layers::KerasTensor& x : node->inputs)
        connections.push_back(x.node()->layer->name() + "[" + std::to_string(node_index(*x.node())) + "][0]");
    }
    std::string shape = shapes.empty() ? "" : shapes[0];
    if (std::any_of(shapes.begin(), shapes.end(), [&](const std::string& s) { return s != shapes[0]; }))
      shape = "multiple";
    if (layer.class_name() == "InputLayer") shape = "[" + shape + "]";  // Keras shows an input's as a list
    int64_t layer_trainable = 0, layer_fixed = 0;
    for (const auto& w : layer.trainable_weights()) layer_trainable += w.tensor.size();
    for (const auto& w : layer.non_trainable_weights()) layer_fixed += w.tensor.size();
    trainable += layer_trainable;
    non_trainable += layer_fixed;
    out << row({layer.name() + " (" + layer.class_name() + ")", shape, std::to_string(layer_trainable + layer_fixed),
                connections.empty() ? "" : connections[0]},
               columns)
        << "\n";
    for (size_t c = 1; c < connections.size(); ++c) out << row({"", "", "", connections[c]}, columns) << "\n";
    out << (i + 1 < layers_.size() ? rule : double_rule) << "\n";
  }
  out << totals(trainable, non_trainable, rule);
  return out.str();
}

void Functional::summary(std::ostream& out) const { out << summary_string(); }

}  // namespace elucid
