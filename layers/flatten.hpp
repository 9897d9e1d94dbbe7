// Flatten: (N, d1, d2, ...) -> (N, d1 * d2 * ...) in row-major (H, W, C) order, as tf.keras.layers.Flatten.
#pragma once
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct FlattenOptions {
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Flatten : public Layer {
 public:
  explicit Flatten(FlattenOptions options = {});
  std::string class_name() const override { return "Flatten"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Flatten>(std::move(*this)); }
  std::string default_name_stem() const override { return "flatten"; }
  bool autocast_inputs() const override { return false; }  // moves values
  const FlattenOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // (5, 5, 64) -> (1600,); () -> (1,)
  Tensor forward(const Tensor& x, bool training) override;      // shares x's data

 private:
  FlattenOptions options_;
};

}  // namespace elucid::layers
