// RandomContrast: the factor and range checks, each sample's factor drawn from its keyed generator,
// ops::adjust_contrast for the data.
#include <elucid/layers/random_contrast.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <cmath>
#include <vector>

namespace elucid::layers {

RandomContrast::RandomContrast(Factor factor, RandomContrastOptions options)
    : Augmentation(options.seed), factor_(factor), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (!(factor_.lower >= 0 && factor_.lower <= 1 && factor_.upper >= 0 && std::isfinite(factor_.upper)))
    throw Error(label() + ": factor (" + format_number(factor_.lower) + ", " + format_number(factor_.upper) +
                ") must have lower in [0, 1] and upper >= 0");
  const auto [low, high] = options_.value_range;
  if (!(low <= high) || !std::isfinite(low) || !std::isfinite(high))
    throw Error(label() + ": value_range (" + format_number(low) + ", " + format_number(high) + ") must be finite, low <= high");
}

Tensor RandomContrast::forward(const Tensor& x, bool training) {
  if (!training) return x;
  const RunPosition at = position(x);
  const float low = static_cast<float>(1 - factor_.lower), high = static_cast<float>(1 + factor_.upper);
  std::vector<float> factors(static_cast<size_t>(x.dim(0)));
  for (size_t i = 0; i < factors.size(); ++i) factors[i] = sample_random(at, static_cast<int64_t>(i)).uniform(low, high);
  return ops::adjust_contrast(x, factors, static_cast<float>(options_.value_range.first),
                              static_cast<float>(options_.value_range.second));
}

}  // namespace elucid::layers
