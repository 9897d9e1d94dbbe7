// Thread count for OpenMP regions, and the team that follows the free cores; OpenBLAS runs single-threaded so
// results never depend on its thread split.
#include <elucid/core/parallel.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/free_cores.hpp>

#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <string>

extern "C" void openblas_set_num_threads(int);

namespace elucid {

namespace {
// OpenBLAS on the calling thread only. Its pthread build starts a pool of threads as it loads, one a core, and each
// spins (sched_yield) for about a tenth of a second before it sleeps: a core taken from the first training steps
// (the first optimizer step of the seed model at 2 threads took 24 ms instead of 0.06). openblas_set_num_threads
// starts the pool again, so the pool is ended after it (blas_thread_shutdown_, looked up at run time: OpenBLAS's
// OpenMP and serial builds have no pool and no such function). A later call with more threads starts it again.
void openblas_on_calling_thread() {
  openblas_set_num_threads(1);
  using Shutdown = int (*)();
  if (auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"))) shutdown();
}
[[maybe_unused]] const bool openblas_single_threaded = [] {
  openblas_on_calling_thread();
  return true;
}();

// 0 until set_num_threads: then omp_get_max_threads() of the first caller (OMP_NUM_THREADS, else the cores) is it.
std::atomic<int> max_threads{0};
std::atomic<bool> follow{true};

// A quarter second holds 25 clock ticks per core at Linux's 100 Hz: enough to tell a busy core from a free one.
constexpr double kMeasureSeconds = 0.25;
// A longer stretch (no batch for two seconds: between fit and predict, say) restarts the measurement.
constexpr double kStaleSeconds = 2.0;

struct Follower {
  std::mutex mutex;
  FreeCores free_cores;
  int team = 0;  // the last team decided; 0 before the first measurement
};
Follower& follower() {
  static Follower f;
  return f;
}
}  // namespace

void set_num_threads(int threads) {
  if (threads < 0) throw Error("set_num_threads: threads must be 0 (all cores) or more, got " + std::to_string(threads));
  const int n = threads == 0 ? omp_get_num_procs() : threads;
  max_threads = n;
  omp_set_num_threads(n);
  openblas_on_calling_thread();
  std::lock_guard<std::mutex> lock(follower().mutex);
  follower().team = 0;  // decided afresh from the new maximum
}

int num_threads() {
  int n = max_threads.load();
  if (n == 0) {
    int expected = 0;
    max_threads.compare_exchange_strong(expected, omp_get_max_threads());
    n = max_threads.load();
  }
  return n;
}

void set_follow_free_cores(bool on) {
  follow = on;
  if (!on) omp_set_num_threads(num_threads());
}

bool follows_free_cores() { return follow; }

void follow_free_cores() {
  const int most = num_threads();
  if (!follow || most <= 1) return;
  Follower& f = follower();
  std::lock_guard<std::mutex> lock(f.mutex);
  if (const std::optional<double> free = f.free_cores.measure(kMeasureSeconds, kStaleSeconds))
    f.team = std::clamp(static_cast<int>(std::lround(*free)), 1, most);  // a core half taken by others is not free
  omp_set_num_threads(f.team > 0 ? f.team : most);
}

int team_threads() { return omp_get_max_threads(); }

}  // namespace elucid
