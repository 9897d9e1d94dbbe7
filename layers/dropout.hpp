// Dropout: in training, zeroes each input with probability `rate` and scales the rest by 1 / (1 - rate);
// at inference, the identity. As tf.keras.layers.Dropout.
#pragma once
#include <elucid/layers/layer.hpp>

#include <cstdint>
#include <optional>

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

  // Data-parallel training (model/sequential.cpp): the next forward() in training gets samples
  // [begin, begin + count) of a global batch of `total`. It draws the mask of the whole global batch, as one process
  // at batch `total` would, and applies this slice's part: so the ranks together use the one-process run's masks and
  // every rank's generator stays in step. count 0 (a rank with no sample of a small last batch runs no forward())
  // draws past the batch's mask at once. Without it, forward() masks its input alone, as before.
  void set_batch_slice(int64_t begin, int64_t count, int64_t total);

  // Training on slices of the batch at once on the thread team (train/batch_split.hpp). begin_slices(n), before the
  // slices run, keeps the generator's state; each slice's forward(), on its own thread inside a SliceScope, draws
  // from a copy of it the masks of its own samples, those one forward() over all n would have drawn; end_slices()
  // then moves the generator past the whole batch. With set_batch_slice (a rank's part of a global batch), the
  // slices are slices of that part and draw that part's masks.
  void begin_slices(int64_t n);
  void end_slices();
  // Tells forward() on this thread which samples of the batch given to begin_slices its input holds.
  class SliceScope {
   public:
    SliceScope(int64_t begin, int64_t count);
    ~SliceScope();
    SliceScope(const SliceScope&) = delete;
    SliceScope& operator=(const SliceScope&) = delete;
  };

 protected:
  void create_weights(const Shape& input_shape, Random& rng) override;

 private:
  double rate_;
  DropoutOptions options_;
  Random rng_;
  struct Slice {
    int64_t begin = 0, count = 0, total = 0;
  };
  std::optional<Slice> slice_;  // for the next forward() only
  struct Slices {
    Random start;              // the generator as the step began
    int64_t begin = 0, total = 0;  // the batch given to begin_slices: samples [begin, begin + n) of `total`
  };
  std::optional<Slices> slices_;  // between begin_slices and end_slices
  Tensor forward_slice(const Tensor& x, const Slices& slices);
};

}  // namespace elucid::layers
