// RandomTranslation: in training, each image shifted by a random fraction of its height and width, the uncovered
// cells filled as fill_mode says, bilinear (or nearest) between cells; at inference, the identity. As
// keras.layers.RandomTranslation, channels_last, through ops::affine_transform2d (Keras' affine_transform).
//
// A factor f is [-f, f]; (lower, upper) is that range, both in [-1, 1]. Sample i draws its row shift
// dy = uniform(height lower, upper) * H, then its column shift dx = uniform(width lower, upper) * W from its keyed
// generator (layers/augmentation.hpp); output (i, j) reads the input at (i - dy, j - dx).
#pragma once
#include <elucid/layers/augmentation.hpp>

namespace elucid::layers {

// RandomTranslation(0.1, {-0.2, 0.3}, {.fill_mode = "constant", .seed = 42}).
using RandomTranslationOptions = TransformOptions;

class RandomTranslation : public Augmentation {
 public:
  // Factors in [-1, 1] and the modes above, else throws.
  RandomTranslation(Factor height_factor, Factor width_factor, RandomTranslationOptions options = {});
  std::string class_name() const override { return "RandomTranslation"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<RandomTranslation>(std::move(*this)); }
  std::string default_name_stem() const override { return "random_translation"; }
  const Factor& height_factor() const { return height_factor_; }
  const Factor& width_factor() const { return width_factor_; }
  const RandomTranslationOptions& options() const { return options_; }

  Tensor forward(const Tensor& x, bool training) override;  // x (N, H, W, C); not training: x itself

 private:
  Factor height_factor_, width_factor_;
  RandomTranslationOptions options_;
};

}  // namespace elucid::layers
