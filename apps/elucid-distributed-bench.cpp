// elucid-distributed-bench: training speed of the seed model on one process or under mpirun, and the cost of its
// gradient allreduce; the figures of docs/distributed.md.
//
//   elucid-distributed-bench [--samples N] [--batch B]                   one process
//   mpirun -np 2 elucid-distributed-bench [--samples N] [--batch B]      2 ranks (built with MPI)
#include <elucid/apps/seed_model.hpp>
#include <elucid/elucid.hpp>
#include <elucid/distributed/data_parallel.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

using namespace elucid;
using Clock = std::chrono::steady_clock;

namespace {

// Times the last epoch of a fit().
struct EpochTimer : Callback {
  void on_epoch_begin(int, Logs&) override { start = Clock::now(); }
  void on_epoch_end(int, Logs&) override { seconds = std::chrono::duration<double>(Clock::now() - start).count(); }
  std::string name() const override { return "EpochTimer"; }
  Clock::time_point start;
  double seconds = 0;
};

int64_t whole_number(const char* flag, const char* text) {
  char* end = nullptr;
  const long long n = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || n < 1 || n > 1000000)
    throw Error(std::string(flag) + ": expected a whole number from 1 to 1000000, got \"" + text + "\"");
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int64_t samples = 4096, batch = 64;
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if ((flag == "--samples" || flag == "--batch") && i + 1 < argc) {
        (flag == "--samples" ? samples : batch) = whole_number(argv[i], argv[i + 1]);
        ++i;
      } else {
        std::cerr << "usage: elucid-distributed-bench [--samples N] [--batch B]\n";
        return 2;
      }
    }
    auto strategy = distributed::from_environment();
    Sequential model = examples::seed_model();
    model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});

    auto [x, y] = datasets::synthetic_squares(samples, 1);
    auto timer = std::make_shared<EpochTimer>();
    // Epoch 1 warms the caches and the memory pool up; epoch 2 is timed.
    model.fit(x, y, {.batch_size = static_cast<int>(batch), .epochs = 2, .verbose = 0, .callbacks = {timer},
                     .strategy = strategy});
    const int64_t steps = (samples + batch - 1) / batch;

    // The allreduce of one step alone: the gradients and flags of the 10 parameters, 20 times.
    auto params = model.trainable_weights();
    std::vector<float> buffer(static_cast<size_t>(distributed::DataParallel::gradient_floats(params)), 1.0f);
    const int repeats = 20;
    const auto start = Clock::now();
    for (int i = 0; i < repeats; ++i) strategy->allreduce_sum(buffer, "the benchmark buffer");
    const double allreduce = std::chrono::duration<double>(Clock::now() - start).count() / repeats;

    if (strategy->is_chief())
      std::printf("%s, %d thread(s) per rank: %.0f samples/s (global batch %lld, %.2f ms per step), allreduce of "
                  "%zu bytes: %.3f ms\n",
                  strategy->name().c_str(), num_threads(), static_cast<double>(samples) / timer->seconds,
                  static_cast<long long>(batch), 1000 * timer->seconds / static_cast<double>(steps),
                  buffer.size() * sizeof(float), 1000 * allreduce);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "elucid-distributed-bench: " << e.what() << "\n";
    return 1;
  }
}
