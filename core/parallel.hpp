// Threads: elucid splits work with OpenMP; OpenBLAS is kept single-threaded inside those regions so that the work
// split, and therefore every float sum, is the same at any thread count.
//
// On a busy machine a fixed team is slow: OpenMP's threads wait for each other at the end of every region, and a
// thread that shares its core with another process's keeps the whole team waiting (spinning, so it takes CPU from
// that very thread). So the team follows the cores other processes leave free: fit, evaluate and predict call
// follow_free_cores() between batches, which measures every quarter second (core/free_cores.hpp) and runs the next
// batches on as many threads as there are free cores, at most num_threads(), at least one. Results do not change:
// they are the same at any thread count.
#pragma once

namespace elucid {

// The most threads elucid's parallel regions use; 0 means all cores. Also the OMP_NUM_THREADS default.
void set_num_threads(int threads);
int num_threads();

// On (the default): the team follows the free cores, as above. Off: every region runs on num_threads() threads.
void set_follow_free_cores(bool on);
bool follows_free_cores();

// Between batches: sets the calling thread's team for its coming parallel regions from the free cores, when a
// quarter second or more has gone by since the last measurement; otherwise does nothing (a clock read).
void follow_free_cores();

// The threads the calling thread's next parallel region runs on: num_threads(), or fewer on a busy machine.
int team_threads();

}  // namespace elucid
