// BackupAndRestore: writes checkpoints (saving/checkpoint.hpp) into a folder during fit(), as
// keras.callbacks.BackupAndRestore: at the end of every epoch, optionally every `save_freq` batches, and when the run
// is interrupted (train/interrupt.hpp). It must be the last callback of the run, so that the others have updated
// their state when it is saved. `elucid train --resume` restores the newest checkpoint and continues.
#pragma once
#include <elucid/train/callback.hpp>
#include <elucid/saving/checkpoint.hpp>

#include <string>
#include <vector>

namespace elucid::callbacks {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct BackupAndRestoreOptions {
  int64_t save_freq = 0;  // also every this many batches of an epoch; 0: at each epoch's end only
  int keep = 2;           // how many of the newest checkpoints stay in the folder (at least 1)
  std::string run_key = {};                   // stored in each checkpoint (saving/checkpoint.hpp)
  std::vector<std::string> class_names = {};  // stored in the model file inside; empty: the model's class_names
};

class BackupAndRestore : public Callback {
 public:
  explicit BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options = {});
  std::string name() const override { return "BackupAndRestore"; }

  // Saves every save_freq batches; after an interrupt, saves and throws Interrupted.
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  // Saves the state after this epoch, unless its loss is NaN or infinite (the last good checkpoint stays). The
  // checkpoint of the run's last epoch (params.epochs), or of an epoch after which a callback before this one set
  // stop_training, is marked finished: the end of training writes nothing more.
  void on_epoch_end(int epoch, Logs& logs) override;

  const std::string& last_path() const { return last_path_; }  // "" until one is written

  // The checkpoint files in `dir`, oldest first (by the epoch and batch in their names: checkpoint-eEEEE-bBBBBBB).
  // Temporary files of an interrupted write are not among them.
  static std::vector<std::string> list(const std::string& dir);

 private:
  void save(FitState state, bool finished);

  std::string dir_;
  BackupAndRestoreOptions options_;
  std::string last_path_;
};

}  // namespace elucid::callbacks
