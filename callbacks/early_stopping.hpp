// EarlyStopping: stop training when a monitored figure has stopped improving (keras.callbacks.EarlyStopping).
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/train/callback.hpp>
#include <elucid/callbacks/monitor.hpp>

#include <optional>

namespace elucid::callbacks {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline = {};
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  std::string name() const override { return "EarlyStopping"; }
  void check_figures(RunFigures& figures) override { monitor_.resolve("EarlyStopping", figures.epoch); }
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;
  std::vector<std::pair<std::string, double>> state() const override;
  void load_state(const std::vector<std::pair<std::string, double>>& state) override;

  int stopped_epoch() const { return stopped_epoch_; }  // 0 when training ran to the end
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }

 private:
  EarlyStoppingOptions options_;
  Monitor monitor_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  double best_ = 0;
  std::vector<NamedTensor> best_weights_;
};

}  // namespace elucid::callbacks
