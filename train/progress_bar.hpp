// ProgressBar: the tf.keras 2.x progress bar,
//   1688/1688 [==============================] - 9s 5ms/step - loss: 0.4231 - accuracy: 0.8473 - val_loss: ...
// verbose 1 redraws it in place on a terminal and prints it once per epoch otherwise (logs stay readable);
// verbose 2 prints one line per epoch without the bar; verbose 0 prints nothing.
#pragma once
#include <elucid/train/logs.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace elucid {

class ProgressBar {
 public:
  ProgressBar(int64_t target_steps, int verbose, std::ostream& out, bool interactive);

  void update(int64_t step, const Logs& logs);  // after batch `step` (1-based), with the running figures
  void finish(const Logs& logs);                // the epoch's final figures, val_ ones included; ends the line

  // The pieces, exposed for tests: "  7/100 [=>..........]" and " - loss: 0.4231", with Keras' number formats.
  static std::string bar(int64_t current, int64_t target, int width = 30);
  static std::string figures(const Logs& logs);
  static std::string format_duration(double seconds);  // ETA style: "9s", "1:05", "1:02:03"
  static std::string format_per_step(double seconds);  // "5ms/step", "2s/step", "40us/step"

 private:
  std::string line(int64_t current, const Logs& logs, bool final) const;
  double seconds_since_start() const;

  int64_t target_;
  int verbose_;
  std::ostream& out_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t last_width_ = 0;
};

// True when the stream is stdout or stderr attached to a terminal.
bool is_terminal(const std::ostream& out);

}  // namespace elucid
