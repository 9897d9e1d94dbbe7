// The team that follows the free cores: reading /proc/stat, the arithmetic of "free", the team on a machine whose
// other cores are all taken, and the same bits when the team changes between batches.
#include <elucid/apps/seed_model.hpp>
#include <elucid/core/free_cores.hpp>
#include <elucid/data/synthetic.hpp>
#include <elucid/elucid.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace elucid;
using elucid::test::same_bits;

namespace {
int cores_allowed() {  // the cores this process may run on, as OpenMP counts them
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof(set), &set);
  return CPU_COUNT(&set);
}
}  // namespace

TEST_CASE("parse_core_times sums the busy and idle ticks of the cores asked for", "[parallel]") {
  const std::string stat =
      "cpu  500 0 100 1000 10 0 0 0 0 0\n"
      "cpu0 100 0 20 300 5 1 2 3 0 0\n"   // busy 100 + 20 + 1 + 2 + 3 (steal) = 126, idle 300 + 5
      "cpu1 200 10 30 400 0 0 0 0 0 0\n"  // busy 240, idle 400
      "cpu2 7 0 0 9\n"                    // too few columns: skipped
      "cpux 1 2 3 4 5 6 7\n"
      "intr 12345 0 0\n";
  const CoreTimes both = parse_core_times(stat, {0, 1});
  CHECK(both.cores == 2);
  CHECK(both.busy == 126 + 240);
  CHECK(both.total == 126 + 305 + 240 + 400);
  const CoreTimes second = parse_core_times(stat, {1});
  CHECK(second.cores == 1);
  CHECK(second.busy == 240);
  CHECK(parse_core_times(stat, {2, 3}).cores == 0);
  CHECK(parse_core_times("", {0}).cores == 0);
}

TEST_CASE("free_cores is the cores less what other processes kept busy", "[parallel]") {
  // Two cores over one second at 100 ticks a second: 200 ticks in all.
  const CoreTimes before{.busy = 1000, .total = 5000, .cores = 2};
  const CoreTimes after_idle{.busy = 1000, .total = 5200, .cores = 2};
  const CoreTimes after_one_busy{.busy = 1100, .total = 5200, .cores = 2};
  const CoreTimes after_both_busy{.busy = 1200, .total = 5200, .cores = 2};
  CHECK(free_cores(before, after_idle, 0.0, 100) == Approx(2.0));
  CHECK(free_cores(before, after_one_busy, 0.0, 100) == Approx(1.0));     // another process took one core
  CHECK(free_cores(before, after_one_busy, 1.0, 100) == Approx(2.0));     // that was this process: both are free
  CHECK(free_cores(before, after_both_busy, 1.0, 100) == Approx(1.0));    // this process one, another the other
  CHECK(free_cores(before, after_both_busy, 0.25, 100) == Approx(0.25));  // others 1.75 cores
  CHECK(free_cores(before, after_idle, 1.5, 100) == Approx(2.0));  // own time measured more finely: clamped
  CHECK(free_cores(before, before, 0.0, 100) == Approx(2.0));      // no time went by: no news
  CHECK(free_cores(before, CoreTimes{.busy = 1000, .total = 5100, .cores = 1}, 0.0, 100) == Approx(1.0));
}

TEST_CASE("FreeCores measures only after a stretch long enough to tell", "[parallel]") {
  FreeCores meter;
  CHECK_FALSE(meter.measure(0.05, 1.0).has_value());   // the first call starts the stretch
  CHECK_FALSE(meter.measure(10.0, 20.0).has_value());  // too soon
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const std::optional<double> free = meter.measure(0.05, 1.0);
  REQUIRE(free.has_value());
  CHECK(*free >= 0.0);
  CHECK(*free <= cores_allowed());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK_FALSE(meter.measure(0.01, 0.05).has_value());  // stale: what the machine did long ago is no news; restarts
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(meter.measure(0.01, 1.0).has_value());
}

TEST_CASE("with every other core taken by another process, the team shrinks to one thread", "[parallel]") {
  // One spinning child process per core but one: at most one core is free, whatever the machine.
  const int cores = cores_allowed();
  std::vector<pid_t> spinners;
  for (int i = 0; i + 1 < cores; ++i) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);  // ends even if orphaned
      while (std::chrono::steady_clock::now() < end) {
      }
      _exit(0);
    }
    spinners.push_back(pid);
  }
  set_num_threads(2);
  set_follow_free_cores(true);
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1200);
  while (std::chrono::steady_clock::now() < end) {  // several quarter-second measurements
    follow_free_cores();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int team = team_threads();
  for (pid_t pid : spinners) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  set_follow_free_cores(false);  // a fixed team again for the rest of the tests
  set_num_threads(0);
  CHECK(team == 1);
  CHECK(num_threads() == cores_allowed());
}

// The team may change between any two batches; the trained weights must not notice.
struct AlternateTeam : Callback {
  void on_train_batch_begin(int64_t batch, Logs&) override { set_num_threads(batch % 2 ? 1 : 2); }
  std::string name() const override { return "AlternateTeam"; }
};

TEST_CASE("the team changing between batches leaves the same bits as a fixed team", "[parallel][threads]") {
  const auto data = datasets::synthetic_squares(96, 3);
  const Tensor &x = data.first, &y = data.second;
  auto train = [&](bool alternate) {
    set_follow_free_cores(false);  // the callback picks the teams
    set_num_threads(2);
    set_random_seed(99);
    Sequential model = examples::seed_model();
    model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
    std::vector<std::shared_ptr<Callback>> callbacks;
    if (alternate) callbacks.push_back(std::make_shared<AlternateTeam>());
    History h = model.fit(x, y, {.batch_size = 32, .epochs = 2, .verbose = 0, .seed = 3, .callbacks = callbacks});
    return std::make_pair(model.get_weights(), h["loss"]);
  };
  const auto [fixed, fixed_loss] = train(false);
  const auto [alternating, alternating_loss] = train(true);
  set_num_threads(0);
  set_random_seed(0);
  CHECK(same_bits(fixed, alternating));
  CHECK(fixed_loss == alternating_loss);
}
