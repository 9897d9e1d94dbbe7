// TerminateOnNaN: stop training at the first batch whose loss is NaN or infinite (keras.callbacks.TerminateOnNaN),
// saying which epoch and batch.
#pragma once
#include <elucid/train/callback.hpp>

#include <iostream>

namespace elucid::callbacks {

class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(std::ostream& out = std::cerr) : out_(out) {}
  std::string name() const override { return "TerminateOnNaN"; }
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  bool terminated() const { return terminated_; }
  const std::string& message() const { return message_; }

 private:
  std::ostream& out_;
  int epoch_ = 0;
  bool terminated_ = false;
  std::string message_;
};

}  // namespace elucid::callbacks
