// Augmentation: the seed drawn at build, the position of a training call, the (H, W, C) check.
#include <elucid/layers/augmentation.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/layers/edges.hpp>

#include <algorithm>
#include <cmath>

namespace elucid::layers {

std::pair<float, float> factor_range(const Factor& f, const char* what, const std::string& layer_label,
                                     bool open_below) {
  for (double v : {f.lower, f.upper})
    if (!(v <= 1 && (open_below ? v > -1 : v >= -1)))
      throw Error(layer_label + ": " + what + " must be in " + (open_below ? "(" : "[") + "-1, 1], got " +
                  format_number(v));
  if (f.one_number) return {static_cast<float>(-std::fabs(f.lower)), static_cast<float>(std::fabs(f.lower))};
  return {static_cast<float>(std::min(f.lower, f.upper)), static_cast<float>(std::max(f.lower, f.upper))};
}

void Augmentation::check_transform_options(const TransformOptions& o) const {
  if (o.fill_mode != "reflect" && o.fill_mode != "wrap" && o.fill_mode != "nearest" && o.fill_mode != "constant")
    throw Error(label() + ": fill_mode \"" + o.fill_mode +
                "\" is not one of \"reflect\", \"wrap\", \"nearest\", \"constant\"");
  if (o.interpolation != "bilinear" && o.interpolation != "nearest")
    throw Error(label() + ": interpolation \"" + o.interpolation + "\" is not one of \"bilinear\", \"nearest\"");
}

Tensor Augmentation::transform(const Tensor& x, const std::vector<std::array<float, 8>>& transforms,
                               const TransformOptions& o) {
  return ops::affine_transform2d(x, transforms, {o.interpolation, o.fill_mode, static_cast<float>(o.fill_value)});
}

Shape Augmentation::output_shape(const Shape& input_shape) const {
  check_image_shape(input_shape, label());
  return input_shape;
}

void Augmentation::create_weights(const Shape& /*input_shape*/, Random& rng) {
  if (!seed_given_) seed_ = rng.next_u64();
}

RunPosition Augmentation::position(const Tensor& x) {
  if (x.rank() != 4) throw Error(label() + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
  // Several threads may run this at once inside a training step: there it only reads. By hand, it counts its calls.
  const RunPosition* at = RunPosition::current();
  return at ? *at : RunPosition{own_steps_++, 0};
}

}  // namespace elucid::layers
