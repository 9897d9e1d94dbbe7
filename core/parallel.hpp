// Threads: elucid splits work with OpenMP; OpenBLAS is kept single-threaded inside those regions so that the work
// split, and therefore every float sum, is the same at any thread count.
#pragma once

namespace elucid {

void set_num_threads(int threads);  // 0 means all cores; also the OMP_NUM_THREADS default
int num_threads();

}  // namespace elucid
