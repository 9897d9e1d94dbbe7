// Watchdog: a thread that sleeps until a guarded call passes its deadline.
#include <elucid/distributed/watchdog.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>

#include <cstdio>
#include <cstdlib>

namespace elucid::distributed {

Watchdog::Watchdog(double timeout_seconds, std::string prefix, std::function<void(const std::string&)> on_timeout)
    : timeout_seconds_(timeout_seconds), prefix_(std::move(prefix)), on_timeout_(std::move(on_timeout)) {
  if (!(timeout_seconds_ > 0 && timeout_seconds_ <= 1e7))
    throw Error("Watchdog: the timeout must be in (0, 1e7] seconds, got " + format_number(timeout_seconds_));
  if (!on_timeout_)
    on_timeout_ = [](const std::string& message) {
      std::fprintf(stderr, "%s\n", message.c_str());
      std::fflush(stderr);
      std::_Exit(1);
    };
  thread_ = std::thread([this] { run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Watchdog::arm(const char* call, const char* what) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    call_ = call;
    what_ = what;
    ++generation_;
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(timeout_seconds_));
    // A thread already waiting for an earlier deadline finds this later one when it wakes: no need to wake it now,
    // so a collective costs no context switch.
    wake = idle_;
  }
  if (wake) changed_.notify_all();
}

void Watchdog::disarm() {
  std::lock_guard lock(mutex_);
  call_ = nullptr;
  // No notify: the thread wakes at its deadline, finds nothing guarded (or a newer call) and sleeps again.
}

void Watchdog::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!call_) {
      idle_ = true;
      changed_.wait(lock);
      idle_ = false;
      continue;
    }
    const uint64_t generation = generation_;
    const auto deadline = deadline_;
    if (changed_.wait_until(lock, deadline, [&] { return stopping_ || generation_ != generation || !call_; }))
      continue;
    const std::string message = prefix_ + ": " + call_ + " of " + what_ + " has not completed after " +
                                format_number(timeout_seconds_) +
                                " s; another rank has probably died or hangs (ELUCID_MPI_TIMEOUT sets the limit "
                                "in seconds). Ending this rank.";
    call_ = nullptr;  // reported once
    lock.unlock();
    on_timeout_(message);
    lock.lock();
  }
}

}  // namespace elucid::distributed
