// RandomTranslation: the factor and mode checks, each sample's shift drawn from its keyed generator, and
// ops::affine_transform2d for the data.
#include <elucid/layers/random_translation.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace elucid::layers {

namespace {
// [-f, f] for one number, the pair sorted otherwise; every bound in [-1, 1].
std::pair<float, float> range_of(const Factor& f, const char* what, const std::string& layer_label) {
  for (double v : {f.lower, f.upper})
    if (!(v >= -1 && v <= 1))
      throw Error(layer_label + ": " + what + " must be in [-1, 1], got " + format_number(v));
  if (f.one_number) return {static_cast<float>(-std::fabs(f.lower)), static_cast<float>(std::fabs(f.lower))};
  return {static_cast<float>(std::min(f.lower, f.upper)), static_cast<float>(std::max(f.lower, f.upper))};
}
}  // namespace

RandomTranslation::RandomTranslation(Factor height_factor, Factor width_factor, RandomTranslationOptions options)
    : Augmentation(options.seed), height_factor_(height_factor), width_factor_(width_factor),
      options_(std::move(options)) {
  set_name_and_input_shape(options_.name, options_.input_shape);
  range_of(height_factor_, "height_factor", label());
  range_of(width_factor_, "width_factor", label());
  const std::string& fill = options_.fill_mode;
  if (fill != "reflect" && fill != "wrap" && fill != "nearest" && fill != "constant")
    throw Error(label() + ": fill_mode \"" + fill + "\" is not one of \"reflect\", \"wrap\", \"nearest\", \"constant\"");
  if (options_.interpolation != "bilinear" && options_.interpolation != "nearest")
    throw Error(label() + ": interpolation \"" + options_.interpolation + "\" is not one of \"bilinear\", \"nearest\"");
}

Tensor RandomTranslation::forward(const Tensor& x, bool training) {
  if (!training) return x;
  const RunPosition at = position(x);
  const auto [h_low, h_high] = range_of(height_factor_, "height_factor", label());
  const auto [w_low, w_high] = range_of(width_factor_, "width_factor", label());
  const float h = static_cast<float>(x.dim(1)), w = static_cast<float>(x.dim(2));
  std::vector<std::array<float, 8>> transforms(static_cast<size_t>(x.dim(0)));
  for (size_t i = 0; i < transforms.size(); ++i) {
    Random rng = sample_random(at, static_cast<int64_t>(i));
    const float dy = rng.uniform(h_low, h_high) * h, dx = rng.uniform(w_low, w_high) * w;
    transforms[i] = {1, 0, -dx, 0, 1, -dy, 0, 0};  // input (row, column) = (i - dy, j - dx)
  }
  return ops::affine_transform2d(x, transforms,
                                 {options_.interpolation, options_.fill_mode, static_cast<float>(options_.fill_value)});
}

}  // namespace elucid::layers
