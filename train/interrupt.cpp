// Signal handlers: async-signal-safe only — a sig_atomic_t flag, and _exit for the second signal.
#include <elucid/train/interrupt.hpp>

#include <csignal>
#include <unistd.h>

namespace elucid {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
bool g_installed = false;

extern "C" void on_signal(int) {
  if (g_interrupted) _exit(130);  // the second one: stop now
  g_interrupted = 1;
  static const char message[] = "\nelucid: interrupted; finishing the current batch and writing a checkpoint "
                                "(interrupt again to stop at once)\n";
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
}
}  // namespace

void install_interrupt_handlers() {
  if (g_installed) return;
  g_installed = true;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes under way go on; the flag is checked between batches
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_interrupted != 0; }
void request_interrupt() { g_interrupted = 1; }
void clear_interrupt() { g_interrupted = 0; }

}  // namespace elucid
