// ZeroPadding2D: argument checks, the output shape, and ops::zero_pad2d for the data.
#include <elucid/layers/zero_padding2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

ZeroPadding2D::ZeroPadding2D(Edges2D padding, ZeroPadding2DOptions options)
    : padding_(padding), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  check_not_negative(padding_, "padding", label());
}

Shape ZeroPadding2D::output_shape(const Shape& input_shape) const {
  check_image_shape(input_shape, label());
  return {input_shape[0] + padding_.top + padding_.bottom, input_shape[1] + padding_.left + padding_.right,
          input_shape[2]};
}

Tensor ZeroPadding2D::forward(const Tensor& x, bool /*training*/) {
  if (x.rank() != 4) throw Error(label() + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
  return ops::zero_pad2d(x, padding_.margins());
}

}  // namespace elucid::layers
