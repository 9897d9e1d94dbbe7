// UpSampling2D: argument checks, the output shape, and ops::upsample2d_nearest or ops::resize_bilinear for the data.
#include <elucid/layers/upsampling2d.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/edges.hpp>

namespace elucid::layers {

UpSampling2D::UpSampling2D(Size2D size, UpSampling2DOptions options) : size_(size), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  check_positive(size_, "size", label());
  if (options_.interpolation != "nearest" && options_.interpolation != "bilinear")
    throw Error(label() + ": interpolation \"" + options_.interpolation +
                "\" is not supported (only \"nearest\" and \"bilinear\")");
}

Shape UpSampling2D::output_shape(const Shape& input_shape) const {
  check_image_shape(input_shape, label());
  return {input_shape[0] * size_.height, input_shape[1] * size_.width, input_shape[2]};
}

Tensor UpSampling2D::forward(const Tensor& x, bool /*training*/) {
  if (x.rank() != 4) throw Error(label() + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
  if (options_.interpolation == "bilinear")  // tf.image.resize's taps for the enlarged size (core/bilinear.hpp)
    return ops::resize_bilinear(x, x.dim(1) * size_.height, x.dim(2) * size_.width);
  return ops::upsample2d_nearest(x, size_.height, size_.width);
}

}  // namespace elucid::layers
