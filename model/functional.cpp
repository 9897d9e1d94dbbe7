// Functional: the graph walked back from the outputs, its layers ordered and named as Keras does, built once; the
// forward pass runs the calls in order; train::Trainer's hooks.
#include <elucid/model/functional.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/random.hpp>
#include <elucid/layers/activation_layers.hpp>
#include <elucid/layers/pooling.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace elucid {

using layers::KerasTensor;
using layers::Layer;
using layers::Node;

namespace {
// Every node the outputs depend on, each after its inputs (Keras' _build_map: depth first, inputs in order), and the
// layers in the order the walk first meets them (Keras' layer_indices).
struct Walk {
  std::vector<const Node*> post_order;
  std::map<const Node*, std::shared_ptr<const Node>> owner;
  std::map<const Layer*, size_t> layer_order;
  std::set<const Node*> finished;
};

void visit(const std::shared_ptr<const Node>& node, Walk& walk) {
  if (walk.finished.count(node.get())) return;
  walk.layer_order.emplace(node->layer.get(), walk.layer_order.size());
  // Nodes are made after the tensors they take, so the graph has no cycle; a chain as long as a deep network's
  // recursion is fine.
  for (const KerasTensor& x : node->inputs) visit(x.node(), walk);
  walk.finished.insert(node.get());
  walk.owner[node.get()] = node;
  walk.post_order.push_back(node.get());
}

std::string unique_name(const std::string& stem, const std::set<std::string>& taken) {
  if (!taken.count(stem)) return stem;
  for (int i = 1;; ++i)
    if (!taken.count(stem + "_" + std::to_string(i))) return stem + "_" + std::to_string(i);
}

// For each node whose output one other node alone reads (and which is no model output): that node, so that
// forward() can hand the pair to Layer::call_then_max_pool (a max-pooling of disjoint windows) or
// Layer::call_then_relu (a ReLU).
std::map<const Node*, const Node*> sole_readers(const std::vector<std::shared_ptr<const Node>>& nodes,
                                               const std::vector<KerasTensor>& outputs) {
  std::map<const Node*, std::vector<const Node*>> readers;
  for (const auto& node : nodes)
    for (const KerasTensor& x : node->inputs) readers[x.node().get()].push_back(node.get());
  for (const KerasTensor& y : outputs) readers[y.node().get()].push_back(nullptr);  // read by the caller
  std::map<const Node*, const Node*> sole;
  for (const auto& [node, by] : readers)
    if (by.size() == 1 && by[0]) sole[node] = by[0];
  return sole;
}
}  // namespace

Functional::Functional(const KerasTensor& input, const KerasTensor& output, std::string name)
    : Functional(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, std::move(name)) {}

