// BatchSplit: slicing the batch, the slices on the thread team, their gradients summed in slice order.
#include <elucid/train/batch_split.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/parallel.hpp>

#include <omp.h>

#include <algorithm>
#include <exception>
#include <string>

namespace elucid {

int64_t BatchSplit::slices_for(int64_t n, int64_t weights, bool meet) {
  int64_t slices = 1;
  while (slices < (meet ? kMaxMeetingSlices : kMaxSlices) && n / (2 * slices) >= kMinSliceSamples &&
         2 * slices * weights * static_cast<int64_t>(sizeof(float)) <= kMaxGradientBytes)
    slices *= 2;
  return slices;
}

bool BatchSplit::can_meet(int64_t slices) {
  return !omp_in_parallel() && !omp_get_dynamic() && omp_get_thread_limit() >= slices;
}

void BatchSplit::run(const Tensor& x, const Tensor& y, int64_t slices, bool meet, std::span<const Tensor> weights,
                     const Step& step) {
  const int64_t n = x.dim(0);
  if (gradients_.size() < static_cast<size_t>(slices)) gradients_.resize(static_cast<size_t>(slices));
  for (int64_t s = 0; s < slices; ++s) gradients_[s].reset(weights);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(slices));
  const auto run_slice = [&](int64_t s) {
    const data::Part part = data::part_of(n, s, slices);
    LeafGradients::Scope own_gradients(gradients_[s]);
    step(s, part, data::samples_of(x, part), data::samples_of(y, part));
  };
  if (meet && slices > 1) {
    if (!can_meet(slices))
      throw Error("BatchSplit: " + std::to_string(slices) + " slices that meet need as many threads; the OpenMP " +
                  "runtime allows " + std::to_string(omp_get_thread_limit()) + " (OMP_THREAD_LIMIT, OMP_DYNAMIC)");
    SliceGroup group(slices, team_threads());
    std::exception_ptr short_team;
#pragma omp parallel num_threads(static_cast<int>(slices))
    {
      const int64_t s = omp_get_thread_num();
      if (omp_get_num_threads() != slices) {  // not one thread a slice: no slice may start, none would meet
#pragma omp single
        short_team = std::make_exception_ptr(Error("BatchSplit: the OpenMP runtime gave " +
                                                   std::to_string(omp_get_num_threads()) + " threads for " +
                                                   std::to_string(slices) + " slices that meet"));
      } else {
        try {
          const SliceGroup::Scope in_group(group, s);
          run_slice(s);
          // A last meeting: a slice that is done sleeps until all are, instead of spinning at the region's end
          // (OpenMP's barrier) on a core another slice may still need.
          group.gather({});
        } catch (...) {
          errors[s] = std::current_exception();
          group.abandon();
        }
      }
    }
    if (short_team) std::rethrow_exception(short_team);
    // The failure that stopped the others: the first in slice order that abandon did not cause.
    for (int64_t s = 0; s < slices; ++s)
      if (errors[s] && !group.abandoned_before(s)) std::rethrow_exception(errors[s]);
  } else {
    // Dynamic: a thread that finishes its slice early takes the next; which thread ran a slice changes no bit of it.
#pragma omp parallel for schedule(dynamic, 1) if (team_threads() > 1)
    for (int64_t s = 0; s < slices; ++s) {
      try {
        run_slice(s);
      } catch (...) {
        errors[s] = std::current_exception();
      }
    }
  }
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  LeafGradients::add_into_leaves(std::span<LeafGradients>(gradients_.data(), static_cast<size_t>(slices)));
}

}  // namespace elucid
