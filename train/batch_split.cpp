// BatchSplit: slicing the batch, the slices on the thread team, their gradients summed in slice order.
#include <elucid/train/batch_split.hpp>

#include <elucid/core/parallel.hpp>

#include <algorithm>
#include <exception>

namespace elucid {

int64_t BatchSplit::slices_for(int64_t n, int64_t weights) {
  int64_t slices = 1;
  while (slices < kMaxSlices && n / (2 * slices) >= kMinSliceSamples &&
         2 * slices * weights * static_cast<int64_t>(sizeof(float)) <= kMaxGradientBytes)
    slices *= 2;
  return slices;
}

void BatchSplit::run(const Tensor& x, const Tensor& y, int64_t slices, std::span<const Tensor> weights,
                     const Step& step) {
  const int64_t n = x.dim(0);
  if (gradients_.size() < static_cast<size_t>(slices)) gradients_.resize(static_cast<size_t>(slices));
  for (int64_t s = 0; s < slices; ++s) gradients_[s].reset(weights);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(slices));
  // Dynamic: a thread that finishes its slice early takes the next; which thread ran a slice changes no bit of it.
#pragma omp parallel for schedule(dynamic, 1) if (team_threads() > 1)
  for (int64_t s = 0; s < slices; ++s) {
    try {
      const data::Part part = data::part_of(n, s, slices);
      LeafGradients::Scope own_gradients(gradients_[s]);
      step(s, part, data::samples_of(x, part), data::samples_of(y, part));
    } catch (...) {
      errors[s] = std::current_exception();
    }
  }
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  for (int64_t s = 0; s < slices; ++s) gradients_[s].add_into_leaves();
}

}  // namespace elucid
