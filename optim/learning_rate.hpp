// LearningRate: an optimizer's learning_rate option, a constant or a schedule, so that both
// Adam({.learning_rate = 1e-3f}) and Adam({.learning_rate = schedules::CosineDecay(1e-3f, 1000)}) read like Keras.
#pragma once
#include <elucid/optim/schedules.hpp>

#include <concepts>
#include <memory>
#include <type_traits>

namespace elucid::optimizers {

class LearningRate {
 public:
  // Any number: 0.01, 1e-3f, 1.
  template <class T>
    requires std::is_arithmetic_v<T> && (!std::is_same_v<T, bool>)
  LearningRate(T value) : constant_(static_cast<float>(value)) {}
  // Any schedule, copied into a shared immutable one.
  template <class S>
    requires std::derived_from<S, schedules::Schedule>
  LearningRate(S schedule) : schedule_(std::make_shared<const S>(std::move(schedule))) {}
  LearningRate(std::shared_ptr<const schedules::Schedule> schedule);  // not null

  // The rate for the step about to be taken, `step` steps having been taken before it.
  float at(int64_t step) const { return schedule_ ? (*schedule_)(step) : constant_; }
  bool is_constant() const { return schedule_ == nullptr; }
  float constant() const { return constant_; }                          // meaningful when is_constant()
  const schedules::Schedule* schedule() const { return schedule_.get(); }  // null when constant

 private:
  float constant_ = 0.0f;
  std::shared_ptr<const schedules::Schedule> schedule_;
};

}  // namespace elucid::optimizers
