// elucid_mpi_check MODE OUT: what tests/distributed/mpi_strategy.cpp runs under mpirun (and once without, to compare).
//   train OUT  the seed model (93,322 parameters) on 193 synthetic images, global batch 64, 2 epochs, 10% held out
//              for validation; prints the strategy, the History and the progress (rank 0 only), and writes
//              OUT.rank<R>.weights (every rank: the test compares them) and OUT.csv (rank 0: the only file elucid
//              itself writes under MPI)
//   dropout OUT  the same with a small model holding two Dropout layers (its masks must be one process's)
//   train-single OUT, dropout-single OUT  the same in one process, to compare
//   die        rank 1 is killed (SIGKILL, as by the out-of-memory killer) before the first collective
//   fail       rank 1 meets an error before training: the program's error path ends the job (Strategy::abort)
//   hang       rank 1 sleeps 60 s before the first collective; rank 0 has a 1 s timeout
//   throw      a callback throws on rank 1 during training: fit() ends the job
//   lost       with the `elucid train` signal handlers installed, rank 1 is killed (SIGKILL) at its second batch:
//              mpirun sends SIGTERM to rank 0, which waits for rank 1 in a collective
#include <elucid/apps/seed_model.hpp>
#include <elucid/elucid.hpp>
#include <elucid/distributed/mpi_strategy.hpp>
#include <elucid/train/interrupt.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

using namespace elucid;

namespace {

Sequential seed_model() {
  Sequential model = examples::seed_model();
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  return model;
}

// Conv2D(8, 3x3, elu) -> MaxPooling2D(2x2) -> Dropout(0.25) -> Flatten -> Dense(32, elu) -> Dropout(0.5) -> Dense(10):
// masks of 1,352 and 32 elements per sample.
Sequential dropout_model() {
  using namespace elucid::layers;
  Sequential model;
  model.add(Conv2D(8, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}}));
  model.add(MaxPooling2D({2, 2}));
  model.add(Dropout(0.25));
  model.add(Flatten());
  model.add(Dense(32, {.activation = "elu"}));
  model.add(Dropout(0.5));
  model.add(Dense(10));
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  return model;
}

struct ThrowAt : Callback {
  void on_train_batch_end(int64_t batch, Logs&) override {
    if (batch == 1) throw Error("a callback fails on purpose at batch 1");
  }
  std::string name() const override { return "ThrowAt"; }
};

struct KillAt : Callback {
  void on_train_batch_end(int64_t batch, Logs&) override {
    if (batch == 1) {
      std::cerr << "rank 1 is killed on purpose at batch 1" << std::endl;
      std::raise(SIGKILL);
    }
  }
  std::string name() const override { return "KillAt"; }
};

std::shared_ptr<distributed::Strategy> strategy;

int run(const std::string& mode, const std::string& out) {
  if (mode.ends_with("-single")) strategy = std::make_shared<distributed::SingleProcess>();
  else strategy = distributed::MPIStrategy::from_environment({.timeout_seconds = mode == "hang" ? 1.0 : 0.0});
  const int rank = strategy->rank();
  if (rank == 0) std::cout << "strategy: " << strategy->name() << ", " << num_threads() << " thread(s) per rank\n";

  set_random_seed(1);
  Sequential model = mode.starts_with("dropout") ? dropout_model() : seed_model();
  if (rank == 1 && mode == "die") {
    std::cerr << "rank 1 is killed on purpose before the first collective" << std::endl;
    std::raise(SIGKILL);
  }
  if (rank == 1 && mode == "fail") throw Error("rank 1 fails on purpose before the first collective");
  if (rank == 1 && mode == "hang") std::this_thread::sleep_for(std::chrono::seconds(60));

  // 193 images: 173 to train in global batches of 64, 64 and 45 (23 + 22 on 2 ranks), 20 to validate.
  auto [x, y] = datasets::synthetic_squares(193, 5);
  std::vector<std::shared_ptr<Callback>> callbacks;
  if (mode == "throw" && rank == 1) callbacks.push_back(std::make_shared<ThrowAt>());
  if (mode == "lost") install_interrupt_handlers(strategy.get());
  if (mode == "lost" && rank == 1) callbacks.push_back(std::make_shared<KillAt>());
  if (strategy->is_chief() && !out.empty()) callbacks.push_back(std::make_shared<callbacks::CSVLogger>(out + ".csv"));
  History history = model.fit(x, y, {.batch_size = 64, .epochs = 2, .verbose = 2, .validation_split = 0.1,
                                     .seed = 3, .callbacks = callbacks, .strategy = strategy});
  if (rank == 0)
    for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"})
      std::printf("history %s %.9g %.9g\n", key, history[key][0], history[key][1]);

  std::ofstream file(out + ".rank" + std::to_string(rank) + ".weights", std::ios::binary);
  for (const auto& w : model.weights())
    file.write(reinterpret_cast<const char*>(w.tensor.data()), static_cast<std::streamsize>(w.tensor.size() * 4));
  return file ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: elucid_mpi_check train|train-single|dropout|dropout-single|die|fail|hang|throw|lost [OUT]\n";
    return 2;
  }
  try {
    return run(argv[1], argc > 2 ? argv[2] : "");
  } catch (const std::exception& e) {
    // Under mpirun, an error path must not return from main: MPI_Finalize at exit would wait for the other ranks,
    // which wait for this one. abort() prints the message and ends every rank.
    if (strategy && strategy->size() > 1) strategy->abort(e.what());
    std::cerr << "elucid_mpi_check: " << e.what() << "\n";
    return 1;
  }
}
