// Layer: the base of every Keras-style layer. A layer is built once its input shape is known, owns named weights,
// and maps a batch (N, ...) to a batch (N, ...) through ops (core/ops.hpp).
#pragma once
#include <elucid/core/format.hpp>
#include <elucid/core/random.hpp>
#include <elucid/core/shape.hpp>
#include <elucid/core/tensor.hpp>

#include <optional>
#include <string>
#include <vector>

namespace elucid::layers {

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string class_name() const = 0;  // Keras class name: "Conv2D", "MaxPooling2D", ...
  // Keras' default name stem: "conv2d", "max_pooling2d", "dense", "batch_normalization", ...
  virtual std::string default_name_stem() const = 0;

  // Empty until the user (options `.name`) or the Sequential (conv2d, conv2d_1, ...) gives one.
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  // How errors name the layer: Conv2D "conv2d_1", or just Conv2D while it has no name yet.
  std::string label() const;

  // Shapes exclude the batch axis: Conv2D on (28, 28, 1) with 32 filters 3x3 -> (26, 26, 32).
  // Throws elucid::Error naming the layer and the shape when the input is impossible (Conv2D after Flatten, a
  // kernel larger than its input, ...).
  virtual Shape output_shape(const Shape& input_shape) const = 0;
  // Creates the weights for this input shape (initializers draw from `rng`) and returns the output shape.
  // Building again with the same shape is a no-op; a different shape is an error.
  Shape build(const Shape& input_shape, Random& rng);
  bool built() const { return input_shape_.has_value(); }
  const std::optional<Shape>& built_input_shape() const { return input_shape_; }

  // x is (N, ...input_shape); `training` switches Dropout and BatchNormalization behaviour.
  virtual Tensor forward(const Tensor& x, bool training) = 0;
  // False when forward() in training needs the whole batch at once (BatchNormalization takes its statistics): then
  // a batch is not cut into slices run at once on several threads (train/batch_split.hpp).
  virtual bool can_train_in_slices() const { return true; }

  // Weights in Keras order (kernel, bias; gamma, beta, moving_mean, moving_variance), trainable ones first.
  virtual std::vector<NamedTensor> trainable_weights() { return {}; }
  virtual std::vector<NamedTensor> non_trainable_weights() { return {}; }
  std::vector<NamedTensor> weights();
  int64_t count_params();

  // The input shape given by the user (Keras `input_shape=`), if any; the first layer of a model needs one.
  std::optional<Shape> declared_input_shape;

 protected:
  virtual void create_weights(const Shape& input_shape, Random& rng) { (void)input_shape, (void)rng; }
  // For constructors: the options' name and input_shape, each when not empty.
  void set_name_and_input_shape(const std::string& name, const Shape& input_shape);
  // Throws naming the layer when forward() needs weights that build() has not made yet.
  void require_built() const;

 private:
  std::string name_;
  std::optional<Shape> input_shape_;
};

}  // namespace elucid::layers
