// ReduceLROnPlateau: multiply the learning rate by `factor` when a figure stops improving
// (keras.callbacks.ReduceLROnPlateau). Adds "lr" to each epoch's logs.
#pragma once
#include <elucid/train/callback.hpp>
#include <elucid/callbacks/monitor.hpp>

namespace elucid::callbacks {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0;
};

class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  std::string name() const override { return "ReduceLROnPlateau"; }
  void check_figures(RunFigures& figures) override;  // the monitor; adds "lr" to the epoch's figures
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  std::vector<std::pair<std::string, double>> state() const override;
  void load_state(const std::vector<std::pair<std::string, double>>& state) override;

 private:
  ReduceLROnPlateauOptions options_;
  Monitor monitor_;
  int wait_ = 0, cooldown_counter_ = 0;
  double best_ = 0;
};

}  // namespace elucid::callbacks
