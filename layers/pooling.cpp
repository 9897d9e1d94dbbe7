// Pooling layers: argument checks, output shapes and the forward pass through the pooling ops.
#include <elucid/layers/pooling.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>
#include <limits>

namespace elucid::layers {

namespace {
// Ops take (N, H, W, C); the message names what the layer expected.
void check_images(const Tensor& x, const std::string& label) {
  if (x.rank() != 4) throw Error(label + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
}
}  // namespace

Pooling2D::Pooling2D(bool max, Size2D pool_size, Pooling2DOptions options)
    : max_(max), pool_size_(pool_size), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

void Pooling2D::check_options() {
  check_positive(pool_size_, "pool_size", label());
  check_positive(strides(), "strides", label());
  args_.padding = parse_padding(options_.padding, label());
  args_.pool_h = pool_size_.height;
  args_.pool_w = pool_size_.width;
  args_.stride_h = strides().height;
  args_.stride_w = strides().width;
}

Shape Pooling2D::output_shape(const Shape& input_shape) const {
  const int64_t channels = input_shape.size() == 3 ? input_shape[2] : 0;
  return window_output_shape(label(), input_shape, pool_size_, strides(), {1, 1}, args_.padding, "pool", channels);
}

Tensor Pooling2D::forward(const Tensor& x, bool /*training*/) {
  check_images(x, label());
  return max_ ? ops::max_pool2d(x, args_) : ops::avg_pool2d(x, args_);
}

MaxPooling2D::MaxPooling2D(Size2D pool_size, Pooling2DOptions options)
    : Pooling2D(true, pool_size, std::move(options)) {
  check_options();
}

AveragePooling2D::AveragePooling2D(Size2D pool_size, Pooling2DOptions options)
    : Pooling2D(false, pool_size, std::move(options)) {
  check_options();
}

GlobalPooling2D::GlobalPooling2D(bool max, GlobalPooling2DOptions options) : max_(max), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

Shape GlobalPooling2D::output_shape(const Shape& input_shape) const {
  if (input_shape.size() != 3 || input_shape[0] < 1 || input_shape[1] < 1 || input_shape[2] < 1)
    throw Error(label() + ": expects input (H, W, C), got " + to_string(input_shape));
  if (options_.keepdims) return {1, 1, input_shape[2]};
  return {input_shape[2]};
}

Tensor GlobalPooling2D::forward(const Tensor& x, bool /*training*/) {
  check_images(x, label());
  const int64_t n = x.dim(0), c = x.dim(3);
  if (!max_) {
    Tensor y = ops::global_avg_pool2d(x);  // (N, C)
    return options_.keepdims ? ops::reshape(y, {n, 1, 1, c}) : y;
  }
  // One max-pooling window as large as the image: (N, 1, 1, C).
  ops::Pool2DArgs whole;
  whole.pool_h = static_cast<int>(std::min<int64_t>(x.dim(1), std::numeric_limits<int>::max()));
  whole.pool_w = static_cast<int>(std::min<int64_t>(x.dim(2), std::numeric_limits<int>::max()));
  Tensor y = ops::max_pool2d(x, whole);
  return options_.keepdims ? y : ops::reshape(y, {n, c});
}

bool is_disjoint_max_pooling(const Layer& layer) {
  if (dynamic_cast<const GlobalMaxPooling2D*>(&layer)) return true;
  const auto* pool = dynamic_cast<const MaxPooling2D*>(&layer);
  return pool && pool->strides().height >= pool->pool_size().height && pool->strides().width >= pool->pool_size().width;
}

}  // namespace elucid::layers
