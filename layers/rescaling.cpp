// Rescaling: the finite-number checks, and ops::mul_scalar then ops::add_scalar for the data.
#include <elucid/layers/rescaling.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <cmath>
#include <limits>

namespace elucid::layers {

namespace {
void check_finite(double value, const char* what, const std::string& layer_label) {
  // Also refuses what float32 cannot hold (1e39): the layer computes in float32.
  if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max())
    throw Error(layer_label + ": " + what + " must be a finite float32 number, got " + format_number(value));
}
}  // namespace

Rescaling::Rescaling(double scale, RescalingOptions options) : scale_(scale), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  check_finite(scale_, "scale", label());
  check_finite(options_.offset, "offset", label());
}

Tensor Rescaling::forward(const Tensor& x, bool /*training*/) {
  return ops::add_scalar(ops::mul_scalar(x, static_cast<float>(scale_)), static_cast<float>(options_.offset));
}

}  // namespace elucid::layers
