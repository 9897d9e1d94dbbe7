// Functional: a model that is a graph of layer calls, as Keras' functional API (keras.Model(inputs, outputs)):
// several inputs and outputs, branches that merge again (residual blocks), one layer called twice sharing its
// weights. Training — compile, fit, evaluate, predict — comes from train::Trainer, as for Sequential.
//
//   KerasTensor inputs = Input({28, 28, 1});
//   KerasTensor x = Conv2D(16, {3, 3}, {.padding = "same", .activation = "relu"})(inputs);
//   KerasTensor y = Conv2D(16, {3, 3}, {.padding = "same"})(x);
//   KerasTensor z = ReLU()(Add()({x, y}));                        // a residual connection
//   KerasTensor outputs = Dense(10)(Flatten()(z));
//   Functional model(inputs, outputs);                           // or Model: the same class
//   model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
//
// Made from the calls that lead from the inputs to the outputs: every layer is built when the model is made (each
// drawing its initial weights from its own stream of the seed, numbered as a Sequential of the same layers would
// number them), unnamed layers are named as Keras names them (conv2d, conv2d_1, ...; the inputs input_1, ...).
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/layers/keras_tensor.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/train/trainer.hpp>

#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace elucid {

class Functional : public train::Trainer {
 public:
  // Throws naming the layers and shapes when an input is not an Input(), an output needs an input that is not among
  // `inputs`, an input reaches no output, two layers have one name, or a shared layer is called on two shapes.
  Functional(std::vector<layers::KerasTensor> inputs, std::vector<layers::KerasTensor> outputs,
             std::string name = "model");
  Functional(const layers::KerasTensor& input, const layers::KerasTensor& output, std::string name = "model");

  const std::string& name() const override { return name_; }
  bool built() const override { return true; }  // built when made
  // Keras' model.layers: the InputLayers, then every other layer once, deepest first (the order Keras lists them in
  // its summary and its JSON).
  const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
  std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;  // throws naming the layers there are
  const std::vector<layers::KerasTensor>& inputs() const { return inputs_; }
  const std::vector<layers::KerasTensor>& outputs() const { return outputs_; }
  std::vector<Shape> input_shapes() const override;  // no batch axis
  std::vector<std::string> input_names() const override;   // the InputLayers' names, in order
  std::vector<std::string> output_names() const override;  // the names of the layers that give the outputs
  // Every call of the graph, each after the calls it takes its inputs from; the inputs' first.
  const std::vector<std::shared_ptr<const layers::Node>>& nodes() const { return nodes_; }
  // Which call of its layer `node` is (0, 1, ... in the order they were made), as Keras' node_index.
  int node_index(const layers::Node& node) const;

  // Every layer's weights in layers() order, trainable first within a layer.
  std::vector<NamedTensor> weights() const override;
  std::vector<NamedTensor> trainable_weights() const override;
  std::vector<NamedTensor> non_trainable_weights() const override;

  // Keras' functional summary: Layer (type), Output Shape, Param #, Connected to; then the totals.
  void summary(std::ostream& out = std::cout) const override;
  std::string summary_string() const;

  // One input, one output: x (N, ...input shape) -> (N, ...output shape).
  Tensor operator()(const Tensor& x, bool training = false);

  // ---- train::Trainer's hooks ----
  std::vector<Tensor> forward(std::span<const Tensor> inputs, bool training) override;
  std::vector<Shape> build_for(std::span<const Shape> sample_shapes) override;
  std::vector<Shape> output_shapes() const override;
  bool needs_whole_batch() const override;  // when a layer does
  std::string to_json() const override;        // tf.keras 2.x's Functional layout (saving/keras_json.hpp)
  std::string file_bytes(const SaveOptions& options) const override;  // elucid's model file (saving/model_file.hpp)
  // save_model (saving/model_file.hpp): .keras, .h5, .weights.h5, .onnx or elucid's model file by the path's ending.
  void save(const std::string& path, const SaveOptions& options = {}) const override;

 private:
  std::string name_;
  std::vector<layers::KerasTensor> inputs_, outputs_;
  std::vector<std::shared_ptr<const layers::Node>> nodes_;
  std::vector<std::shared_ptr<layers::Layer>> layers_;
  // A node whose output one other node alone reads -> that node (forward() runs such pairs as one call).
  std::map<const layers::Node*, const layers::Node*> sole_reader_;
};

// keras.Model(inputs, outputs) is the Functional model.
using Model = Functional;

}  // namespace elucid
