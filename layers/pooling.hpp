// Pooling over (N, H, W, C) images: MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D,
// as tf.keras.layers.
#pragma once
#include <elucid/layers/layer.hpp>
#include <elucid/layers/window.hpp>

namespace elucid::layers {

// MaxPooling2D({2, 2}, {.strides = {1, 1}, .padding = "same"}).
struct Pooling2DOptions {
  Size2D strides = {0, 0};        // {0, 0}: the pool size, as Keras' strides=None
  std::string padding = "valid";  // "valid" or "same"
  Shape input_shape = {};         // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// The shared part of the two windowed poolings; `max` picks the op.
class Pooling2D : public Layer {
 public:
  Size2D pool_size() const { return pool_size_; }
  Size2D strides() const { return options_.strides == Size2D(0, 0) ? pool_size_ : options_.strides; }  // resolved
  const Pooling2DOptions& options() const { return options_; }
  const ops::Pool2DArgs& args() const { return args_; }  // what forward hands the pooling op

  // (H, W, C) -> (OH, OW, C) with floor rounding for valid padding, ceil(H / stride) for same.
  Shape output_shape(const Shape& input_shape) const override;
  Tensor forward(const Tensor& x, bool training) override;  // x (N, H, W, C)

 protected:
  Pooling2D(bool max, Size2D pool_size, Pooling2DOptions options);
  // Called by the final classes' constructors, once class_name() names them, so errors say which pooling it is.
  void check_options();

 private:
  bool max_;
  Size2D pool_size_;
  Pooling2DOptions options_;
  ops::Pool2DArgs args_;
};

class MaxPooling2D : public Pooling2D {
 public:
  explicit MaxPooling2D(Size2D pool_size = {2, 2}, Pooling2DOptions options = {});
  std::string class_name() const override { return "MaxPooling2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<MaxPooling2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "max_pooling2d"; }
  bool autocast_inputs() const override { return false; }  // picks values: the same whether rounded before or after
};

// With same padding each output averages over the input cells its window covers, not the padding.
class AveragePooling2D : public Pooling2D {
 public:
  explicit AveragePooling2D(Size2D pool_size = {2, 2}, Pooling2DOptions options = {});
  std::string class_name() const override { return "AveragePooling2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<AveragePooling2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "average_pooling2d"; }
};

struct GlobalPooling2DOptions {
  bool keepdims = false;   // true: (1, 1, C) instead of (C)
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};
using GlobalAveragePooling2DOptions = GlobalPooling2DOptions;
using GlobalMaxPooling2DOptions = GlobalPooling2DOptions;

// The shared part of the two global poolings; `max` picks the op.
class GlobalPooling2D : public Layer {
 public:
  const GlobalPooling2DOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // (H, W, C) -> (C), or (1, 1, C) with keepdims
  Tensor forward(const Tensor& x, bool training) override;      // x (N, H, W, C)

 protected:
  GlobalPooling2D(bool max, GlobalPooling2DOptions options);

 private:
  bool max_;
  GlobalPooling2DOptions options_;
};

// The mean over H and W: (N, H, W, C) -> (N, C).
class GlobalAveragePooling2D : public GlobalPooling2D {
 public:
  explicit GlobalAveragePooling2D(GlobalPooling2DOptions options = {}) : GlobalPooling2D(false, std::move(options)) {}
  std::string class_name() const override { return "GlobalAveragePooling2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<GlobalAveragePooling2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "global_average_pooling2d"; }
};

// The maximum over H and W: (N, H, W, C) -> (N, C), a max-pooling window as large as the image; its gradient goes
// to the first cell of a tie.
class GlobalMaxPooling2D : public GlobalPooling2D {
 public:
  explicit GlobalMaxPooling2D(GlobalPooling2DOptions options = {}) : GlobalPooling2D(true, std::move(options)) {}
  std::string class_name() const override { return "GlobalMaxPooling2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<GlobalMaxPooling2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "global_max_pooling2d"; }
  bool autocast_inputs() const override { return false; }  // picks values: the same whether rounded before or after
};

// True for GlobalMaxPooling2D and a MaxPooling2D whose windows do not overlap (strides at least the pool size, as
// by default): the layers a model hands to Layer::call_then_max_pool. (Where windows overlap, an input's gradient
// sums several windows' before the activation's derivative multiplies it, and the order would change its bits.)
bool is_disjoint_max_pooling(const Layer& layer);

}  // namespace elucid::layers
