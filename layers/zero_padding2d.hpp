// ZeroPadding2D: rows and columns of zeros around each image, (N, H, W, C) -> (N, H + top + bottom,
// W + left + right, C), as tf.keras.layers.ZeroPadding2D.
#pragma once
#include <elucid/layers/edges.hpp>
#include <elucid/layers/layer.hpp>

namespace elucid::layers {

struct ZeroPadding2DOptions {
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// ZeroPadding2D(1), ZeroPadding2D({1, 2}) (1 row above and below, 2 columns left and right),
// ZeroPadding2D({{1, 0}, {2, 3}}) (top, bottom), (left, right).
class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(Edges2D padding = 1, ZeroPadding2DOptions options = {});
  std::string class_name() const override { return "ZeroPadding2D"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<ZeroPadding2D>(std::move(*this)); }
  std::string default_name_stem() const override { return "zero_padding2d"; }
  bool autocast_inputs() const override { return false; }  // moves values
  const Edges2D& padding() const { return padding_; }
  const ZeroPadding2DOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override;  // (28, 28, 1) with padding 2 -> (32, 32, 1)
  Tensor forward(const Tensor& x, bool training) override;      // x (N, H, W, C)

 private:
  Edges2D padding_;
  ZeroPadding2DOptions options_;
};

}  // namespace elucid::layers
