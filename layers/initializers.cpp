// Initializer names, Keras' fan computation and variance scaling, and the draws from elucid::Random.
#include <elucid/layers/initializers.hpp>

#include <elucid/core/error.hpp>
#include <elucid/layers/layer.hpp>

#include <array>
#include <cmath>

namespace elucid::initializers {

namespace {
struct Entry {
  const char* name;
  const char* class_name;
  Kind kind;
};
constexpr std::array<Entry, 9> kTable{{{"glorot_uniform", "GlorotUniform", Kind::GlorotUniform},
                                       {"glorot_normal", "GlorotNormal", Kind::GlorotNormal},
                                       {"he_normal", "HeNormal", Kind::HeNormal},
                                       {"he_uniform", "HeUniform", Kind::HeUniform},
                                       {"lecun_normal", "LecunNormal", Kind::LecunNormal},
                                       {"zeros", "Zeros", Kind::Zeros},
                                       {"ones", "Ones", Kind::Ones},
                                       {"random_normal", "RandomNormal", Kind::RandomNormal},
                                       {"random_uniform", "RandomUniform", Kind::RandomUniform}}};

const Entry& entry(Kind kind) {
  for (const Entry& e : kTable)
    if (e.kind == kind) return e;
  throw Error("initializer: unknown kind");  // unreachable: the table covers every Kind
}

struct Fans {
  double in, out;
};
// Keras' _compute_fans: the kernel's last two axes are (inputs, outputs); the axes before are the receptive field.
Fans compute_fans(const Shape& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
  double receptive = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) receptive *= double(shape[i]);
  return {double(shape[shape.size() - 2]) * receptive, double(shape.back()) * receptive};
}

// Truncating a standard normal at +-2 leaves a stddev of 0.8796...; dividing by it restores the asked-for one.
constexpr double kTruncatedStddev = 0.87962566103423978;
}  // namespace

Initializer::Initializer(const char* name) : Initializer(std::string(name)) {}

Initializer::Initializer(const std::string& name) {
  for (const Entry& e : kTable)
    if (name == e.name || name == e.class_name) {
      *this = Initializer(e.kind, 0.0, 0.0, std::nullopt);
      if (kind_ == Kind::RandomNormal) b_ = 0.05;
      if (kind_ == Kind::RandomUniform) a_ = -0.05, b_ = 0.05;
      return;
    }
  throw Error("unknown initializer \"" + name + "\"; known initializers: " + known_names());
}

std::string Initializer::name() const { return entry(kind_).name; }
std::string Initializer::class_name() const { return entry(kind_).class_name; }

std::string Initializer::known_names() {
  std::string s;
  for (const Entry& e : kTable) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

void Initializer::fill(Tensor& t, Random& caller_rng) const {
  Random seeded(seed_.value_or(0));
  Random& rng = seed_ ? seeded : caller_rng;
  const Fans fans = compute_fans(t.shape());
  std::span<float> v = t.values();

  // Variance scaling: scale / max(1, n), then either a uniform limit or a truncated-normal stddev.
  auto scaled = [&](double scale, double n, bool uniform) {
    const double s = scale / std::max(1.0, n);
    if (uniform) {
      const float limit = static_cast<float>(std::sqrt(3.0 * s));
      for (float& x : v) x = rng.uniform(-limit, limit);
    } else {
      const float stddev = static_cast<float>(std::sqrt(s) / kTruncatedStddev);
      for (float& x : v) x = rng.truncated_normal(0.0f, stddev);
    }
  };
  switch (kind_) {
    case Kind::GlorotUniform:
      return scaled(1.0, (fans.in + fans.out) / 2, true);
    case Kind::GlorotNormal:
      return scaled(1.0, (fans.in + fans.out) / 2, false);
    case Kind::HeNormal:
      return scaled(2.0, fans.in, false);
    case Kind::HeUniform:
      return scaled(2.0, fans.in, true);
    case Kind::LecunNormal:
      return scaled(1.0, fans.in, false);
    case Kind::Zeros:
      return t.fill(0.0f);
    case Kind::Ones:
      return t.fill(1.0f);
    case Kind::RandomNormal:
      for (float& x : v) x = rng.normal(static_cast<float>(a_), static_cast<float>(b_));
      return;
    case Kind::RandomUniform:
      for (float& x : v) x = rng.uniform(static_cast<float>(a_), static_cast<float>(b_));
      return;
  }
}

Tensor Initializer::make(const Shape& shape, Random& rng) const {
  Tensor t(shape);
  fill(t, rng);
  return t;
}

Initializer glorot_uniform(std::optional<uint64_t> seed) { return {Kind::GlorotUniform, 0, 0, seed}; }
Initializer glorot_normal(std::optional<uint64_t> seed) { return {Kind::GlorotNormal, 0, 0, seed}; }
Initializer he_normal(std::optional<uint64_t> seed) { return {Kind::HeNormal, 0, 0, seed}; }
Initializer he_uniform(std::optional<uint64_t> seed) { return {Kind::HeUniform, 0, 0, seed}; }
Initializer lecun_normal(std::optional<uint64_t> seed) { return {Kind::LecunNormal, 0, 0, seed}; }
Initializer zeros() { return {Kind::Zeros, 0, 0, std::nullopt}; }
Initializer ones() { return {Kind::Ones, 0, 0, std::nullopt}; }

Initializer random_normal(double mean, double stddev, std::optional<uint64_t> seed) {
  if (!(stddev >= 0) || !std::isfinite(mean) || !std::isfinite(stddev))
    throw Error("random_normal: stddev must be finite and >= 0 and mean finite, got mean " +
                format_number(mean) + ", stddev " + format_number(stddev));
  return {Kind::RandomNormal, mean, stddev, seed};
}

Initializer random_uniform(double minval, double maxval, std::optional<uint64_t> seed) {
  if (!(minval <= maxval) || !std::isfinite(minval) || !std::isfinite(maxval))
    throw Error("random_uniform: needs finite minval <= maxval, got minval " + format_number(minval) +
                ", maxval " + format_number(maxval));
  return {Kind::RandomUniform, minval, maxval, seed};
}

}  // namespace elucid::initializers
