// Sequential: a stack of layers, built in order, as Keras' keras.Sequential: add, pop, build, weights, summary,
// to_json. Training — compile, fit, evaluate, predict — comes from train::Trainer, through the hooks it overrides.
//
//   Sequential model;
//   model.add(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}}));
//   ...
//   model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
//   History history = model.fit(x_train, y_train, {.batch_size = 32, .epochs = 5, .validation_split = 0.1});
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/train/trainer.hpp>

#include <concepts>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace elucid {

class Sequential : public train::Trainer {
 public:
  explicit Sequential(std::string name = "sequential");

  // Adds a layer at the top. It is built at once when the input shape is known (the first layer's input_shape, or
  // the layers below it), and named as Keras names it (conv2d, conv2d_1, ...) unless it has a name.
  template <class L>
    requires std::derived_from<L, layers::Layer>
  void add(L layer) {
    add(std::make_shared<L>(std::move(layer)));
  }
  void add(std::shared_ptr<layers::Layer> layer);
  void pop();  // removes the top layer

  const std::string& name() const override { return name_; }
  const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
  std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;  // throws naming the layers there are

  // Builds every layer for this input shape (no batch axis); done by add() or fit() when the shape is known.
  void build(const Shape& input_shape);
  bool built() const override;
  Shape input_shape() const;   // without the batch axis; throws if unknown
  Shape output_shape() const;

  // Every layer's weights, trainable first within a layer; get_weights, set_weights and count_params come from
  // train::Trainer, through weights().
  std::vector<NamedTensor> weights() const override;
  std::vector<NamedTensor> trainable_weights() const override;
  std::vector<NamedTensor> non_trainable_weights() const override;  // BatchNormalization's moving statistics

  // The tf.keras 2.x summary: Layer (type), Output Shape with None for the batch, Param #, and the totals.
  void summary(std::ostream& out = std::cout) const override;
  std::string summary_string() const;

  // Keras' model.to_json() in tf.keras 2.x's layout (saving/keras_json.hpp). file_bytes(): elucid's model file, the
  // architecture, compile settings, weights and optimizer state (saving/model_file.hpp).
  std::string to_json() const override;
  std::string file_bytes(const SaveOptions& options) const override;
  // model.save("x.keras" | "x.h5" | "x.weights.h5" | "x.onnx" | "x.elucid"): save_model, the format by the ending.
  void save(const std::string& path, const SaveOptions& options = {}) const override;

  // The forward pass, x (N, ...input_shape) -> (N, ...output_shape).
  Tensor operator()(const Tensor& x, bool training = false);

  // ---- the rest of train::Trainer's hooks ----
  std::vector<Tensor> forward(std::span<const Tensor> inputs, bool training) override;  // one input, one output
  std::vector<Shape> build_for(std::span<const Shape> sample_shapes) override;
  std::vector<Shape> output_shapes() const override { return {output_shape()}; }
  std::vector<Shape> input_shapes() const override { return {input_shape()}; }
  // Its output's name, as Keras names it: the last layer's (none while it has no layers).
  std::vector<std::string> output_names() const override;
  bool needs_whole_batch() const override;  // when a layer does

 private:
  void check_input(const Shape& sample_shape);

  std::string name_;
  std::optional<Shape> input_shape_;  // from the first layer's input_shape, an InputLayer, or fit()
  std::vector<std::shared_ptr<layers::Layer>> layers_;
};

}  // namespace elucid
