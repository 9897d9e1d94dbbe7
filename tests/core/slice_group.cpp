// SliceGroup: every slice gets every slice's values in slice order, whatever the order they come in; at most
// `running` slices compute at once; a slice that fails releases the others instead of leaving them waiting.
#include <elucid/core/error.hpp>
#include <elucid/core/slice_group.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace elucid;

namespace {
// Runs body(slice) for each of `slices` slices on a thread of its own, in a group of `running` permits.
template <class Body>
void run_slices(SliceGroup& group, const Body& body) {
  std::vector<std::thread> threads;
  for (int64_t s = 0; s < group.slices(); ++s)
    threads.emplace_back([&group, &body, s] {
      const SliceGroup::Scope in_group(group, s);
      body(s);
    });
  for (auto& t : threads) t.join();
}
}  // namespace

TEST_CASE("SliceGroup gathers every slice's values in slice order, with any number of permits",
          "[slice_group][threads]") {
  const int64_t running = GENERATE(1, 2, 3);
  INFO("permits " << running);
  SliceGroup group(3, running);
  std::vector<std::vector<double>> first(3), second(3);  // checked after the threads: CHECK is not thread-safe
  std::atomic<int> computing{0}, most_computing{0};
  std::vector<int64_t> slice_seen(3, -2);
  run_slices(group, [&](int64_t s) {
    slice_seen[static_cast<size_t>(s)] = SliceGroup::active() == &group ? SliceGroup::active_slice() : -1;
    const auto compute = [&] {  // a slice's work between meetings, counted while it runs
      const int now = ++computing;
      int most = most_computing.load();
      while (now > most && !most_computing.compare_exchange_weak(most, now)) {
      }
      // The last slice comes late: the others wait for it in gather.
      std::this_thread::sleep_for(std::chrono::milliseconds(s == 0 ? 20 : 2));
      --computing;
    };
    compute();
    first[static_cast<size_t>(s)] = group.gather(std::vector<double>{double(s), 10.0 * double(s)});
    compute();
    second[static_cast<size_t>(s)] = group.gather(std::vector<double>{-double(s)});
    compute();
  });
  CHECK(slice_seen == std::vector<int64_t>{0, 1, 2});
  for (int64_t s = 0; s < 3; ++s) {
    CHECK(first[static_cast<size_t>(s)] == std::vector<double>{0, 0, 1, 10, 2, 20});
    CHECK(second[static_cast<size_t>(s)] == std::vector<double>{-0.0, -1, -2});
  }
  CHECK(most_computing.load() <= running);
  CHECK(most_computing.load() >= 1);
  CHECK(SliceGroup::active() == nullptr);
  CHECK(SliceGroup::active_slice() == -1);
}

TEST_CASE("a slice that fails releases the slices waiting to meet it", "[slice_group][threads]") {
  const int64_t running = GENERATE(1, 3);
  SliceGroup group(3, running);
  std::vector<std::string> errors(3);
  run_slices(group, [&](int64_t s) {
    try {
      if (s == 1) throw Error("slice 1 went wrong");
      group.gather(std::vector<double>{1.0});
    } catch (const Error& e) {
      errors[static_cast<size_t>(s)] = e.what();
      if (s == 1) group.abandon();
    }
  });
  CHECK(errors[1] == "slice 1 went wrong");
  CHECK(errors[0] == "slice 0 of the batch stopped: another slice failed before they met");
  CHECK(errors[2] == "slice 2 of the batch stopped: another slice failed before they met");
  CHECK(group.abandoned_before(0));
  CHECK_FALSE(group.abandoned_before(1));
  CHECK(group.abandoned_before(2));
}

TEST_CASE("gather outside a slice of its group, and a group of no slices, are errors", "[slice_group]") {
  CHECK_THROWS_WITH(SliceGroup(0, 1), "SliceGroup: 0 slices; it needs at least 1");
  SliceGroup group(2, 2);
  CHECK_THROWS_WITH(group.gather(std::vector<double>{1.0}),
                    "SliceGroup::gather: called on a thread that runs none of the group's slices");
}
