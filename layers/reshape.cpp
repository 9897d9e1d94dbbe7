// Reshape: the target shape's checks, its -1 resolved against the input, and ops::reshape for the data.
#include <elucid/layers/reshape.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>

namespace elucid::layers {

Reshape::Reshape(Shape target_shape, ReshapeOptions options)
    : target_shape_(std::move(target_shape)), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  const auto free = std::ranges::count(target_shape_, -1);
  const bool sizes_ok = std::ranges::all_of(target_shape_, [](int64_t d) { return d >= 1 || d == -1; });
  if (target_shape_.empty() || free > 1 || !sizes_ok)
    throw Error(label() + ": target_shape must be sizes >= 1 with at most one -1, got " + to_string(target_shape_));
}

Shape Reshape::output_shape(const Shape& input_shape) const {
  const int64_t values = numel(input_shape);
  int64_t known = 1;  // the product of the given sizes, while it stays within `values`
  bool fits = true;
  for (int64_t d : target_shape_) {
    if (d == -1) continue;
    if (d > values / known)
      fits = false;  // d * known > values, found without overflowing
    else
      known *= d;
  }
  Shape out = target_shape_;
  const auto free = std::ranges::find(out, -1);
  const bool ok = fits && (free == out.end() ? known == values : values % known == 0 && values / known >= 1);
  if (!ok)
    throw Error(label() + ": cannot reshape input " + to_string(input_shape) + " (" + std::to_string(values) +
                " values) to " + to_string(target_shape_));
  if (free != out.end()) *free = values / known;
  return out;
}

Tensor Reshape::forward(const Tensor& x, bool /*training*/) {
  if (x.rank() < 1) throw Error(label() + ": expects a batch (N, ...), got a scalar");
  Shape shape = output_shape(Shape(x.shape().begin() + 1, x.shape().end()));
  shape.insert(shape.begin(), x.dim(0));
  return ops::reshape(x, std::move(shape));
}

}  // namespace elucid::layers
