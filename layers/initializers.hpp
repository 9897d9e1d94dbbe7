// Weight initializers by name and as objects, as tf.keras.initializers: "glorot_uniform", initializers::he_normal(),
// initializers::random_normal(0.0, 0.1). All draw from elucid::Random, so the same seed gives the same weights.
#pragma once
#include <elucid/core/random.hpp>
#include <elucid/core/tensor.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace elucid::initializers {

enum class Kind {
  GlorotUniform,
  GlorotNormal,
  HeNormal,
  HeUniform,
  LecunNormal,
  Zeros,
  Ones,
  RandomNormal,
  RandomUniform
};

class Initializer {
 public:
  // Implicit, so that options read `.kernel_initializer = "he_normal"`. Takes the Keras function name
  // ("glorot_uniform") or class name ("GlorotUniform"); an unknown name throws elucid::Error listing the known.
  Initializer(const char* name);         // NOLINT(google-explicit-constructor)
  Initializer(const std::string& name);  // NOLINT(google-explicit-constructor)

  Kind kind() const { return kind_; }
  std::string name() const;        // "glorot_uniform"
  std::string class_name() const;  // "GlorotUniform", as Keras JSON writes it
  // RandomNormal: mean, stddev (defaults 0, 0.05). RandomUniform: minval, maxval (defaults -0.05, 0.05).
  double mean() const { return a_; }
  double stddev() const { return b_; }
  double minval() const { return a_; }
  double maxval() const { return b_; }
  // Keras' `seed`: when set, every call draws from Random(seed) and so gives the same values; when not, the
  // values come from the generator the caller passes (the model's).
  const std::optional<uint64_t>& seed() const { return seed_; }

  // Fills t in row-major order. Fans follow Keras: rank 2 (in, out); conv kernels (KH, KW, C_in, F) have
  // fan_in = KH*KW*C_in and fan_out = KH*KW*F; rank 1 uses its length for both.
  void fill(Tensor& t, Random& rng) const;
  Tensor make(const Shape& shape, Random& rng) const;  // a new leaf (no grad) filled by fill()

  bool operator==(const Initializer&) const = default;

  static std::string known_names();  // every name the string constructor accepts

 private:
  Initializer(Kind kind, double a, double b, std::optional<uint64_t> seed) : kind_(kind), a_(a), b_(b), seed_(seed) {}
  friend Initializer glorot_uniform(std::optional<uint64_t>);
  friend Initializer glorot_normal(std::optional<uint64_t>);
  friend Initializer he_normal(std::optional<uint64_t>);
  friend Initializer he_uniform(std::optional<uint64_t>);
  friend Initializer lecun_normal(std::optional<uint64_t>);
  friend Initializer zeros();
  friend Initializer ones();
  friend Initializer random_normal(double, double, std::optional<uint64_t>);
  friend Initializer random_uniform(double, double, std::optional<uint64_t>);

  Kind kind_ = Kind::GlorotUniform;
  double a_ = 0.0, b_ = 0.0;  // the two parameters of random_normal / random_uniform
  std::optional<uint64_t> seed_;
};

// Variance scaling (Keras): n = fan_in, fan_out or their mean; uniform in [-sqrt(3 s / n), sqrt(3 s / n)), or a
// normal truncated at two stddevs with stddev sqrt(s / n) / 0.87962566103423978 (the truncation's correction).
Initializer glorot_uniform(std::optional<uint64_t> seed = std::nullopt);  // s = 1, fan_avg, uniform (the default)
Initializer glorot_normal(std::optional<uint64_t> seed = std::nullopt);   // s = 1, fan_avg, truncated normal
Initializer he_normal(std::optional<uint64_t> seed = std::nullopt);       // s = 2, fan_in, truncated normal
Initializer he_uniform(std::optional<uint64_t> seed = std::nullopt);      // s = 2, fan_in, uniform
Initializer lecun_normal(std::optional<uint64_t> seed = std::nullopt);    // s = 1, fan_in, truncated normal
Initializer zeros();
Initializer ones();
Initializer random_normal(double mean = 0.0, double stddev = 0.05, std::optional<uint64_t> seed = std::nullopt);
Initializer random_uniform(double minval = -0.05, double maxval = 0.05, std::optional<uint64_t> seed = std::nullopt);

}  // namespace elucid::initializers
