// RandomTranslation: the factor checks, and each sample's shift drawn from its keyed generator as a transform.
#include <elucid/layers/random_translation.hpp>

#include <array>
#include <vector>

namespace elucid::layers {

RandomTranslation::RandomTranslation(Factor height_factor, Factor width_factor, RandomTranslationOptions options)
    : Augmentation(options.seed), height_factor_(height_factor), width_factor_(width_factor),
      options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  factor_range(height_factor_, "height_factor", label());
  factor_range(width_factor_, "width_factor", label());
  check_transform_options(options_);
}

Tensor RandomTranslation::forward(const Tensor& x, bool training) {
  if (!training) return x;
  const RunPosition at = position(x);
  const auto [h_low, h_high] = factor_range(height_factor_, "height_factor", label());
  const auto [w_low, w_high] = factor_range(width_factor_, "width_factor", label());
  const float h = static_cast<float>(x.dim(1)), w = static_cast<float>(x.dim(2));
  std::vector<std::array<float, 8>> transforms(static_cast<size_t>(x.dim(0)));
  for (size_t i = 0; i < transforms.size(); ++i) {
    Random rng = sample_random(at, static_cast<int64_t>(i));
    const float dy = rng.uniform(h_low, h_high) * h, dx = rng.uniform(w_low, w_high) * w;
    transforms[i] = {1, 0, -dx, 0, 1, -dy, 0, 0};  // input (row, column) = (i - dy, j - dx)
  }
  return transform(x, transforms, options_);
}

}  // namespace elucid::layers
