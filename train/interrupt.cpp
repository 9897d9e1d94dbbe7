// Signal handlers: async-signal-safe only — a sig_atomic_t flag, messages composed beforehand, kill(pid, 0) to see
// whether a peer rank's process is still there, and _exit for the second signal.
#include <elucid/train/interrupt.hpp>

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>
#include <unistd.h>

namespace elucid {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
bool g_installed = false;

// Everything the handler writes is composed before it is installed: a handler may only call async-signal-safe
// functions (write, kill), never allocate.
std::string g_message = "\nelucid: interrupted; finishing the current batch and writing a checkpoint "
                        "(interrupt again to stop at once)\n";
struct Peer {
  pid_t pid;
  std::string lost;  // "\nelucid: rank 0 of 2: rank 1 was lost ...\n"
};
std::vector<Peer> g_peers;  // the other ranks on this host

void say(const std::string& text) { (void)!write(STDERR_FILENO, text.data(), text.size()); }

extern "C" void on_signal(int) {
  if (g_interrupted) _exit(130);  // the second one: stop now
  g_interrupted = 1;  // a checkpoint is still written, and said so, if this rank gets to the end of the batch
  const int saved_errno = errno;
  for (const Peer& peer : g_peers)
    if (kill(peer.pid, 0) != 0 && errno == ESRCH) {  // its process has ended: the collectives cannot complete
      errno = saved_errno;
      say(peer.lost);
      return;
    }
  errno = saved_errno;
  say(g_message);
}
}  // namespace

void install_interrupt_handlers(const distributed::Strategy* strategy) {
  if (g_installed) return;
  g_installed = true;
  if (strategy && strategy->size() > 1) {
    const int rank = strategy->rank(), size = strategy->size();
    const std::string prefix = "\nelucid: rank " + std::to_string(rank) + " of " + std::to_string(size) + ": ";
    // Under mpirun a signal is Ctrl-C passed on, or mpirun ending the job after a rank died elsewhere.
    g_message = rank == 0 ? prefix + "interrupted; a checkpoint follows if every rank finishes the current batch "
                                     "(interrupt again to stop at once)\n"
                          : "";
    const std::vector<int64_t> pids = strategy->local_process_ids();
    for (size_t r = 0; r < pids.size(); ++r)
      if (pids[r] > 0 && static_cast<int>(r) != rank)
        g_peers.push_back({static_cast<pid_t>(pids[r]),
                           prefix + "rank " + std::to_string(r) + " was lost (its process has ended); the job is ending\n"});
  }
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
