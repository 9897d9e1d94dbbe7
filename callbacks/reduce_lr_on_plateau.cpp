// ReduceLROnPlateau as Keras: during cooldown the wait stays 0; after `patience` epochs without improvement the
// rate becomes max(lr * factor, min_lr) and the cooldown starts.
#include <elucid/callbacks/reduce_lr_on_plateau.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>
#include <elucid/train/trainer.hpp>

#include <algorithm>
#include <iostream>

namespace elucid::callbacks {

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : options_(std::move(options)),
      monitor_("ReduceLROnPlateau", options_.monitor, options_.mode, options_.min_delta) {
  if (!(options_.factor < 1.0) || !(options_.factor >= 0.0))
    throw Error("ReduceLROnPlateau: factor must be in [0, 1), got " + std::to_string(options_.factor));
  if (options_.patience < 0 || options_.cooldown < 0)
    throw Error("ReduceLROnPlateau: patience and cooldown must be 0 or more, got " + std::to_string(options_.patience) +
                " and " + std::to_string(options_.cooldown));
}

void ReduceLROnPlateau::on_train_begin(Logs&) {
  wait_ = cooldown_counter_ = 0;
  best_ = monitor_.worst();
}

void ReduceLROnPlateau::check_figures(RunFigures& figures) {
  monitor_.resolve("ReduceLROnPlateau", figures.epoch);
  figures.epoch.push_back("lr");  // set by on_epoch_end below
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  auto& optimizer = model->optimizer();
  logs.set("lr", optimizer.learning_rate());
  auto current = logs.get(monitor_.key());
  if (!current)
    throw Error("ReduceLROnPlateau: monitor \"" + monitor_.key() + "\" is not among the epoch's figures: " +
                logs.keys_string());
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (monitor_.improves(*current, best_)) {
    best_ = *current;
    wait_ = 0;
  } else if (cooldown_counter_ == 0) {
    if (++wait_ >= options_.patience) {
      const double old_lr = optimizer.learning_rate();
      if (old_lr > options_.min_lr) {
        const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
        optimizer.set_learning_rate(static_cast<float>(new_lr));
        if (options_.verbose)
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to "
                    << format_number(static_cast<float>(new_lr)) << ".\n";
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

std::vector<std::pair<std::string, double>> ReduceLROnPlateau::state() const {
  return {{"wait", wait_}, {"cooldown_counter", cooldown_counter_}, {"best", best_}};
}

void ReduceLROnPlateau::load_state(const std::vector<std::pair<std::string, double>>& state) {
  for (const auto& [key, value] : state) {
    if (key == "wait") wait_ = static_cast<int>(value);
    else if (key == "cooldown_counter") cooldown_counter_ = static_cast<int>(value);
    else if (key == "best") best_ = value;
  }
}

}  // namespace elucid::callbacks
