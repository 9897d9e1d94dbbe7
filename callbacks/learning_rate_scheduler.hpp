// LearningRateScheduler: sets the learning rate at the start of each epoch from a function of (epoch, current rate)
// (keras.callbacks.LearningRateScheduler). Adds "lr" to each epoch's logs.
#pragma once
#include <elucid/train/callback.hpp>

#include <functional>

namespace elucid::callbacks {

class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double lr)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  std::string name() const override { return "LearningRateScheduler"; }
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

}  // namespace elucid::callbacks
