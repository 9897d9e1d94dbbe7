// ModelCheckpoint: saves the model file during fit() (keras.callbacks.ModelCheckpoint): after every epoch, or every
// `save_freq` batches, or only when the monitored figure improves (save_best_only).
//
// The file's kind follows its name, as in Keras: NAME.keras is a Keras 3 archive, NAME.weights.h5 Keras 3's weights,
// another NAME.h5 tf.keras 2.x's whole model (its weights only with save_weights_only) (saving/keras_v3.hpp,
// saving/keras_h5.hpp); any other name an elucid model file.
//
// The file path may hold fields, filled in at each save: {epoch} (1-based, as Keras), {batch}, and any figure of the
// logs such as {loss}, {val_loss}, {accuracy}; each with an optional format — {epoch:02d}, {val_loss:.4f},
// {loss:.2e}. Nothing else is accepted: no other format, no other field (a field not in the logs is an error at the
// first save, naming the figures there are).
#pragma once
#include <elucid/train/callback.hpp>
#include <elucid/callbacks/monitor.hpp>

#include <optional>
#include <string>
#include <vector>

namespace elucid::callbacks {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;  // the model file without the optimizer state
  std::string mode = "auto";
  int64_t save_freq = 0;           // 0: each epoch ("epoch" in Keras); N: every N batches of an epoch
  std::optional<double> initial_value_threshold = {};  // save_best_only: the figure must first beat this
  std::vector<std::string> class_names = {};           // stored in the model file; empty: the model's class_names
};

class ModelCheckpoint : public Callback {
 public:
  // Throws elucid::Error for a malformed path template, a field that is not allowed, or a bad option.
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  std::string name() const override { return "ModelCheckpoint"; }

  // The file path's fields and (with save_best_only) the monitor: among the batches' figures with save_freq, else
  // the epochs'.
  void check_figures(RunFigures& figures) override;
  void on_train_begin(Logs& logs) override;
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  std::vector<std::pair<std::string, double>> state() const override;  // the best figure so far
  void load_state(const std::vector<std::pair<std::string, double>>& state) override;

  // The path for this epoch (0-based), batch and logs: the template's fields filled in.
  std::string format_path(int epoch, int64_t batch, const Logs& logs) const;
  const std::string& last_saved() const { return last_saved_; }

 private:
  void save(const std::string& path) const;  // by the name: a Keras file or an elucid model file
  struct Piece {
    std::string text;  // literal text, or the field's name
    bool field = false;
    char type = 0;      // 'd', 'f', 'e', 'g', or 0 for the default
    int width = -1, precision = -1;
    bool zero_pad = false;
  };
  void save(int epoch, int64_t batch, const Logs& logs);

  std::string filepath_;
  ModelCheckpointOptions options_;
  Monitor monitor_;
  std::vector<Piece> pieces_;
  double best_ = 0;
  int epoch_ = 0;
  std::string last_saved_;
};

}  // namespace elucid::callbacks
