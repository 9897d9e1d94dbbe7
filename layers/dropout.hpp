// Dropout: in training, zeroes each input with probability `rate` and scales the rest by 1 / (1 - rate);
// at inference, the identity. As tf.keras.layers.Dropout.
#pragma once
#include <elucid/layers/layer.hpp>

#include <cstdint>

namespace elucid::layers {

// Dropout(0.5, {.seed = 42}).
struct DropoutOptions {
  // Set: the masks come from Random(seed). Unset: build() seeds the layer from the model's generator, so a
  // model seed still makes the masks reproducible.
  std::optional<uint64_t> seed = {};
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
};

class Dropout : public Layer {
 public:
  explicit Dropout(double rate, DropoutOptions options = {});  // rate outside [0, 1) throws
  std::string class_name() const override { return "Dropout"; }
  std::string default_name_stem() const override { return "dropout"; }
  double rate() const { return rate_; }
  const DropoutOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Tensor forward(const Tensor& x, bool training) override;

  // The mask generator, for checkpoints that resume a run mid-way (Random::state / set_state).
  Random& generator() { return rng_; }

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  double rate_;
  DropoutOptions options_;
  Random rng_;
};

}  // namespace elucid::layers
