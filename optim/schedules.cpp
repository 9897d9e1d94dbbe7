// The learning-rate schedules. Formulas follow keras/src/optimizers/schedules/learning_rate_schedule.py (Keras 3),
// in float32 as Keras computes them: the step is cast to the rate's dtype before any arithmetic.
#include <elucid/optim/schedules.hpp>

#include <elucid/core/error.hpp>
#include <elucid/optim/check_option.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace elucid::optimizers::schedules {

namespace {
void check_start_and_steps(const char* schedule, float initial_learning_rate, int64_t decay_steps) {
  check_option(initial_learning_rate >= 0 && std::isfinite(initial_learning_rate), schedule, "initial_learning_rate",
               initial_learning_rate, ">= 0");
  check_option(decay_steps > 0, schedule, "decay_steps", decay_steps, "> 0");
}
}  // namespace

ExponentialDecay::ExponentialDecay(float initial_learning_rate, int64_t decay_steps, float decay_rate, bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {
  check_start_and_steps("ExponentialDecay", initial_learning_rate, decay_steps);
  // A negative rate to a fractional power is NaN.
  check_option(decay_rate >= 0 && std::isfinite(decay_rate), "ExponentialDecay", "decay_rate", decay_rate, ">= 0");
}

// Keras: p = step / decay_steps (floor(p) with staircase); initial_learning_rate * decay_rate ** p.
float ExponentialDecay::operator()(int64_t step) const {
  float p = static_cast<float>(step) / static_cast<float>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ * std::pow(decay_rate_, p);
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<float> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (values_.size() != boundaries_.size() + 1)
    throw Error("PiecewiseConstantDecay: values must have one more element than boundaries, got " +
                std::to_string(boundaries_.size()) + " boundaries and " + std::to_string(values_.size()) +
                " values");
  for (size_t i = 1; i < boundaries_.size(); ++i)
    if (boundaries_[i] <= boundaries_[i - 1])
      throw Error("PiecewiseConstantDecay: boundaries must increase strictly, got " +
                  std::to_string(boundaries_[i - 1]) + " then " + std::to_string(boundaries_[i]) + " at index " +
                  std::to_string(i));
  for (float v : values_)
    check_option(v >= 0 && std::isfinite(v), "PiecewiseConstantDecay", "each of values", v, ">= 0");
}

// Keras: values[0] where step <= boundaries[0], values[i] where boundaries[i-1] < step <= boundaries[i],
// values[-1] where step > boundaries[-1].
float PiecewiseConstantDecay::operator()(int64_t step) const {
  // The first boundary >= step marks the interval; past the last boundary it is the end, i.e. values.back().
  auto it = std::lower_bound(boundaries_.begin(), boundaries_.end(), step);
  return values_[static_cast<size_t>(it - boundaries_.begin())];
}

CosineDecay::CosineDecay(float initial_learning_rate, int64_t decay_steps, double alpha,
                         std::optional<float> warmup_target, int64_t warmup_steps)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      alpha_(alpha),
      warmup_target_(warmup_target),
      warmup_steps_(warmup_steps) {
  check_start_and_steps("CosineDecay", initial_learning_rate, decay_steps);
  check_option(alpha >= 0 && alpha <= 1, "CosineDecay", "alpha", alpha, "in [0, 1]");
  if (warmup_target)
    check_option(*warmup_target >= 0 && std::isfinite(*warmup_target), "CosineDecay", "warmup_target",
                 *warmup_target, ">= 0");
  check_option(warmup_steps >= 0, "CosineDecay", "warmup_steps", warmup_steps, ">= 0");
}

// Keras _decay_function: from * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha).
float CosineDecay::decay(float step, float from) const {
  const float completed = step / static_cast<float>(decay_steps_);
  const float cosine = 0.5f * (1.0f + std::cos(std::numbers::pi_v<float> * completed));
  const float decayed = static_cast<float>(1.0 - alpha_) * cosine + static_cast<float>(alpha_);
  return from * decayed;
}

// Keras __call__: without warmup, decay(min(step, decay_steps)) from initial_learning_rate. With warmup,
// s = min(step, decay_steps + warmup_steps); while s < warmup_steps the rate is
// (warmup_target - initial) * s / warmup_steps + initial, then decay(s - warmup_steps) from warmup_target.
float CosineDecay::operator()(int64_t step) const {
  const float decay_steps = static_cast<float>(decay_steps_);
  if (!warmup_target_) return decay(std::min(static_cast<float>(step), decay_steps), initial_learning_rate_);
  const float warmup_steps = static_cast<float>(warmup_steps_);
  const float s = std::min(static_cast<float>(step), decay_steps + warmup_steps);
  if (s < warmup_steps) return (*warmup_target_ - initial_learning_rate_) * (s / warmup_steps) + initial_learning_rate_;
  return decay(s - warmup_steps, *warmup_target_);
}

}  // namespace elucid::optimizers::schedules
