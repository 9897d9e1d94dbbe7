// Watchdog: ends the process with a message when a guarded call (an MPI collective) takes longer than a timeout, so
// that a rank that died or hangs does not leave the others waiting forever. One thread per watchdog, asleep until
// a call is guarded; guarding costs a lock, and wakes the thread only when it was idle.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace elucid::distributed {

class Watchdog {
 public:
  // On timeout, on_timeout(message) runs on the watchdog's thread; the default prints the message on stderr and
  // ends the process with status 1 (std::_Exit: the thread that waits is stuck, nothing can be unwound).
  // The message: "<prefix>: <what> has not completed after <N> s; ...".
  Watchdog(double timeout_seconds, std::string prefix, std::function<void(const std::string&)> on_timeout = {});
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  double timeout_seconds() const { return timeout_seconds_; }

  // Guards one call: `Watchdog::Guard guard(watchdog, "MPI_Allreduce", "the gradients");`. The names must outlive
  // the guard (string literals).
  class Guard {
   public:
    Guard(Watchdog& watchdog, const char* call, const char* what) : watchdog_(watchdog) { watchdog_.arm(call, what); }
    ~Guard() { watchdog_.disarm(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    Watchdog& watchdog_;
  };

 private:
  void arm(const char* call, const char* what);
  void disarm();
  void run();

  double timeout_seconds_;
  std::string prefix_;
  std::function<void(const std::string&)> on_timeout_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool idle_ = false;           // the thread waits for a call to guard, not for a deadline
  const char* call_ = nullptr;  // the guarded call, null when none
  const char* what_ = nullptr;
  uint64_t generation_ = 0;     // counts guards, so that a new call is not taken for the one that timed out
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

}  // namespace elucid::distributed
