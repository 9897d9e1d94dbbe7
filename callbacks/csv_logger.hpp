// CSVLogger: one row per epoch, "epoch" then the figures in sorted order as Keras writes them
// (keras.callbacks.CSVLogger). Each row is flushed when written, so a killed run keeps the epochs it finished.
#pragma once
#include <elucid/train/callback.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace elucid::callbacks {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct CSVLoggerOptions {
  char separator = ',';
  bool append = false;  // keep the rows already in the file (for a resumed run)
};

class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, CSVLoggerOptions options = {});
  std::string name() const override { return "CSVLogger"; }
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

 private:
  std::string filename_;
  CSVLoggerOptions options_;
  std::ofstream file_;
  std::vector<std::string> keys_;
  bool header_written_ = false;
};

}  // namespace elucid::callbacks
