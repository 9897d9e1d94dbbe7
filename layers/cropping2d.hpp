// Cropping2D: rows and columns cut from each side of each image, (N, H, W, C) -> (N, H - top - bottom,
// W - left - right, C), as tf.keras.layers.Cropping2D.
#pragma once
#include <elucid/layers/edges.hpp>
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

struct Cropping2DOptions {
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// Cropping2D(1), Cropping2D({1, 2}) (1 row from the top and the bottom, 2 columns from the left and the right),
// Cropping2D({{1, 0}, {2, 3}}) (top, bottom), (left, right). At least one row and one column must be left.
class Cropping2D : public Layer {
 public:
  explicit Cropping2D(Edges2D cropping = 0, Cropping2DOptions options = {});
  std::string class_name() const override { return "Cropping2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Cropping2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "cropping2d"; }
  bool autocast_inputs() const override { return false; }  // moves values
  const Edges2D& cropping() const { return cropping_; }
  const Cropping2DOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // (28, 28, 1) with cropping 2 -> (24, 24, 1)
  Tensor forward(const Tensor& x, bool training) override;      // x (N, H, W, C)

 private:
  Edges2D cropping_;
  Cropping2DOptions options_;
};

}  // namespace elucid::layers
