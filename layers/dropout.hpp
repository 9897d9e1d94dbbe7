// Dropout: in training, zeroes each input with probability `rate` and scales the rest by 1 / (1 - rate);
// at inference, the identity. As tf.keras.layers.Dropout.
//
// A sample's mask is a function of where the sample sits in the run: Random::keyed(the layer's seed, the training
// step, the sample's index in the global batch), read from this thread's RunPosition (core/random.hpp), which the
// trainer sets. So a batch cut into slices on threads, or split over the ranks of a data-parallel run, draws the
// masks one process draws for the whole batch, and a resumed run draws them again: the layer keeps no generator for
// the loop to save, split or broadcast.
#pragma once
#include <elucid/layers/layer.hpp>

#include <cstdint>
#include <optional>

namespace elucid::layers {

// Dropout(0.5, {.seed = 42}).
// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct DropoutOptions {
  // Set: the masks are keyed by this seed. Unset: build() draws the layer's seed from the model's generator, so a
  // model seed still makes the masks reproducible.
  std::optional<uint64_t> seed = {};
  Shape input_shape = {};  // one sample's shape, for the first layer of a model; empty: not given
  std::string name = {};
  std::string dtype = {};  // "float32" or "mixed_bfloat16"; empty: the global policy (layers/dtype_policy.hpp)
};

class Dropout : public Layer {
 public:
  explicit Dropout(double rate, DropoutOptions options = {});  // rate outside [0, 1) throws
  std::string class_name() const override { return "Dropout"; }
  std::shared_ptr<Layer> moved_to_heap() && override { return std::make_shared<Dropout>(std::move(*this)); }
  std::string default_name_stem() const override { return "dropout"; }
  double rate() const { return rate_; }
  const DropoutOptions& options() const { return options_; }

  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  // In training, inside a training step: the masks of the RunPosition's step and samples. Called by hand (no
  // RunPosition on this thread): each call a step of the layer's own counting, its input samples 0, 1, ...
  Tensor forward(const Tensor& x, bool training) override;

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  double rate_;
  DropoutOptions options_;
  uint64_t seed_;          // the masks' key: options.seed, or drawn by build()
  uint64_t own_steps_ = 0;  // training calls made by hand, outside a training step
};

}  // namespace elucid::layers
