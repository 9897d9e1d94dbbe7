// Cropping2D: argument checks, the output shape, and ops::crop2d for the data.
#include <elucid/layers/cropping2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

Cropping2D::Cropping2D(Edges2D cropping, Cropping2DOptions options)
    : cropping_(cropping), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  check_not_negative(cropping_, "cropping", label());
}

Shape Cropping2D::output_shape(const Shape& input_shape) const {
  check_image_shape(input_shape, label());
  const int64_t h = input_shape[0] - cropping_.top - cropping_.bottom;
  const int64_t w = input_shape[1] - cropping_.left - cropping_.right;
  if (h < 1 || w < 1)
    throw Error(label() + ": cropping " + edges_string(cropping_) + " leaves nothing of input " +
                to_string(input_shape));
  return {h, w, input_shape[2]};
}

Tensor Cropping2D::forward(const Tensor& x, bool /*training*/) {
  if (x.rank() != 4) throw Error(label() + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
  output_shape({x.dim(1), x.dim(2), x.dim(3)});  // the layer's message, not the op's
  return ops::crop2d(x, cropping_.margins());
}

}  // namespace elucid::layers