Functional::Functional(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name)
    : name_(std::move(name)), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  const std::string who = "Functional \"" + name_ + "\": ";
  if (inputs_.empty()) throw Error(who + "no inputs");
  if (outputs_.empty()) throw Error(who + "no outputs");
  std::set<const Node*> input_nodes;
  for (const KerasTensor& x : inputs_) {
    if (!x) throw Error(who + "an input is an empty KerasTensor");
    if (!x.node()->inputs.empty() || x.node()->layer->class_name() != "InputLayer")
      throw Error(who + "an input is the output of " + x.node()->layer->label() + ", not an Input()");
    if (!input_nodes.insert(x.node().get()).second)
      throw Error(who + "input " + x.node()->layer->label() + " is given twice");
  }
  for (const KerasTensor& y : outputs_)
    if (!y) throw Error(who + "an output is an empty KerasTensor");

  Walk walk;
  for (const KerasTensor& y : outputs_) visit(y.node(), walk);
  for (const Node* node : walk.post_order)
    if (node->inputs.empty() && !input_nodes.count(node))
      throw Error(who + "the outputs need " + node->layer->label() + " " + to_string(node->shape) +
                  ", which is not one of the model's inputs");
  for (const KerasTensor& x : inputs_)
    if (!walk.finished.count(x.node().get()))
      throw Error(who + "input " + x.node()->layer->label() + " " + to_string(x.shape()) + " reaches no output");

  // Depths as Keras' _map_graph_network: an output's call is at depth 0, a call is one deeper than the deepest call
  // that takes its output, and a layer is as deep as its deepest call.
  std::map<const Node*, int> node_depth;
  std::map<const Layer*, int> layer_depth;
  for (auto it = walk.post_order.rbegin(); it != walk.post_order.rend(); ++it) {
    const Node* node = *it;
    int depth = std::max(node_depth[node], layer_depth[node->layer.get()]);
    layer_depth[node->layer.get()] = depth;
    node_depth[node] = depth;
    for (const KerasTensor& x : node->inputs) node_depth[x.node().get()] = std::max(node_depth[x.node().get()], depth + 1);
  }
  // Layers deepest first, ties in the order the walk met them; the inputs' InputLayers ahead, in the inputs' order.
  std::vector<std::shared_ptr<Layer>> others;
  for (const Node* node : walk.post_order)
    if (!input_nodes.count(node) &&
        std::none_of(others.begin(), others.end(), [&](const auto& l) { return l.get() == node->layer.get(); }))
      others.push_back(node->layer);
  std::stable_sort(others.begin(), others.end(), [&](const auto& a, const auto& b) {
    const int da = layer_depth[a.get()], db = layer_depth[b.get()];
    return da != db ? da > db : walk.layer_order[a.get()] < walk.layer_order[b.get()];
  });
  for (const KerasTensor& x : inputs_) layers_.push_back(x.node()->layer);
  layers_.insert(layers_.end(), others.begin(), others.end());

  // Names: given ones kept, once each; the rest as Keras names them, inputs input_1, input_2, ...
  std::set<std::string> taken;
  for (const auto& layer : layers_) {
    if (layer->name().empty()) continue;
    if (!taken.insert(layer->name()).second)
      throw Error(who + "two layers are named \"" + layer->name() + "\"; names must be unique in a model");
  }
  int input_count = 0;
  for (const auto& layer : layers_) {
    if (layer->class_name() == "InputLayer") ++input_count;
    if (!layer->name().empty()) continue;
    const std::string stem =
        layer->class_name() == "InputLayer" ? "input_" + std::to_string(input_count) : layer->default_name_stem();
    layer->set_name(unique_name(stem, taken));
    taken.insert(layer->name());
  }

  // The calls, inputs first, each after what it takes; then each layer built for its calls' shapes.
  for (const KerasTensor& x : inputs_) nodes_.push_back(x.node());
  for (const Node* node : walk.post_order)
    if (!input_nodes.count(node)) nodes_.push_back(walk.owner[node]);
  std::map<const Layer*, uint64_t> stream;
  for (size_t i = inputs_.size(); i < layers_.size(); ++i) stream[layers_[i].get()] = i - inputs_.size();
  for (const auto& node : nodes_) {
    if (node->inputs.empty()) continue;
    std::vector<Shape> shapes;
    for (const KerasTensor& x : node->inputs) shapes.push_back(x.shape());
    Random rng = Random::derive(random_seed(), stream[node->layer.get()]);
    node->layer->build_of(shapes, rng);
  }
  sole_reader_ = sole_readers(nodes_, outputs_);
}

std::shared_ptr<Layer> Functional::get_layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  throw Error("Functional \"" + name_ + "\" has no layer \"" + name + "\"; it has: " + names);
}

namespace {
// The name of the layer that makes each tensor.
std::vector<std::string> layer_names(const std::vector<KerasTensor>& tensors) {
  std::vector<std::string> names;
  names.reserve(tensors.size());
  for (const KerasTensor& t : tensors) names.push_back(t.node()->layer->name());
  return names;
}
}  // namespace

std::vector<std::string> Functional::input_names() const { return layer_names(inputs_); }
std::vector<std::string> Functional::output_names() const { return layer_names(outputs_); }

