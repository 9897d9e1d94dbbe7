// RandomZoom: the factor checks, and each sample's zooms drawn from its keyed generator as a transform.
#include <elucid/layers/random_zoom.hpp>

#include <array>
#include <vector>

namespace elucid::layers {

RandomZoom::RandomZoom(Factor height_factor, std::optional<Factor> width_factor, RandomZoomOptions options)
    : Augmentation(options.seed), height_factor_(height_factor), width_factor_(width_factor),
      options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  factor_range(height_factor_, "height_factor", label(), /*open_below=*/true);
  if (width_factor_) factor_range(*width_factor_, "width_factor", label(), /*open_below=*/true);
  check_transform_options(options_);
}

Tensor RandomZoom::forward(const Tensor& x, bool training) {
  if (!training) return x;
  const RunPosition at = position(x);
  const auto [h_low, h_high] = factor_range(height_factor_, "height_factor", label(), true);
  const auto [w_low, w_high] = width_factor_ ? factor_range(*width_factor_, "width_factor", label(), true)
                                             : std::pair<float, float>{0, 0};
  const float cy = static_cast<float>(x.dim(1) - 1) / 2, cx = static_cast<float>(x.dim(2) - 1) / 2;
  std::vector<std::array<float, 8>> transforms(static_cast<size_t>(x.dim(0)));
  for (size_t i = 0; i < transforms.size(); ++i) {
    Random rng = sample_random(at, static_cast<int64_t>(i));
    const float zy = rng.uniform(1 + h_low, 1 + h_high);
    const float zx = width_factor_ ? rng.uniform(1 + w_low, 1 + w_high) : zy;
    transforms[i] = {zx, 0, cx * (1 - zx), 0, zy, cy * (1 - zy), 0, 0};
  }
  return transform(x, transforms, options_);
}

}  // namespace elucid::layers
