// xoshiro256** (Blackman and Vigna) with splitmix64 seeding, the distributions elucid draws from it, the keyed
// generators and this thread's RunPosition.
#include <elucid/core/random.hpp>

#include <elucid/core/error.hpp>

#include <cmath>
#include <utility>

namespace elucid {

namespace {
uint64_t global_seed = 0;

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void set_random_seed(uint64_t seed) { global_seed = seed; }
uint64_t random_seed() { return global_seed; }

Random::Random(uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

Random Random::derive(uint64_t seed, uint64_t stream) {
  uint64_t mix = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
  return Random(splitmix64(mix));
}

Random Random::keyed(uint64_t seed, uint64_t step, uint64_t sample) {
  // Each key folded in through splitmix64's output function, a bijection: for one seed, two (step, sample) pairs
  // meet only by a 64-bit accident. The state is then seeded from the result as Random(seed) seeds its own.
  uint64_t key = seed;
  key = splitmix64(key) ^ step;
  key = splitmix64(key) ^ sample;
  return Random(splitmix64(key));
}

namespace {
thread_local const RunPosition* thread_position = nullptr;  // set by RunPosition::Scope
}  // namespace

RunPosition::Scope::Scope(const RunPosition& position) : outer_(thread_position), position_(position) {
  thread_position = &position_;
}

RunPosition::Scope::~Scope() { thread_position = outer_; }

const RunPosition* RunPosition::current() { return thread_position; }

uint64_t Random::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Random::below(uint64_t n) {
  if (n == 0) throw Error("Random::below: the range is empty (n = 0)");
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the tail that would bias small values
  uint64_t x;
  do x = next_u64(); while (x >= limit);
  return x % n;
}

float Random::uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

float Random::uniform(float low, float high) { return low + (high - low) * uniform(); }

double Random::normal() {
  // u1 in (0, 1] so that log(u1) is finite.
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

float Random::normal(float mean, float stddev) { return mean + stddev * static_cast<float>(normal()); }

float Random::truncated_normal(float mean, float stddev) {
  double z;
  do z = normal(); while (z < -2.0 || z > 2.0);
  return mean + stddev * static_cast<float>(z);
}

void Random::shuffle(std::span<int64_t> items) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
}

}  // namespace elucid
