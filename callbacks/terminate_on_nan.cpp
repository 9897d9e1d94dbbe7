// TerminateOnNaN: the running loss is a mean of batch losses, so one non-finite batch makes it non-finite.
#include <elucid/callbacks/terminate_on_nan.hpp>

#include <elucid/train/trainer.hpp>

#include <cmath>

namespace elucid::callbacks {

void TerminateOnNaN::on_epoch_begin(int epoch, Logs&) { epoch_ = epoch; }

void TerminateOnNaN::on_train_batch_end(int64_t batch, Logs& logs) {
  auto loss = logs.get("loss");
  if (loss && !std::isfinite(*loss)) {
    terminated_ = true;
    message_ = "epoch " + std::to_string(epoch_ + 1) + ", batch " + std::to_string(batch + 1) + ": invalid loss " +
               (std::isnan(*loss) ? "nan" : "inf") + ", terminating training";
    out_ << "\n" << message_ << "\n";
    model->stop_training = true;
  }
}

}  // namespace elucid::callbacks
