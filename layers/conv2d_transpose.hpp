// Conv2DTranspose: the transposed convolution (sometimes called deconvolution) over (N, H, W, C) images, as
// tf.keras.layers.Conv2DTranspose (channels_last) with output_padding None: it maps each input pixel onto a
// kernel-sized patch of the output, strides apart, so strides 2 doubles the image.
#pragma once
#include <elucid/layers/conv2d.hpp>

namespace elucid::layers {

// Conv2D's options and defaults; dilation_rate must be (1, 1) and groups 1.
// Conv2DTranspose(16, 3, {.strides = 2, .padding = "same", .activation = "relu"}).
using Conv2DTransposeOptions = Conv2DOptions;

class Conv2DTranspose : public Layer {
 public:
  // Throws naming the layer when filters < 1, a kernel side or stride is < 1, the dilation or groups is not 1 or the
  // padding is unknown.
  Conv2DTranspose(int filters, Size2D kernel_size, Conv2DTransposeOptions options = {});

  std::string class_name() const override { return "Conv2DTranspose"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Conv2DTranspose>(std::move(*this)); }
  std::string default_name_stem() const override { return "conv2d_transpose"; }
  int filters() const { return filters_; }
  Size2D kernel_size() const { return kernel_size_; }
  const Conv2DTransposeOptions& options() const { return options_; }

  // (H, W, C) -> (OH, OW, filters); same: OH = H * stride, valid: OH = H * stride + max(KH - stride, 0).
  Shape output_shape(const Shape& input_shape) const override;
  // x (N, H, W, C) -> activation(conv2d_transpose(x, kernel) + bias).
  Tensor forward(const Tensor& x, bool training) override;
  std::vector<NamedTensor> trainable_weights() override;  // kernel (KH, KW, filters, C), bias (filters)

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  int filters_;
  Size2D kernel_size_;
  Conv2DTransposeOptions options_;
  ops::Conv2DArgs args_;
  Tensor kernel_, bias_;
};

}  // namespace elucid::layers
