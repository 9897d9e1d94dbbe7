// Callback: the hooks fit() calls, as Keras' keras.callbacks.Callback. Derive and override what you need.
#pragma once
#include <elucid/train/logs.hpp>

#include <string>
#include <utility>
#include <vector>

namespace elucid {

namespace train {
class Trainer;
}

class Callback {
 public:
  virtual ~Callback() = default;

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
};

}  // namespace elucid
