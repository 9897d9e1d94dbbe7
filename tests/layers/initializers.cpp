// Initializers: Keras' fans and limits, statistics over many draws, names, and seeding.
#include <elucid/core/error.hpp>
#include <elucid/layers/initializers.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace elucid;

namespace {
struct Stats {
  double mean, stddev, min, max;
};
Stats stats(const Tensor& t) {
  double s = 0, ss = 0, lo = 1e30, hi = -1e30;
  for (float v : t.values()) {
    s += v;
    lo = std::min(lo, double(v));
    hi = std::max(hi, double(v));
  }
  const double mean = s / double(t.size());
  for (float v : t.values()) ss += (v - mean) * (v - mean);
  return {mean, std::sqrt(ss / double(t.size())), lo, hi};
}
}  // namespace

TEST_CASE("glorot_uniform draws within sqrt(6 / (fan_in + fan_out)), conv fans included", "[initializers]") {
  Random rng(1);
  // Dense kernel (200, 300): limit sqrt(6 / 500). 60,000 draws: the mean's stddev is about 2.6e-4.
  Tensor dense = initializers::glorot_uniform().make({200, 300}, rng);
  const double limit = std::sqrt(6.0 / 500.0);
  Stats s = stats(dense);
  CHECK(s.min >= -limit);
  CHECK(s.max < limit);
  CHECK(s.min < -0.999 * limit);
  CHECK(s.max > 0.999 * limit);
  CHECK(std::abs(s.mean) < 1.5e-3);
  CHECK(s.stddev == Approx(limit / std::sqrt(3.0)).epsilon(0.01));

  // Conv kernel (3, 3, 1, 32): fan_in = 9, fan_out = 288.
  Tensor conv = initializers::Initializer("glorot_uniform").make({3, 3, 1, 32}, rng);
  const double conv_limit = std::sqrt(6.0 / (9.0 + 288.0));
  Stats c = stats(conv);
  CHECK(c.min >= -conv_limit);
  CHECK(c.max < conv_limit);
  CHECK(c.max > 0.95 * conv_limit);  // 288 draws reach near the edge; a smaller fan would give a larger limit
}

TEST_CASE("he_uniform draws within sqrt(6 / fan_in)", "[initializers]") {
  Random rng(2);
  Tensor t = initializers::he_uniform().make({3, 3, 64, 128}, rng);  // fan_in 576
  const double limit = std::sqrt(6.0 / 576.0);
  Stats s = stats(t);
  CHECK(s.min >= -limit);
  CHECK(s.max < limit);
  CHECK(s.max > 0.999 * limit);
  CHECK(s.stddev == Approx(limit / std::sqrt(3.0)).epsilon(0.01));
}

TEST_CASE("truncated-normal initializers reach the asked stddev and stop at two stddevs", "[initializers]") {
  struct Case {
    initializers::Initializer init;
    Shape shape;
    double stddev;  // after truncation, as Keras defines it
  };
  const std::vector<Case> cases{
      {initializers::glorot_normal(), {200, 300}, std::sqrt(1.0 / 250.0)},
      {initializers::he_normal(), {3, 3, 64, 128}, std::sqrt(2.0 / 576.0)},
      {initializers::lecun_normal(), {300, 200}, std::sqrt(1.0 / 300.0)},
  };
  Random rng(3);
  for (const Case& c : cases) {
    INFO(c.init.name());
    Tensor t = c.init.make(c.shape, rng);
    Stats s = stats(t);
    // Over 60,000+ draws the sample stddev is within about 0.3% of the true one: 2% is a wide margin.
    CHECK(s.stddev == Approx(c.stddev).epsilon(0.02));
    CHECK(std::abs(s.mean) < 0.02 * c.stddev);
    const double bound = 2.0 * c.stddev / 0.87962566103423978;  // two stddevs of the untruncated normal
    CHECK(s.max <= bound * 1.0001);
    CHECK(s.min >= -bound * 1.0001);
    CHECK(s.max > 0.98 * bound);
  }
}

TEST_CASE("random_normal and random_uniform take their parameters, zeros and ones are constant", "[initializers]") {
  Random rng(4);
  Tensor n = initializers::random_normal(1.0, 0.5).make({100000}, rng);
  Stats s = stats(n);
  CHECK(s.mean == Approx(1.0).margin(0.01));
  CHECK(s.stddev == Approx(0.5).epsilon(0.02));
  CHECK(s.max > 1.0 + 2.0 * 0.5);  // not truncated

  Tensor u = initializers::random_uniform(-0.2, 0.3).make({10000}, rng);
  Stats su = stats(u);
  CHECK(su.min >= -0.2f);
  CHECK(su.max < 0.3f);
  CHECK(su.min < -0.19);
  CHECK(su.max > 0.29);

  auto keras_normal = initializers::Initializer("RandomNormal");
  CHECK(keras_normal.mean() == 0.0);
  CHECK(keras_normal.stddev() == 0.05);
  auto keras_uniform = initializers::Initializer("random_uniform");
  CHECK(keras_uniform.minval() == -0.05);
  CHECK(keras_uniform.maxval() == 0.05);

  Stats z = stats(initializers::zeros().make({7}, rng));
  CHECK(z.min == 0.0);
  CHECK(z.max == 0.0);
  Stats o = stats(initializers::Initializer("ones").make({7}, rng));
  CHECK(o.min == 1.0);
  CHECK(o.max == 1.0);
}

TEST_CASE("the same seed gives the same weights", "[initializers][determinism]") {
  for (const char* name : {"glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
                           "random_normal", "random_uniform"}) {
    INFO(name);
    initializers::Initializer init = name;
    Random a(42), b(42), c(43);
    Tensor ta = init.make({3, 3, 2, 4}, a), tb = init.make({3, 3, 2, 4}, b), tc = init.make({3, 3, 2, 4}, c);
    CHECK(std::equal(ta.values().begin(), ta.values().end(), tb.values().begin()));
    CHECK_FALSE(std::equal(ta.values().begin(), ta.values().end(), tc.values().begin()));
  }
  // A seeded initializer ignores the caller's generator and gives the same values on every call, as Keras.
  Random a(1), b(2);
  auto seeded = initializers::he_normal(7);
  Tensor ta = seeded.make({16}, a), tb = seeded.make({16}, b);
  CHECK(std::equal(ta.values().begin(), ta.values().end(), tb.values().begin()));
  CHECK(seeded.seed() == std::optional<uint64_t>(7));
}

TEST_CASE("initializers are named like Keras, bad names and parameters are errors", "[initializers]") {
  CHECK(initializers::Initializer("GlorotUniform").name() == "glorot_uniform");
  CHECK(initializers::Initializer("he_normal").class_name() == "HeNormal");
  CHECK(initializers::lecun_normal().class_name() == "LecunNormal");
  CHECK(initializers::Initializer("zeros") == initializers::zeros());
  CHECK_THROWS_WITH(initializers::Initializer("xavier"),
                    "unknown initializer \"xavier\"; known initializers: glorot_uniform, glorot_normal, he_normal, "
                    "he_uniform, lecun_normal, zeros, ones, random_normal, random_uniform");
  CHECK_THROWS_WITH(initializers::random_normal(0.0, -1.0),
                    "random_normal: stddev must be finite and >= 0 and mean finite, got mean 0, stddev -1");
  CHECK_THROWS_WITH(initializers::random_uniform(0.5, 0.1),
                    "random_uniform: needs finite minval <= maxval, got minval 0.5, maxval 0.1");
}
