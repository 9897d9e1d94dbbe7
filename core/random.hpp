// Random: the one seeded generator (xoshiro256**, seeded through splitmix64). The same seed gives the same numbers
// on every machine: the distributions below are written here, not taken from `<random>`, whose results vary by library.
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

  State state() const { return s_; }      // for checkpoints: set_state(state()) resumes the same sequence
  void set_state(const State& state) { s_ = state; }

 private:
  State s_;
};

// The process-wide seed, as Keras' keras.utils.set_random_seed: weight initialisation and the default of fit's
// seed derive from it. It starts at 0, so an unseeded program still repeats itself exactly.
void set_random_seed(uint64_t seed);
uint64_t random_seed();

}  // namespace elucid
