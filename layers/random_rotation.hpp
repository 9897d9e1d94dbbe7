// RandomRotation: in training, each image turned about its center by a random angle, the uncovered cells filled as
// fill_mode says, bilinear (or nearest) between cells; at inference, the identity. As keras.layers.RandomRotation
// (Keras 3's transform), channels_last, through ops::affine_transform2d.
//
// factor is a fraction of a full turn: one number f is [-f, f], (lower, upper) that range, bounds in [-1, 1]; positive
// turns counter-clockwise. Sample i draws its angle uniform(lower, upper) * 360 degrees from its keyed generator
// (layers/augmentation.hpp); output (i, j) reads the input at the point the rotation by that angle about
// ((H - 1) / 2, (W - 1) / 2) takes it to.
#pragma once
#include <elucid/layers/augmentation.hpp>

namespace elucid::layers {

// RandomRotation(0.1, {.fill_mode = "constant", .seed = 42}).
using RandomRotationOptions = TransformOptions;

class RandomRotation : public Augmentation {
 public:
  explicit RandomRotation(Factor factor, RandomRotationOptions options = {});  // bad factor or mode: throws
  std::string class_name() const override { return "RandomRotation"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<RandomRotation>(std::move(*this)); }
  std::string default_name_stem() const override { return "random_rotation"; }
  const Factor& factor() const { return factor_; }
  const RandomRotationOptions& options() const { return options_; }

  Tensor forward(const Tensor& x, bool training) override;  // x (N, H, W, C); not training: x itself

 private:
  Factor factor_;
  RandomRotationOptions options_;
};

}  // namespace elucid::layers
