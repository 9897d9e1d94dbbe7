// Distributed strategies: the single-process default, and the choice between it and MPI from the environment.
#include <elucid/distributed/strategy.hpp>

#include <elucid/core/error.hpp>
#if ELUCID_WITH_MPI
#include <elucid/distributed/mpi_strategy.hpp>
#endif

#include <cstdlib>
#include <iostream>

namespace elucid::distributed {

void SingleProcess::abort(const std::string& message, int exit_code) {
  std::cerr << "elucid: " << message << std::endl;
  std::exit(exit_code);
}

bool built_with_mpi() {
#if ELUCID_WITH_MPI
  return true;
#else
  return false;
#endif
}

int launcher_size() {
  // Open MPI's mpirun (4 and 5), then MPICH's Hydra and Slurm's srun with PMI.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  return 0;
}

std::shared_ptr<Strategy> from_environment(const MPIOptions& options) {
  const int ranks = launcher_size();
  if (ranks == 0) return std::make_shared<SingleProcess>();
#if ELUCID_WITH_MPI
  return MPIStrategy::from_environment(options);
#else
  (void)options;
  if (ranks > 1)
    throw Error("this process is one of " + std::to_string(ranks) + " started by mpirun, but elucid was built without "
                "MPI (ELUCID_WITH_MPI=OFF, or CMake found no MPI: install libopenmpi-dev and configure again); each "
                "rank would train alone and overwrite the others' files");
  return std::make_shared<SingleProcess>();
#endif
}

}  // namespace elucid::distributed
