// Augmentation: what the random image layers (RandomFlip, RandomContrast, ...) share with Dropout's way of drawing:
// the layer's seed (its own, or drawn from the model's generator at build) and the position its draws are keyed by.
// Sample i of a training input draws from Random::keyed(seed, step, first_sample + i), the RunPosition the trainer
// sets on this thread: the same draws at any thread count, over any split of the batch, and on resume.
#pragma once
#include <elucid/core/random.hpp>
#include <elucid/layers/layer.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace elucid::layers {

// A Keras factor as given: one number (lower = upper = it) or (lower, upper). Each layer says what it means; Keras
// JSON gets it back in the form it was given.
struct Factor {
  double lower = 0, upper = 0;
  bool one_number = true;
  Factor(double f) : lower(f), upper(f) {}  // NOLINT(google-explicit-constructor)
  Factor(double low, double high) : lower(low), upper(high), one_number(false) {}
};

// The options of the layers that move pixels through ops::affine_transform2d (RandomTranslation, RandomRotation,
// RandomZoom), in Keras' names and defaults.
struct TransformOptions {
  std::string fill_mode = "reflect";       // "reflect", "wrap", "nearest" or "constant"
  std::string interpolation = "bilinear";  // or "nearest"
  std::optional<uint64_t> seed = {};       // unset: build() draws the layer's seed from the model's generator
  double fill_value = 0.0;                 // the value of cells outside the image, for "constant"
  Shape input_shape = {};                  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

// A factor's range as Keras' transform layers take it: one number f is [-f, f], a pair is sorted. Throws
// `<layer>: <what> must be in [-1, 1], got 2` for a bound outside [lowest, 1] (lowest -1; RandomZoom's is open).
std::pair<float, float> factor_range(const Factor& f, const char* what, const std::string& layer_label,
                                     bool open_below = false);

class Augmentation : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;  // (H, W, C) -> (H, W, C); other shapes throw

 protected:
  explicit Augmentation(std::optional<uint64_t> seed) : seed_(seed.value_or(0)), seed_given_(seed.has_value()) {}
  void create_weights(const Shape& input_shape, Random& rng) override;  // draws the seed when none was given
  // The position of a training call: the RunPosition inside a training step; called by hand, each call a step of
  // the layer's own counting, its input's samples 0, 1, ... Also checks x is a batch (N, H, W, C).
  RunPosition position(const Tensor& x);
  // The generator of sample i of the input at `at`.
  Random sample_random(const RunPosition& at, int64_t i) const {
    return Random::keyed(seed_, at.step, static_cast<uint64_t>(at.first_sample + i));
  }
  // Checks a TransformOptions' fill_mode and interpolation; then transform() applies one transform per sample.
  void check_transform_options(const TransformOptions& o) const;
  static Tensor transform(const Tensor& x, const std::vector<std::array<float, 8>>& transforms, const TransformOptions& o);

 private:
  uint64_t seed_;
  bool seed_given_;
  uint64_t own_steps_ = 0;  // training calls made by hand, outside a training step
};

}  // namespace elucid::layers
