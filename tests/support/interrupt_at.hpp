// A callback that asks for an interrupt at the end of one batch of the first epoch, as a signal arriving then would:
// for the tests that resume a run mid-epoch and compare it with one that was never stopped.
#pragma once
#include <elucid/train/callback.hpp>
#include <elucid/train/interrupt.hpp>

#include <cstdint>
#include <string>

namespace elucid::test {

class InterruptAtBatch : public Callback {
 public:
  explicit InterruptAtBatch(int64_t batch) : batch_(batch) {}  // -1: never
  std::string name() const override { return "InterruptAtBatch"; }
  void on_train_batch_end(int64_t batch, Logs&) override {
    if (batch == batch_) request_interrupt();
  }

 private:
  int64_t batch_;
};

}  // namespace elucid::test
