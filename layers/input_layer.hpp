// InputLayer: declares the shape of one sample, InputLayer({.shape = {28, 28, 1}}), as tf.keras.layers.InputLayer.
// It has no weights and passes its input through; a Sequential takes its input shape from it.
#pragma once
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct InputLayerOptions {
  Shape shape = {};  // required: one sample's shape, without the batch axis
  std::string name = {};
};

class InputLayer : public Layer {
 public:
  explicit InputLayer(InputLayerOptions options);  // a missing shape or a dimension < 1 throws
  std::string class_name() const override { return "InputLayer"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<InputLayer>(std::move(*this)); }
  std::string default_name_stem() const override { return "input_layer"; }
  bool autocast_inputs() const override { return false; }  // the model's input is float32 (Keras: an Input's dtype)
  const Shape& shape() const { return options_.shape; }
  const InputLayerOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // must equal shape()
  Tensor forward(const Tensor& x, bool training) override;      // x itself

 private:
  InputLayerOptions options_;
};

}  // namespace elucid::layers
