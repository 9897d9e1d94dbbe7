// EarlyStopping, following keras.callbacks.EarlyStopping: wait counts epochs without improvement; a baseline must
// be beaten before the wait resets; restore_best_weights brings back the best epoch's weights when it stops.
#include <elucid/callbacks/early_stopping.hpp>

#include <elucid/core/error.hpp>
#include <elucid/train/trainer.hpp>

#include <iostream>

namespace elucid::callbacks {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)), monitor_("EarlyStopping", options_.monitor, options_.mode, options_.min_delta) {
  if (options_.patience < 0)
    throw Error("EarlyStopping: patience must be 0 or more, got " + std::to_string(options_.patience));
}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = stopped_epoch_ = best_epoch_ = 0;
  best_ = monitor_.worst();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  auto current = logs.get(monitor_.key());
  if (!current)
    throw Error("EarlyStopping: monitor \"" + monitor_.key() + "\" is not among the epoch's figures: " +
                logs.keys_string());
  if (epoch < options_.start_from_epoch) return;
  if (options_.restore_best_weights && best_weights_.empty()) best_weights_ = model->get_weights();
  ++wait_;
  if (monitor_.improves(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model->get_weights();
    if (!options_.baseline || monitor_.improves(*current, *options_.baseline)) {
      wait_ = 0;
      return;
    }
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model->stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) {
      if (options_.verbose) std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
      model->set_weights(best_weights_);
    }
  }
}

void EarlyStopping::on_train_end(Logs&) {
  if (stopped_epoch_ > 0 && options_.verbose) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
}

std::vector<std::pair<std::string, double>> EarlyStopping::state() const {
  return {{"wait", wait_}, {"best", best_}, {"best_epoch", best_epoch_}};
}

void EarlyStopping::load_state(const std::vector<std::pair<std::string, double>>& state) {
  for (const auto& [key, value] : state) {
    if (key == "wait") wait_ = static_cast<int>(value);
    else if (key == "best") best_ = value;
    else if (key == "best_epoch") best_epoch_ = static_cast<int>(value);
  }
}

}  // namespace elucid::callbacks