std::vector<Shape> Functional::input_shapes() const {
  std::vector<Shape> shapes;
  for (const KerasTensor& x : inputs_) shapes.push_back(x.shape());
  return shapes;
}

std::vector<Shape> Functional::output_shapes() const {
  std::vector<Shape> shapes;
  for (const KerasTensor& y : outputs_) shapes.push_back(y.shape());
  return shapes;
}

int Functional::node_index(const Node& node) const {
  int index = 0;
  for (const auto& other : nodes_)
    if (other->layer == node.layer && other->serial < node.serial) ++index;
  return index;
}

// ---- weights: each layer once, in layers() order ----

std::vector<NamedTensor> Functional::weights() const { return layers::weights_of(layers_, layers::WeightKind::All); }

std::vector<NamedTensor> Functional::trainable_weights() const { return layers::weights_of(layers_, layers::WeightKind::Trainable); }

std::vector<NamedTensor> Functional::non_trainable_weights() const { return layers::weights_of(layers_, layers::WeightKind::NonTrainable); }

// ---- forward ----

std::vector<Tensor> Functional::forward(std::span<const Tensor> inputs, bool training) {
  const std::string who = "Functional \"" + name_ + "\": ";
  if (inputs.size() != inputs_.size())
    throw Error(who + "takes " + std::to_string(inputs_.size()) + " input(s), was given " +
                std::to_string(inputs.size()));
  std::map<const Node*, Tensor> value;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    const Shape& want = inputs_[i].shape();
    if (x.rank() < 1 || Shape(x.shape().begin() + 1, x.shape().end()) != want)
      throw Error(who + "input " + inputs_[i].node()->layer->label() + " takes samples of shape " + to_string(want) +
                  ", was given a batch " + to_string(x.shape()));
    if (x.dim(0) != inputs[0].dim(0))
      throw Error(who + "the inputs' batches differ in size: " + to_string(inputs[0].shape()) + " and " +
                  to_string(x.shape()));
    value[inputs_[i].node().get()] = x;
  }
  for (const auto& node : nodes_) {
    if (node->inputs.empty() || value.contains(node.get())) continue;  // an input, or run with the node before
    std::vector<Tensor> in;
    in.reserve(node->inputs.size());
    for (const KerasTensor& x : node->inputs) in.push_back(value.at(x.node().get()));
    if (auto next = sole_reader_.find(node.get()); next != sole_reader_.end()) {
      Layer& reader = *next->second->layer;
      std::optional<Tensor> pair;  // the two nodes in one call
      if (layers::is_disjoint_max_pooling(reader) && in.size() == 1)
        pair = node->layer->call_then_max_pool(in[0], reader, training);  // a non-decreasing activation after it
      else if (layers::is_relu(reader))
        pair = node->layer->call_then_relu(in, training);
      if (pair) {
        value[next->second] = *pair;
        continue;
      }
    }
    value[node.get()] = node->layer->call_of(in, training);
  }
  std::vector<Tensor> out;
  out.reserve(outputs_.size());
  for (const KerasTensor& y : outputs_) out.push_back(value.at(y.node().get()));
  return out;
}

Tensor Functional::operator()(const Tensor& x, bool training) {
  if (inputs_.size() != 1 || outputs_.size() != 1)
    throw Error("Functional \"" + name_ + "\": has " + std::to_string(inputs_.size()) + " input(s) and " +
                std::to_string(outputs_.size()) + " output(s); call forward() with a list");
  return forward(std::span<const Tensor>(&x, 1), training)[0];
}

std::vector<Shape> Functional::build_for(std::span<const Shape> sample_shapes) {
  (void)sample_shapes;  // built when made; the loop checks the data's shapes against these
  return input_shapes();
}

bool Functional::needs_whole_batch() const {
  return std::any_of(layers_.begin(), layers_.end(), [](const auto& layer) { return layer->needs_whole_batch(); });
}

}  // namespace elucid
