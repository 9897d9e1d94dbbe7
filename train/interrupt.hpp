// Interrupting a training run: the first SIGINT (Ctrl-C) or SIGTERM only raises a flag, which the BackupAndRestore
// callback checks between batches: it writes a checkpoint and throws Interrupted, and the `elucid` command exits
// with 130. A second SIGINT or SIGTERM exits at once.
#pragma once
#include <elucid/distributed/strategy.hpp>

#include <stdexcept>
#include <string>

namespace elucid {

// Installs the handlers (once per process; later calls do nothing). The first signal's message promises the
// checkpoint only in one process. With `strategy` of several ranks it names this rank, and only where every rank can
// still finish the batch: a rank on this host whose process has ended (mpirun sends SIGTERM to the others when one
// dies) is named as lost, with no checkpoint promised (one written all the same is reported when it is); otherwise
// rank 0 says a checkpoint follows if every rank finishes the current batch, and the other ranks say nothing.
void install_interrupt_handlers(const distributed::Strategy* strategy = nullptr);
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
