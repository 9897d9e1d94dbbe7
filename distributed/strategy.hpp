// Distributed strategies: how fit() trains one model on several processes (ranks), data-parallel, as
// tf.distribute.MultiWorkerMirroredStrategy or Horovod do. This header knows no MPI: MPIStrategy
// (distributed/mpi_strategy.hpp, built when ELUCID_WITH_MPI is on) is one implementation, SingleProcess the default.
//
//   auto strategy = elucid::distributed::from_environment();  // MPI under mpirun, else one process
//   model.fit(train, {.batch_size = 64, .epochs = 5, .strategy = strategy});
//
// Every rank holds the whole model. Each global batch of batch_size samples (the same shuffled order on every rank,
// from (seed, epoch)) is split into contiguous slices, rank r taking slice r (data::part_of: when the batch does
// not divide by the number of ranks, the first ranks take one sample more; 64 samples on 3 ranks: 22, 21, 21; the
// last batch of an epoch, 1 sample on 2 ranks: 1, 0, and a rank with no sample computes nothing). Each rank computes
// the mean gradient of its slice; the ranks sum (gradient * slice size) and divide by the batch's size, which is the
// one-process gradient of the whole batch; every rank takes the same optimizer step. So N ranks at batch_size B
// follow the one-process run at batch_size B, up to float rounding. Only rank 0 (is_chief) prints and writes files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace elucid::distributed {

class Strategy {
 public:
  virtual ~Strategy() = default;

  virtual std::string name() const = 0;  // "single process", "MPI (Open MPI v4.1.4), 2 ranks"
  virtual int rank() const = 0;          // 0 .. size() - 1
  virtual int size() const = 0;          // number of ranks
  bool is_chief() const { return rank() == 0; }  // rank 0 prints and writes files
  // The process id of each rank on this host, by rank (size() entries, 0 for a rank elsewhere), so that a rank told
  // to stop can see whether a peer's process has ended. Empty where ranks are not processes of their own.
  virtual std::vector<int64_t> local_process_ids() const { return {}; }

  // Collectives: every rank calls the same ones in the same order with the same sizes. They either complete on
  // every rank or throw elucid::Error naming `what` (a rank died, the network failed, a timeout); after such an
  // error the ranks cannot go on together, so fit() ends the job with abort().
  //
  // Sums `values` element-wise over the ranks, in place; every rank gets the same bits.
  virtual void allreduce_sum(std::span<float> values, const char* what) = 0;
  virtual void allreduce_sum(std::span<double> values, const char* what) = 0;
  // Copies rank 0's bytes to every rank.
  virtual void broadcast(std::span<std::byte> bytes, const char* what) = 0;

  // Ends every rank of the job with exit status `exit_code`, after printing "elucid: rank R of N: MESSAGE" on
  // stderr: for an error on one rank that the others cannot know about, which would leave them waiting. A program
  // run under mpirun ends its error paths with it rather than returning from main: at exit MPI_Finalize waits for
  // every rank, and the others may be waiting for this one (the watchdog would end them, but only after its timeout).
  [[noreturn]] virtual void abort(const std::string& message, int exit_code = 1) = 0;
};

// The default: one process, collectives do nothing, abort() exits the process.
class SingleProcess : public Strategy {
 public:
  std::string name() const override { return "single process"; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::span<float>, const char*) override {}
  void allreduce_sum(std::span<double>, const char*) override {}
  void broadcast(std::span<std::byte>, const char*) override {}
  [[noreturn]] void abort(const std::string& message, int exit_code = 1) override;
};

// Options of the MPI strategy, read by from_environment() and MPIStrategy::from_environment().
struct MPIOptions {
  // Threads per rank. 0: the OMP_NUM_THREADS of the environment if set, else the cores of the host divided by
  // the ranks on the host (1 here: 2 cores, 2 ranks).
  int threads = 0;
  // A collective that has not completed after this many seconds ends the job with a message naming it (another rank
  // died or hangs). 0: the environment variable ELUCID_MPI_TIMEOUT if set, else 300.
  double timeout_seconds = 0;
};

// True when elucid was built with MPI (the ELUCID_WITH_MPI CMake option, on when MPI is found).
bool built_with_mpi();
// The number of ranks the launcher (mpirun, mpiexec, srun) says this process is one of, or 0 when it was not started
// by one (from the OMPI_COMM_WORLD_SIZE or PMI_SIZE environment variable).
int launcher_size();

// The strategy for this process: MPIStrategy when it was started by mpirun (launcher_size() > 0) and elucid was
// built with MPI, else SingleProcess. Started by mpirun with several ranks but built without MPI is an
// elucid::Error (each rank would otherwise train alone and overwrite the others' files).
std::shared_ptr<Strategy> from_environment(const MPIOptions& options = {});

}  // namespace elucid::distributed
