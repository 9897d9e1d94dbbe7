// Learning-rate schedules: the rate as a function of the optimizer's step count (the number of steps already
// taken, 0 on the first step), as keras.optimizers.schedules computes it in float32.
// Pass one as an optimizer's learning_rate: Adam({.learning_rate = schedules::ExponentialDecay(1e-3f, 1000, 0.9f)}).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace elucid::optimizers::schedules {

// A schedule is immutable once made, so optimizers (and their clones) share one through shared_ptr<const Schedule>.
class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual std::string name() const = 0;  // Keras class name: "ExponentialDecay"
  virtual float operator()(int64_t step) const = 0;
};

// initial_learning_rate * decay_rate ^ (step / decay_steps); with staircase the exponent is floor(step / decay_steps).
class ExponentialDecay : public Schedule {
 public:
  ExponentialDecay(float initial_learning_rate, int64_t decay_steps, float decay_rate, bool staircase = false);
  std::string name() const override { return "ExponentialDecay"; }
  float operator()(int64_t step) const override;

  float initial_learning_rate() const { return initial_learning_rate_; }
  int64_t decay_steps() const { return decay_steps_; }
  float decay_rate() const { return decay_rate_; }
  bool staircase() const { return staircase_; }

 private:
  float initial_learning_rate_;
  int64_t decay_steps_;
  float decay_rate_;
  bool staircase_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], values.back() after
// the last boundary. Boundaries strictly increase; there is one more value than boundaries.
class PiecewiseConstantDecay : public Schedule {
 public:
  PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<float> values);
  std::string name() const override { return "PiecewiseConstantDecay"; }
  float operator()(int64_t step) const override;

  const std::vector<int64_t>& boundaries() const { return boundaries_; }
  const std::vector<float>& values() const { return values_; }

 private:
  std::vector<int64_t> boundaries_;
  std::vector<float> values_;
};

// Half a cosine from initial_learning_rate down to initial_learning_rate * alpha over decay_steps, then flat:
//   s = min(step, decay_steps); rate = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha).
// With warmup_target, the rate first rises linearly from initial_learning_rate to warmup_target over warmup_steps,
// then decays from warmup_target as above (Keras 3 CosineDecay).
class CosineDecay : public Schedule {
 public:
  CosineDecay(float initial_learning_rate, int64_t decay_steps, double alpha = 0.0,
              std::optional<float> warmup_target = std::nullopt, int64_t warmup_steps = 0);
  std::string name() const override { return "CosineDecay"; }
  float operator()(int64_t step) const override;

  float initial_learning_rate() const { return initial_learning_rate_; }
  int64_t decay_steps() const { return decay_steps_; }
  double alpha() const { return alpha_; }
  std::optional<float> warmup_target() const { return warmup_target_; }
  int64_t warmup_steps() const { return warmup_steps_; }

 private:
  float decay(float step, float from) const;

  float initial_learning_rate_;
  int64_t decay_steps_;
  double alpha_;
  std::optional<float> warmup_target_;
  int64_t warmup_steps_;
};

}  // namespace elucid::optimizers::schedules
