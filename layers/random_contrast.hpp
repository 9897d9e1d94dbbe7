// RandomContrast: in training, each image's contrast scaled by a factor f drawn per image, uniform in
// [1 - lower, 1 + upper]: y = clip((x - mean) * f + mean, value_range), the mean over H and W per channel; at
// inference, the identity. As keras.layers.RandomContrast (Keras 3, which clips to value_range).
//
// Sample i draws f = Random::keyed(...).uniform(1 - lower, 1 + upper) from its keyed generator
// (layers/augmentation.hpp). A single number factor is lower = upper = factor, as Keras documents it and tf.keras
// 2.x does (Keras 3's code draws from [1, 1 + factor] then, and writes factor back as [0, factor], which elucid reads
// as that pair).
#pragma once
#include <elucid/layers/augmentation.hpp>

#include <utility>

namespace elucid::layers {

// RandomContrast(0.2, {.value_range = {0, 1}, .seed = 42}), RandomContrast({0.1, 0.3}).
struct RandomContrastOptions {
  std::pair<double, double> value_range = {0, 255};  // the output is clipped to it in training
  std::optional<uint64_t> seed = {};  // unset: build() draws the layer's seed from the model's generator
  Shape input_shape = {};             // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class RandomContrast : public Augmentation {
 public:
  // lower in [0, 1] and upper >= 0, value_range low <= high, else throws.
  explicit RandomContrast(Factor factor, RandomContrastOptions options = {});
  std::string class_name() const override { return "RandomContrast"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<RandomContrast>(std::move(*this)); }
  std::string default_name_stem() const override { return "random_contrast"; }
  const Factor& factor() const { return factor_; }
  const RandomContrastOptions& options() const { return options_; }

  Tensor forward(const Tensor& x, bool training) override;  // x (N, H, W, C); not training: x itself

 private:
  Factor factor_;
  RandomContrastOptions options_;
};

}  // namespace elucid::layers
