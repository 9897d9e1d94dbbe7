// LearningRate from an already shared schedule (the other constructors are templates in the header).
#include <elucid/optim/learning_rate.hpp>

#include <elucid/core/error.hpp>

namespace elucid::optimizers {

LearningRate::LearningRate(std::shared_ptr<const schedules::Schedule> schedule) : schedule_(std::move(schedule)) {
  if (!schedule_) throw Error("LearningRate: the schedule is null");
}

}  // namespace elucid::optimizers
