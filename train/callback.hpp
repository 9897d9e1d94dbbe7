// Callback: the hooks fit() calls, as Keras' keras.callbacks.Callback. Derive and override what you need.
#pragma once
#include <elucid/train/logs.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace elucid {

namespace train {
class Trainer;
}

// The names of the figures a run's logs will hold, known before its first batch: each batch's (the loss and the
// compiled metrics) and each epoch's (the same, and their val_ twins when the run has validation data).
struct RunFigures {
  std::vector<std::string> batch, epoch;
};

// What fit() was asked to do (Keras' callback.params): set with `model`, before on_train_begin.
struct FitParams {
  int epochs = 0;     // the run's last epoch is epochs - 1 (0-based, as on_epoch_end numbers them)
  int64_t steps = 0;  // batches per epoch
};

class Callback {
 public:
  virtual ~Callback() = default;

  // Before the first batch, before on_train_begin, in the callbacks' order: a callback that needs a figure this run
  // never produces (a monitor "val_loss" without validation data, a misspelt metric) throws elucid::Error here,
  // naming it and the figures there are, instead of failing after the first epoch's training. A callback that adds
  // a figure to the logs (ReduceLROnPlateau's "lr") appends its name, for the callbacks after it.
  virtual void check_figures(RunFigures& figures) { (void)figures; }

  virtual void on_train_begin(Logs& logs) { (void)logs; }
  virtual void on_train_end(Logs& logs) { (void)logs; }
  virtual void on_epoch_begin(int epoch, Logs& logs) { (void)epoch, (void)logs; }
  // logs hold the epoch's figures, val_ ones included.
  virtual void on_epoch_end(int epoch, Logs& logs) { (void)epoch, (void)logs; }
  virtual void on_train_batch_begin(int64_t batch, Logs& logs) { (void)batch, (void)logs; }
  // logs hold the running figures of the epoch so far (as Keras 2.x shows them in the progress bar).
  virtual void on_train_batch_end(int64_t batch, Logs& logs) { (void)batch, (void)logs; }

  // State a checkpoint keeps so that a resumed run behaves as an uninterrupted one (EarlyStopping's wait and best).
  virtual std::vector<std::pair<std::string, double>> state() const { return {}; }
  virtual void load_state(const std::vector<std::pair<std::string, double>>& state) { (void)state; }
  virtual std::string name() const = 0;  // Keras class name, "EarlyStopping"; keys its state in checkpoints

  // The model being trained (Keras' callback.model), set by fit() before on_train_begin: a callback may set
  // model->stop_training, read fit_state(), get or set the weights, save the model.
  train::Trainer* model = nullptr;
  FitParams params = {};
};

}  // namespace elucid
