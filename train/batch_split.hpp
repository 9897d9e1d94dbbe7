// BatchSplit: the training step's forward and backward over fixed slices of the batch, run by the thread team.
// Each slice's whole forward and backward runs on one thread (the ops inside it then run single-threaded), with
// its own weight gradients (core/leaf_gradients.hpp), which are then added into the weights' gradients in slice
// order. The slices depend on the batch size alone, never on the thread count, so a seed gives the same bits at
// any thread count. Threading each op instead leaves a core idle at every op's fork and join and in the ops too
// small to split (the dense layers, the loss); one split per step keeps both busy (docs/performance.md).
// A model whose training forward needs the whole batch (BatchNormalization's statistics) trains in slices that meet
// there (core/slice_group.hpp): then every slice has a thread of its own, and at most the team's count of them
// compute at a time.
#pragma once
#include <elucid/core/leaf_gradients.hpp>
#include <elucid/core/slice_group.hpp>
#include <elucid/core/tensor.hpp>
#include <elucid/data/batches.hpp>

#include <functional>
#include <span>
#include <vector>

namespace elucid {

class BatchSplit {
 public:
  static constexpr int64_t kMinSliceSamples = 16;  // smaller slices leave sgemm too little to do
  static constexpr int64_t kMaxSlices = 8;
  // Slices that meet (below) at most: each computes on a core of its own only while there are as many cores as
  // slices; with more slices than cores, those waiting to compute leave a core idle at each meeting (4 slices of a
  // batch of 64 on 2 cores trained the residual network about 0.8x as fast as no split, 2 slices of 32 1.14x).
  static constexpr int64_t kMaxMeetingSlices = 2;
  static constexpr int64_t kMaxGradientBytes = int64_t{256} << 20;  // the slices' copies of the weights' gradients

  // How many slices a batch of n samples is cut into, for a model of `weights` floats: the largest of 1, 2, 4, 8
  // that leaves every slice at least kMinSliceSamples samples (a power of two, so 2 or 4 threads share the slices
  // evenly) and their gradient copies within kMaxGradientBytes. So a batch of 32 keeps 2 cores busy, one of 128 up
  // to 8; a model of more than 32M weights trains unsliced (each op threaded on its own instead). Slices that
  // `meet`: at most kMaxMeetingSlices.
  static int64_t slices_for(int64_t n, int64_t weights, bool meet = false);

  // Runs step(s, part, x_s, y_s) for each slice s of `slices` on the thread team: `part` is data::part_of(n, s,
  // slices), the samples of x and y (first axis) that x_s and y_s hold. Slice s's gradients of `weights` are kept
  // apart, then added into the weights' gradients in slice order. An error thrown by a slice is rethrown here (the
  // first in slice order) once every slice has ended; the weights' gradients are then left as they were.
  // `meet`: the slices run at once, one thread each, in a SliceGroup active on their threads.
  using Step = std::function<void(int64_t slice, data::Part part, const Tensor& x, const Tensor& y)>;
  void run(const Tensor& x, const Tensor& y, int64_t slices, bool meet, std::span<const Tensor> weights,
           const Step& step);

  // Whether slices that meet can run here: the OpenMP runtime gives a region as many threads as it is asked for
  // (not called inside a parallel region, no OMP_THREAD_LIMIT below `slices`, no OMP_DYNAMIC). When not, such a
  // model trains unsliced.
  static bool can_meet(int64_t slices);

 private:
  std::vector<LeafGradients> gradients_;  // one per slice, their buffers kept from step to step
};

}  // namespace elucid
