// Thread count for OpenMP regions; OpenBLAS runs single-threaded so results never depend on its thread split.
#include <elucid/core/parallel.hpp>

#include <elucid/core/error.hpp>

#include <omp.h>

#include <string>

extern "C" void openblas_set_num_threads(int);

namespace elucid {

void set_num_threads(int threads) {
  if (threads < 0) throw Error("set_num_threads: threads must be 0 (all cores) or more, got " + std::to_string(threads));
  omp_set_num_threads(threads == 0 ? omp_get_num_procs() : threads);
  openblas_set_num_threads(1);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace elucid
