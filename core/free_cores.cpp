// FreeCores: /proc/stat's busy ticks of this process's cores, less this process's own CPU time.
#include <elucid/core/free_cores.hpp>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace elucid {

namespace {

// The cores this process may run on (its affinity mask), in ascending order.
std::vector<int> allowed_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cores;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cores.push_back(c);
  return cores;
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

CoreTimes parse_core_times(const std::string& proc_stat, const std::vector<int>& cores) {
  CoreTimes times;
  std::istringstream lines(proc_stat);
  std::string line;
  while (std::getline(lines, line)) {
    // "cpuN user nice system idle iowait irq softirq steal ...": the aggregate "cpu " line has no number.
    if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || line[3] < '0' || line[3] > '9') continue;
    std::istringstream fields(line.substr(3));
    int core = -1;
    int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> core >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) continue;
    if (!(fields >> steal)) steal = 0;  // kernels before 2.6.11 print no steal column
    if (!std::binary_search(cores.begin(), cores.end(), core)) continue;
    const int64_t busy = user + nice + system + irq + softirq + steal;
    times.busy += busy;
    times.total += busy + idle + iowait;
    ++times.cores;
  }
  return times;
}

double free_cores(const CoreTimes& before, const CoreTimes& after, double own_cpu_seconds, double ticks_per_second) {
  const int cores = after.cores;
  const double ticks = static_cast<double>(after.total - before.total);
  if (cores <= 0 || before.cores != cores || ticks <= 0) return cores;
  // The stretch's wall time, from the ticks themselves: `cores` ticks go by per tick of wall time.
  const double seconds = ticks / cores / ticks_per_second;
  const double busy = static_cast<double>(after.busy - before.busy) / ticks_per_second;
  const double others = std::max(0.0, busy - own_cpu_seconds) / seconds;
  return std::clamp(cores - others, 0.0, static_cast<double>(cores));
}

std::optional<double> FreeCores::measure(double min_seconds, double max_seconds) {
  const double wall = wall_seconds();
  if (started_ && wall - wall_seconds_ < min_seconds) return std::nullopt;
  std::ifstream file("/proc/stat");
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  std::vector<int> cores = allowed_cores();
  const CoreTimes times = parse_core_times(text.str(), cores);
  const double own = own_cpu_seconds();
  if (times.cores == 0) return std::nullopt;
  const bool had_start = started_ && wall - wall_seconds_ <= max_seconds;
  const CoreTimes before = times_;
  const double own_before = own_cpu_seconds_;
  started_ = true;
  times_ = times;
  own_cpu_seconds_ = own;
  wall_seconds_ = wall;
  if (!had_start) return std::nullopt;
  return free_cores(before, times, own - own_before, static_cast<double>(sysconf(_SC_CLK_TCK)));
}

}  // namespace elucid
