// MPIStrategy: data-parallel training over the processes that mpirun started (Open MPI), through MPI_Allreduce and
// MPI_Bcast. Compiled when ELUCID_WITH_MPI is on; the header holds no MPI type, so a program using it needs no mpi.h.
//
//   auto strategy = elucid::distributed::MPIStrategy::from_environment();
//   model.fit(train, {.batch_size = 64, .epochs = 5, .strategy = strategy});
//
// Errors: the communicator returns MPI errors (MPI_ERRORS_RETURN) and each one becomes an elucid::Error naming the
// call; a collective that takes longer than MPIOptions::timeout_seconds ends the rank with a message (Watchdog),
// after which mpirun ends the others, as it does whenever a rank exits with a non-zero status or is killed.
#pragma once
#include <elucid/distributed/strategy.hpp>

#include <memory>

namespace elucid::distributed {

class MPIStrategy : public Strategy {
 public:
  // Starts MPI unless the program already has (MPI_THREAD_FUNNELED: only the thread that calls fit() calls MPI) and
  // then finalizes it at exit; works on a duplicate of MPI_COMM_WORLD; sets each rank's threads (MPIOptions).
  // Throws elucid::Error when MPI cannot start.
  static std::shared_ptr<MPIStrategy> from_environment(const MPIOptions& options = {});
  ~MPIStrategy() override;

  std::string name() const override;  // "MPI (Open MPI v4.1.4), rank 0 of 2"
  int rank() const override;
  int size() const override;
  int local_size() const;              // ranks on this host
  std::vector<int64_t> local_process_ids() const override;
  double timeout_seconds() const;

  void allreduce_sum(std::span<float> values, const char* what) override;
  void allreduce_sum(std::span<double> values, const char* what) override;
  void broadcast(std::span<std::byte> bytes, const char* what) override;
  [[noreturn]] void abort(const std::string& message, int exit_code = 1) override;  // MPI_Abort

  struct Impl;

 private:
  explicit MPIStrategy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace elucid::distributed
