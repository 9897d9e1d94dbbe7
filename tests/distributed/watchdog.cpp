// Watchdog (distributed/watchdog.hpp): a guarded call past its timeout is reported once, with its name; calls that end in
// time are not.
#include <elucid/core/error.hpp>
#include <elucid/distributed/watchdog.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

using elucid::distributed::Watchdog;

TEST_CASE("a guarded call that outlives the timeout is reported with its name", "[distributed][watchdog][threads]") {
  std::mutex mutex;
  std::condition_variable reported;
  std::vector<std::string> messages;
  Watchdog watchdog(0.05, "elucid: rank 0 of 2", [&](const std::string& message) {
    std::lock_guard lock(mutex);
    messages.push_back(message);
    reported.notify_all();
  });
  {
    Watchdog::Guard guard(watchdog, "MPI_Allreduce", "the gradients");
    std::unique_lock lock(mutex);
    // Waits for the report (within 0.05 s, unless the machine is very busy; the bound only ends a broken test).
    reported.wait_for(lock, std::chrono::seconds(60), [&] { return !messages.empty(); });
  }
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] == "elucid: rank 0 of 2: MPI_Allreduce of the gradients has not completed after 0.05 s; another "
                       "rank has probably died or hangs (ELUCID_MPI_TIMEOUT sets the limit in seconds). Ending this "
                       "rank.");
}

TEST_CASE("calls that end in time are not reported, and the watchdog stops at once", "[distributed][watchdog][threads]") {
  int reports = 0;
  {
    Watchdog watchdog(600, "elucid: rank 1 of 2", [&](const std::string&) { ++reports; });
    for (int i = 0; i < 1000; ++i) Watchdog::Guard guard(watchdog, "MPI_Bcast", "the initial weights");
  }  // the destructor wakes the thread waiting for a 600 s deadline
  CHECK(reports == 0);
  CHECK_THROWS_WITH(Watchdog(0, "x"), "Watchdog: the timeout must be in (0, 1e7] seconds, got 0");
  CHECK_THROWS_WITH(Watchdog(-1, "x"), "Watchdog: the timeout must be in (0, 1e7] seconds, got -1");
}
