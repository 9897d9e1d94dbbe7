// LearningRateScheduler: a rate that is not a finite number >= 0 is an error naming the epoch.
#include <elucid/callbacks/learning_rate_scheduler.hpp>

#include <elucid/core/error.hpp>
#include <elucid/train/trainer.hpp>

#include <cmath>
#include <cstdio>

namespace elucid::callbacks {

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw Error("LearningRateScheduler: the schedule function is empty");
}

void LearningRateScheduler::on_epoch_begin(int epoch, Logs&) {
  auto& optimizer = model->optimizer();
  const double lr = schedule_(epoch, optimizer.learning_rate());
  if (!std::isfinite(lr) || lr < 0)
    throw Error("LearningRateScheduler: the schedule gave learning rate " + std::to_string(lr) + " for epoch " +
                std::to_string(epoch + 1));
  optimizer.set_learning_rate(static_cast<float>(lr));
  if (verbose_) std::printf("\nEpoch %d: LearningRateScheduler setting learning rate to %g.\n", epoch + 1, lr);
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) { logs.set("lr", model->optimizer().learning_rate()); }

}  // namespace elucid::callbacks
