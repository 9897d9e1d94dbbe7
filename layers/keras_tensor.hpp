// KerasTensor: what a layer called on a model's inputs will output, as Keras' KerasTensor: one sample's shape (no
// batch axis) and the call that makes it (a Node: the layer and the tensors it was called on). Input() makes the
// first ones, each layer call another; Functional(inputs, outputs) walks the calls back from the outputs
// (model/functional.hpp). Nothing is computed: shapes only, and the weights wait for the model.
//
//   KerasTensor x = Input({28, 28, 1});
//   KerasTensor y = Conv2D(32, {3, 3}, {.activation = "relu"})(x);   // y.shape() == (26, 26, 32)
#pragma once
#include <elucid/core/shape.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace elucid::layers {

class Layer;
struct Node;

class KerasTensor {
 public:
  KerasTensor() = default;  // empty: made by no call
  explicit KerasTensor(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  const Shape& shape() const;  // throws when empty
  const std::shared_ptr<const Node>& node() const { return node_; }
  explicit operator bool() const { return node_ != nullptr; }

 private:
  std::shared_ptr<const Node> node_;
};

// A number that grows with every Node made: the order of a shared layer's calls (Keras' node_index).
uint64_t next_node_serial();

// One call of a layer: the layer (an InputLayer for a model's input), the tensors it was called on (none for an
// input), and its output's shape.
struct Node {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;
  Shape shape;
  uint64_t serial = next_node_serial();
};

// keras.Input(shape, name): a model input of one sample's shape (each dimension >= 1), through an InputLayer. Its name
// is the InputLayer's; unnamed, the model names it input_1, input_2, ... as tf.keras 2.x does.
KerasTensor Input(Shape shape, std::string name = {});

}  // namespace elucid::layers
