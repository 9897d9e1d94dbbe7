// Flatten: the element count of one sample as its output shape; ops::flatten for the data.
#include <elucid/layers/flatten.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::layers {

Flatten::Flatten(FlattenOptions options) : options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
}

Shape Flatten::output_shape(const Shape& input_shape) const { return {numel(input_shape)}; }

Tensor Flatten::forward(const Tensor& x, bool /*training*/) {
  if (x.rank() < 1) throw Error(label() + ": expects a batch (N, ...), got a scalar");
  if (x.rank() == 1) return ops::reshape(x, {x.dim(0), 1});  // Keras turns (N) into (N, 1)
  return ops::flatten(x);
}

}  // namespace elucid::layers
