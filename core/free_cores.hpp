// FreeCores: how many of this process's cores other processes leave free, measured over a stretch of wall time.
// Busy time per core comes from the kernel (/proc/stat, every core this process may run on); this process's own CPU
// time (getrusage) is taken off it, so elucid's own threads, spinning ones included, never count as "others".
// Time stolen by the hypervisor counts as busy: those cores are not free either.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace elucid {

// The busy and total time of a set of cores, in the kernel's clock ticks (USER_HZ).
struct CoreTimes {
  int64_t busy = 0;   // user, nice, system, irq, softirq, steal
  int64_t total = 0;  // busy + idle + iowait
  int cores = 0;
};

// The times of the cores in `cores` (their numbers) from the text of /proc/stat; the line of a core that is not
// there (offline) is skipped. Lines that do not parse are skipped too: the measurement is a hint, never an error.
CoreTimes parse_core_times(const std::string& proc_stat, const std::vector<int>& cores);

// Free cores over a stretch: the cores, less what others kept busy, that is the busy time of the cores less
// `own_cpu_seconds` (this process's user + system time over the same stretch), in units of whole cores.
// Clamped to [0, cores].
double free_cores(const CoreTimes& before, const CoreTimes& after, double own_cpu_seconds, double ticks_per_second);

class FreeCores {
 public:
  // The free cores over the stretch since the previous measurement, or nothing: on the first call, when the
  // stretch is shorter than `min_seconds` (too few clock ticks to tell), when it is longer than `max_seconds` (the
  // machine of long ago is no news: a new stretch starts) or when the machine has no /proc/stat to read.
  std::optional<double> measure(double min_seconds, double max_seconds);

 private:
  bool started_ = false;
  CoreTimes times_;
  double own_cpu_seconds_ = 0, wall_seconds_ = 0;
};

}  // namespace elucid
