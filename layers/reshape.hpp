// Reshape: each sample to target_shape, row-major, as tf.keras.layers.Reshape; one dimension may be -1 and takes
// what the sample's element count leaves. (N, 784) with Reshape({28, 28, 1}) -> (N, 28, 28, 1).
#pragma once
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

struct ReshapeOptions {
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Reshape : public Layer {
 public:
  explicit Reshape(Shape target_shape, ReshapeOptions options = {});  // sizes >= 1, or one -1
  std::string class_name() const override { return "Reshape"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Reshape>(std::move(*this)); }
  std::string default_name_stem() const override { return "reshape"; }
  bool autocast_inputs() const override { return false; }  // moves values
  const Shape& target_shape() const { return target_shape_; }  // as given, -1 included
  const ReshapeOptions& options() const { return options_; }

  // target_shape with its -1 resolved; throws when the element counts cannot match.
  Shape output_shape(const Shape& input_shape) const override;
  Tensor forward(const Tensor& x, bool training) override;  // shares x's data

 private:
  Shape target_shape_;
  ReshapeOptions options_;
};

}  // namespace elucid::layers
