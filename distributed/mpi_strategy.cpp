// MPIStrategy: MPI start and finish, the collectives with their error checks and watchdog, the threads per rank.
#include <elucid/distributed/mpi_strategy.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/distributed/watchdog.hpp>

#include <mpi.h>
#include <omp.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>

namespace elucid::distributed {

namespace {

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

double timeout_from(const MPIOptions& options) {
  if (options.timeout_seconds > 0) return options.timeout_seconds;
  if (const char* text = std::getenv("ELUCID_MPI_TIMEOUT")) {
    char* end = nullptr;
    const double seconds = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(seconds > 0))
      throw Error("ELUCID_MPI_TIMEOUT: expected a number of seconds above 0, got \"" + std::string(text) + "\"");
    return seconds;
  }
  return 300;
}

// The first part of MPI_Get_library_version: "Open MPI v4.1.4".
std::string library_name() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string name(text, static_cast<size_t>(length));
  return name.substr(0, name.find_first_of(",\n"));
}

}  // namespace

struct MPIStrategy::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1, local_size = 1;
  std::vector<int64_t> local_pids;  // by rank; 0 for the ranks on other hosts
  std::string prefix;  // "elucid: rank 1 of 2"
  std::unique_ptr<Watchdog> watchdog;

  void check(int code, const char* call, const char* what) const {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(std::string(call) + " of " + what + " failed on rank " + std::to_string(rank) + " of " +
                std::to_string(size) + ": " + std::string(text, static_cast<size_t>(length)));
  }
  int count(size_t n, const char* call, const char* what) const {
    if (n > static_cast<size_t>(INT_MAX))
      throw Error(std::string(call) + " of " + what + ": " + std::to_string(n) + " elements are more than one MPI "
                  "call takes (" + std::to_string(INT_MAX) + ")");
    return static_cast<int>(n);
  }
};

std::shared_ptr<MPIStrategy> MPIStrategy::from_environment(const MPIOptions& options) {
  const double timeout = timeout_from(options);
  if (options.threads < 0) throw Error("MPIStrategy: threads must be 0 (automatic) or more, got " +
                                       std::to_string(options.threads));
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw Error("MPIStrategy: MPI_Init_thread failed");
    std::atexit(finalize_at_exit);
  }
  auto impl = std::make_unique<Impl>();
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  impl->check(MPI_Comm_dup(MPI_COMM_WORLD, &impl->comm), "MPI_Comm_dup", "MPI_COMM_WORLD");
  MPI_Comm_set_errhandler(impl->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(impl->comm, &impl->rank);
  MPI_Comm_size(impl->comm, &impl->size);
  MPI_Comm local;
  impl->check(MPI_Comm_split_type(impl->comm, MPI_COMM_TYPE_SHARED, impl->rank, MPI_INFO_NULL, &local),
              "MPI_Comm_split_type", "the ranks of this host");
  MPI_Comm_size(local, &impl->local_size);
  // The (rank, process id) of each rank on this host: a rank stopped by a signal looks at whether the others'
  // processes are still there (train/interrupt.hpp). Before the watchdog exists: MPI_Init has just met every rank.
  const int64_t mine[2] = {impl->rank, static_cast<int64_t>(getpid())};
  std::vector<int64_t> pairs(2 * static_cast<size_t>(impl->local_size));
  impl->check(MPI_Allgather(mine, 2, MPI_INT64_T, pairs.data(), 2, MPI_INT64_T, local), "MPI_Allgather",
              "the process ids of this host's ranks");
  MPI_Comm_free(&local);
  impl->local_pids.assign(static_cast<size_t>(impl->size), 0);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2)
    if (pairs[i] >= 0 && pairs[i] < impl->size) impl->local_pids[static_cast<size_t>(pairs[i])] = pairs[i + 1];
  impl->prefix = "elucid: rank " + std::to_string(impl->rank) + " of " + std::to_string(impl->size);
  impl->watchdog = std::make_unique<Watchdog>(timeout, impl->prefix);

  // Threads per rank: as asked; else OMP_NUM_THREADS if set; else the cores mpirun bound this rank to when it bound
  // it to fewer than the host has, else the host's cores shared among its ranks (2 cores, 2 ranks: 1 thread each).
  if (options.threads > 0) {
    set_num_threads(options.threads);
  } else if (!std::getenv("OMP_NUM_THREADS")) {
    const int bound = omp_get_num_procs();
    const int host = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    set_num_threads(bound < host ? bound : std::max(1, host / impl->local_size));
  }
  return std::shared_ptr<MPIStrategy>(new MPIStrategy(std::move(impl)));
}

MPIStrategy::MPIStrategy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MPIStrategy::~MPIStrategy() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && impl_->comm != MPI_COMM_NULL) MPI_Comm_free(&impl_->comm);
}

std::string MPIStrategy::name() const {
  return "MPI (" + library_name() + "), rank " + std::to_string(impl_->rank) + " of " + std::to_string(impl_->size);
}
int MPIStrategy::rank() const { return impl_->rank; }
int MPIStrategy::size() const { return impl_->size; }
int MPIStrategy::local_size() const { return impl_->local_size; }
std::vector<int64_t> MPIStrategy::local_process_ids() const { return impl_->local_pids; }
double MPIStrategy::timeout_seconds() const { return impl_->watchdog->timeout_seconds(); }

void MPIStrategy::allreduce_sum(std::span<float> values, const char* what) {
  Watchdog::Guard guard(*impl_->watchdog, "MPI_Allreduce", what);
  impl_->check(MPI_Allreduce(MPI_IN_PLACE, values.data(), impl_->count(values.size(), "MPI_Allreduce", what),
                             MPI_FLOAT, MPI_SUM, impl_->comm),
               "MPI_Allreduce", what);
}

void MPIStrategy::allreduce_sum(std::span<double> values, const char* what) {
  Watchdog::Guard guard(*impl_->watchdog, "MPI_Allreduce", what);
  impl_->check(MPI_Allreduce(MPI_IN_PLACE, values.data(), impl_->count(values.size(), "MPI_Allreduce", what),
                             MPI_DOUBLE, MPI_SUM, impl_->comm),
               "MPI_Allreduce", what);
}

void MPIStrategy::broadcast(std::span<std::byte> bytes, const char* what) {
  Watchdog::Guard guard(*impl_->watchdog, "MPI_Bcast", what);
  impl_->check(MPI_Bcast(bytes.data(), impl_->count(bytes.size(), "MPI_Bcast", what), MPI_BYTE, 0, impl_->comm),
               "MPI_Bcast", what);
}

void MPIStrategy::abort(const std::string& message, int exit_code) {
  std::fprintf(stderr, "%s: %s\n", impl_->prefix.c_str(), message.c_str());
  std::fflush(stderr);
  MPI_Abort(impl_->comm, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace elucid::distributed
