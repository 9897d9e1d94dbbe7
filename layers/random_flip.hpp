// RandomFlip: in training, each sample mirrored left-right and / or top-bottom, each with probability 1/2; at
// inference, the identity. As keras.layers.RandomFlip, channels_last.
//
// Sample i draws uniform() from its keyed generator (layers/augmentation.hpp), once per axis of the mode, the
// horizontal one first; the axis flips when the draw is below 1/2. The two axes of "horizontal_and_vertical" are
// drawn apart, as tf.keras 2.x does (four orientations); Keras 3 draws once and flips both axes or neither.
#pragma once
#include <elucid/layers/augmentation.hpp>

namespace elucid::layers {

// RandomFlip("horizontal", {.seed = 42}).
struct RandomFlipOptions {
  std::optional<uint64_t> seed = {};  // unset: build() draws the layer's seed from the model's generator
  Shape input_shape = {};             // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class RandomFlip : public Augmentation {
 public:
  // mode: "horizontal", "vertical" or "horizontal_and_vertical" (Keras' default); another throws.
  explicit RandomFlip(std::string mode = "horizontal_and_vertical", RandomFlipOptions options = {});
  std::string class_name() const override { return "RandomFlip"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<RandomFlip>(std::move(*this)); }
  std::string default_name_stem() const override { return "random_flip"; }
  const std::string& mode() const { return mode_; }
  const RandomFlipOptions& options() const { return options_; }

  Tensor forward(const Tensor& x, bool training) override;  // x (N, H, W, C); not training: x itself

 private:
  std::string mode_;
  RandomFlipOptions options_;
};

}  // namespace elucid::layers
