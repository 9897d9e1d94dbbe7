// Random: the one seeded generator (xoshiro256**, seeded through splitmix64). The same seed gives the same numbers
// on every machine: the distributions below are written here, not taken from `<random>`, whose results vary by library.
// Also the keyed generators of layers that draw in training (Dropout), and RunPosition, which keys them.
#pragma once
#include <array>
#include <cstdint>
#include <span>

namespace elucid {

class Random {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Random(uint64_t seed = 0);

  uint64_t next_u64();
  uint32_t next_u32() { return static_cast<uint32_t>(next_u64() >> 32); }
  uint64_t below(uint64_t n);              // uniform in [0, n), unbiased; n > 0
  float uniform();                         // uniform in [0, 1), 24 random bits
  float uniform(float low, float high);    // uniform in [low, high)
  double normal();                         // standard normal (Box-Muller on two 53-bit uniforms)
  float normal(float mean, float stddev);
  float truncated_normal(float mean, float stddev);  // redrawn outside two stddevs, as Keras' TruncatedNormal
  void shuffle(std::span<int64_t> items);  // Fisher-Yates

  // Derives an independent generator, e.g. one per layer or per epoch, without disturbing this one's sequence.
  static Random derive(uint64_t seed, uint64_t stream);
  // The counter-based generator of one (seed, step, sample): e.g. a layer's seed, a training step and a sample's
  // index in the global batch. It depends on these three alone, never on what was drawn before, so any thread,
  // slice or rank that holds the sample draws the same numbers for it, and a resumed run draws them again.
  static Random keyed(uint64_t seed, uint64_t step, uint64_t sample);

  State state() const { return s_; }      // set_state(state()) resumes the same sequence
  void set_state(const State& state) { s_ = state; }

 private:
  State s_;
};

// Where a training forward pass stands in its run: the training step (the optimizer's step count before it) and the
// index, in the global batch, of the first sample of the input in hand. The trainer sets it on the thread that runs
// each training forward pass (train/trainer.cpp): on each slice's thread, with each rank's and each slice's offset.
// A layer that draws in training keys its draws by it (Random::keyed(its seed, step, first_sample + i) for sample i),
// so the loop needs to know nothing about it: no state to save, to broadcast or to split.
struct RunPosition {
  uint64_t step = 0;
  int64_t first_sample = 0;

  class Scope;
  // This thread's, or null outside a training forward pass (a layer or model called by hand).
  static const RunPosition* current();
};

// Sets this thread's RunPosition for the scope's lifetime, then puts back the one before.
class RunPosition::Scope {
 public:
  explicit Scope(const RunPosition& position);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const RunPosition* outer_;
  RunPosition position_;
};

// The process-wide seed, as Keras' keras.utils.set_random_seed: weight initialisation and the default of fit's
// seed derive from it. It starts at 0, so an unseeded program still repeats itself exactly.
void set_random_seed(uint64_t seed);
uint64_t random_seed();

}  // namespace elucid
