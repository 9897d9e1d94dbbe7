// Layer: the base of every Keras-style layer. A layer is built once its input shape is known, owns named weights,
// and maps a batch (N, ...) to a batch (N, ...) through ops (core/ops.hpp). Called on a KerasTensor instead of a
// batch, it gives the KerasTensor of its output: how Functional models are put together (model/functional.hpp).
#pragma once
#include <elucid/core/format.hpp>
#include <elucid/core/random.hpp>
#include <elucid/core/shape.hpp>
#include <elucid/core/tensor.hpp>
#include <elucid/layers/dtype_policy.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace elucid::layers {

class KerasTensor;

class Layer : public std::enable_shared_from_this<Layer> {
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
  bool built() const { return input_shape_.has_value() || !input_shapes_.empty(); }
  const std::optional<Shape>& built_input_shape() const { return input_shape_; }

  // x is (N, ...input_shape); `training` switches Dropout and BatchNormalization behaviour.
  virtual Tensor forward(const Tensor& x, bool training) = 0;
  // What models run: forward() on the input rounded to bfloat16 first when the layer computes in bfloat16 and its
  // autocast_inputs() says the rounding changes what it computes (Keras' autocast of a mixed policy's inputs).
  Tensor call(const Tensor& x, bool training);
  Tensor call_of(std::span<const Tensor> inputs, bool training);
  // pool.call(call(x)) for a max-pooling layer `pool` of disjoint windows that alone reads this layer's output
  // (Sequential and Functional ask for every such pair: is_disjoint_max_pooling, layers/pooling.hpp). A layer that
  // ends in a non-decreasing activation f overrides it to pool first and activate the pooled values:
  // max(f(a), f(b)) = f(max(a, b)), so the values are the same bits and f runs on a quarter of them (2x2 windows),
  // forward and backward. A window's gradient goes to its largest input: the element the layers in turn pick too,
  // unless f rounds two of the window's inputs to one output (they pick the first of those). Empty when the layer
  // does not pool first: the caller runs the two layers in turn.
  virtual std::optional<Tensor> call_then_max_pool(const Tensor& x, Layer& pool, bool training);
  // relu(call_of(inputs)) for a ReLU layer that alone reads this layer's output (Sequential and Functional ask for
  // every such pair: is_relu, layers/activation_layers.hpp). BatchNormalization and Add override it with their fused
  // ops (core/ops/fused.hpp), which take the ReLU in their last pass forward and its mask in their backward: the same
  // bits as the two layers in turn, one pass over the activations fewer each way. Empty when the layer has no such
  // form: the caller runs the two layers in turn.
  virtual std::optional<Tensor> call_then_relu(std::span<const Tensor> inputs, bool training);

  // The layer's dtype policy: the global one when it was made (mixed_precision::set_global_policy), or its options'
  // `.dtype`, or set here (Keras JSON's "dtype", a recipe's "dtype_policy").
  const mixed_precision::DTypePolicy& dtype_policy() const { return dtype_policy_; }
  void set_dtype_policy(const mixed_precision::DTypePolicy& policy) { dtype_policy_ = policy; }
  // True when this layer computes in bfloat16 here (its policy is mixed_bfloat16 and the CPU has AVX512_BF16).
  bool computes_in_bfloat16() const { return mixed_precision::computes_in_bfloat16(dtype_policy_); }

  // True when forward() in training needs the whole batch (BatchNormalization takes its statistics): then the
  // slices of a training step run at once and meet at this layer (train/batch_split.hpp, core/slice_group.hpp).
  virtual bool needs_whole_batch() const { return false; }

  // ---- several inputs: merge layers (layers/merge.hpp) override these; any other layer takes a list of one ----
  // Throws naming the layer and the shapes when they do not go together.
  virtual Shape output_shape_of(std::span<const Shape> input_shapes) const;
  virtual Tensor forward_of(std::span<const Tensor> inputs, bool training);
  Shape build_of(std::span<const Shape> input_shapes, Random& rng);  // build() for a list; no weights for several
  const std::vector<Shape>& built_input_shapes() const { return input_shapes_; }  // empty until built by build_of

  // ---- called on KerasTensors: Functional models ----
  //   KerasTensor x = Input({28, 28, 1});
  //   KerasTensor y = Conv2D(32, {3, 3})(x);       // a temporary layer moves into the graph
  //   KerasTensor z = Add()({x2, y});               // several inputs
  //   auto shared = std::make_shared<Dense>(10);   // one layer called twice shares its weights
  //   KerasTensor a = (*shared)(p), b = (*shared)(q);
  // The output's shape is worked out here, so an impossible input throws at the call, naming the layer and shapes;
  // the weights are made when the Functional model is. A named layer called on a tensor must be held by a
  // std::shared_ptr (otherwise the graph could outlive it): calling one that is not throws, saying so.
  KerasTensor operator()(const KerasTensor& x) &&;
  KerasTensor operator()(const KerasTensor& x) &;
  KerasTensor operator()(const std::vector<KerasTensor>& xs) &&;
  KerasTensor operator()(const std::vector<KerasTensor>& xs) &;
  // This layer moved into a new shared_ptr of its own class (each layer class's one line), for a temporary called
  // on a tensor. Here: an error naming the class, for a layer class written without it.
  virtual std::shared_ptr<Layer> moved_to_heap() &&;

  // Weights in Keras order (kernel, bias; gamma, beta, moving_mean, moving_variance), trainable ones first.
  virtual std::vector<NamedTensor> trainable_weights() { return {}; }
  virtual std::vector<NamedTensor> non_trainable_weights() { return {}; }
  std::vector<NamedTensor> weights();
  int64_t count_params();

  // The input shape given by the user (Keras `input_shape=`), if any; the first layer of a model needs one.
  std::optional<Shape> declared_input_shape;

 protected:
  virtual void create_weights(const Shape& input_shape, Random& rng) { (void)input_shape, (void)rng; }
  // For constructors: the options' name, input_shape and dtype, each when not empty (an unknown dtype throws).
  void set_common_options(const std::string& name, const Shape& input_shape, const std::string& dtype);
  // False for a layer whose result is the same whether or not call() rounds its inputs to bfloat16 first: one that
  // only moves, picks or scales values (pooling, reshaping, dropout), or one whose products round their operands
  // themselves (Conv2D, Dense). call() then spares the pass over the input.
  virtual bool autocast_inputs() const { return true; }
  // x as call() hands it to forward(): rounded to bfloat16 when the layer computes in bfloat16 and autocasts.
  Tensor autocast(const Tensor& x) const;
  // Throws naming the layer when forward() needs weights that build() has not made yet.
  void require_built() const;

 private:
  std::string name_;
  mixed_precision::DTypePolicy dtype_policy_ = mixed_precision::global_policy();
  std::optional<Shape> input_shape_;
  std::vector<Shape> input_shapes_;  // a merge layer's, built by build_of
};

// A model's weights, layer by layer in order: all of each layer's (trainable first), or only the trainable or the
// non-trainable ones. Sequential and Functional answer weights(), trainable_weights() and non_trainable_weights()
// with it.
enum class WeightKind { All, Trainable, NonTrainable };
std::vector<NamedTensor> weights_of(const std::vector<std::shared_ptr<Layer>>& layers, WeightKind kind);

}  // namespace elucid::layers
