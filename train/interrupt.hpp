// Interrupting a training run: the first SIGINT (Ctrl-C) or SIGTERM only raises a flag, which the BackupAndRestore
// callback checks between batches: it writes a checkpoint and throws Interrupted, and the `elucid` command exits
// with 130. A second SIGINT or SIGTERM exits at once.
#pragma once
#include <stdexcept>
#include <string>

namespace elucid {

// Installs the handlers (once per process; later calls do nothing).
void install_interrupt_handlers();
bool interrupt_requested();
void request_interrupt();  // what the first signal does; tests call it directly
void clear_interrupt();

// Thrown by fit() (through a callback) after the checkpoint of an interrupted run is written. Not an elucid::Error:
// being interrupted is not a failure.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(const std::string& checkpoint_path)
      : std::runtime_error("interrupted; checkpoint written to " + checkpoint_path), checkpoint_(checkpoint_path) {}
  const std::string& checkpoint() const { return checkpoint_; }

 private:
  std::string checkpoint_;
};

}  // namespace elucid
