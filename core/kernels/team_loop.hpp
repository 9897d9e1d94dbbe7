// A loop that opens a parallel region only when the team can take it. A region the runtime runs serialized (inside
// another one: a batch slice's thread, a kernel's chunk; or a team of one thread) still costs libgomp a team's set-up
// and a futex call, about 0.3 microseconds, 0.5 nested, and a training step of the seed model would open about 150
// of them (max-pooling once per convolution chunk alone about 100). Included by .cpp files only (kernels and ops).
#pragma once
#include <elucid/core/parallel.hpp>

#include <omp.h>

#include <cstdint>

namespace elucid::kernels {

// True when a loop of `work` items is worth the team: at least `min_work` of them, more than one thread in the team,
// and the calling thread in no parallel region.
inline bool on_team(int64_t work, int64_t min_work) {
  return work >= min_work && !omp_in_parallel() && team_threads() > 1;
}

// body(i) for i in [0, n): split statically over the team when `team` (on_team), else in order on this thread.
// Each i's work must not depend on the thread that runs it, as in every kernel here.
template <typename Body>
void team_loop(int64_t n, bool team, const Body& body) {
  if (team) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) body(i);
  } else {
    for (int64_t i = 0; i < n; ++i) body(i);
  }
}

}  // namespace elucid::kernels
