// RandomRotation: the factor check, and each sample's angle drawn from its keyed generator as a transform.
#include <elucid/layers/random_rotation.hpp>

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace elucid::layers {

RandomRotation::RandomRotation(Factor factor, RandomRotationOptions options)
    : Augmentation(options.seed), factor_(factor), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  factor_range(factor_, "factor", label());
  check_transform_options(options_);
}

Tensor RandomRotation::forward(const Tensor& x, bool training) {
  if (!training) return x;
  const RunPosition at = position(x);
  const auto [low, high] = factor_range(factor_, "factor", label());
  // The center, as Keras' _compute_affine_matrix: cx = (W - 1) / 2, cy = (H - 1) / 2.
  const float cy = static_cast<float>(x.dim(1) - 1) / 2, cx = static_cast<float>(x.dim(2) - 1) / 2;
  std::vector<std::array<float, 8>> transforms(static_cast<size_t>(x.dim(0)));
  for (size_t i = 0; i < transforms.size(); ++i) {
    const float degrees = sample_random(at, static_cast<int64_t>(i)).uniform(low * 360, high * 360);
    const float angle = degrees * static_cast<float>(std::numbers::pi / 180), c = std::cos(angle), s = std::sin(angle);
    transforms[i] = {c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c, 0, 0};
  }
  return transform(x, transforms, options_);
}

}  // namespace elucid::layers
