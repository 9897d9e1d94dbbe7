// RandomZoom: in training, each image scaled about its center by a random factor per axis, the uncovered cells
// filled as fill_mode says, bilinear (or nearest) between cells; at inference, the identity. As
// keras.layers.RandomZoom, channels_last, through ops::affine_transform2d.
//
// A factor f is [-f, f], (lower, upper) that range, bounds in (-1, 1]; a positive value zooms out. Sample i draws its
// row zoom zy = uniform(1 + lower, 1 + upper), then (width_factor given) its column zoom zx likewise, else zx = zy,
// from its keyed generator (layers/augmentation.hpp); output (i, j) reads the input at
// (cy + (i - cy) zy, cx + (j - cx) zx), the center (cy, cx) = ((H - 1) / 2, (W - 1) / 2).
#pragma once
#include <elucid/layers/augmentation.hpp>

namespace elucid::layers {

// RandomZoom(0.2), RandomZoom({-0.3, 0.1}, 0.2, {.fill_mode = "constant"}).
using RandomZoomOptions = TransformOptions;

class RandomZoom : public Augmentation {
 public:
  // width_factor unset: the column zoom is the row zoom (the aspect ratio kept). Bad factor or mode: throws.
  explicit RandomZoom(Factor height_factor, std::optional<Factor> width_factor = {}, RandomZoomOptions options = {});
  std::string class_name() const override { return "RandomZoom"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<RandomZoom>(std::move(*this)); }
  std::string default_name_stem() const override { return "random_zoom"; }
  const Factor& height_factor() const { return height_factor_; }
  const std::optional<Factor>& width_factor() const { return width_factor_; }
  const RandomZoomOptions& options() const { return options_; }

  Tensor forward(const Tensor& x, bool training) override;  // x (N, H, W, C); not training: x itself

 private:
  Factor height_factor_;
  std::optional<Factor> width_factor_;
  RandomZoomOptions options_;
};

}  // namespace elucid::layers
