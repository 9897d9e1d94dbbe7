// SliceGroup: the slices of a training step that must meet while they run, because an op needs the whole batch.
// BatchNormalization's statistics in training are the batch's, not a slice's: each slice sums its own rows, then
// every slice takes all slices' sums (gather) and combines them in slice order, so each slice normalises with the
// same batch statistics, whichever thread ran which slice and in whatever order they arrived. Its backward meets
// once more for the batch's sums of dy and dy * xhat.
//
// So every slice runs on a thread of its own (train/batch_split.hpp), and at most `running` of them compute at a
// time: a slice holds one of `running` permits while it computes and lets go of it while it waits in gather. With
// one permit the slices take turns on one core; the results are the same bits at any number of permits.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

namespace elucid {

class SliceGroup {
 public:
  SliceGroup(int64_t slices, int64_t running);

  // The group and slice of the calling thread while a Scope is alive on it, else null and -1.
  static SliceGroup* active();
  static int64_t active_slice();
  int64_t slices() const { return slices_; }

  // Every slice calls gather with its values (the same count in every slice), its k-th call meeting the other
  // slices' k-th: returns all slices' values, slice 0's first (slices() x mine.size()). Waits, without a permit,
  // until the last slice has come; throws Error when a slice failed before it came (abandon).
  std::vector<double> gather(std::span<const double> mine);

  // A slice that failed: the slices waiting in gather, and any that call it later, throw instead of waiting for it.
  void abandon();
  // True when slice s's failure came from another slice's abandon (its own error is not the cause).
  bool abandoned_before(int64_t slice) const;

  // Slice `slice` runs on this thread for the scope's lifetime, holding a permit while it computes.
  class Scope {
   public:
    Scope(SliceGroup& group, int64_t slice);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
  };

 private:
  void take_permit(std::unique_lock<std::mutex>& lock);
  void give_permit();  // with mutex_ held

  const int64_t slices_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_all_, permit_free_;
  int64_t free_permits_;
  int64_t arrived_ = 0;      // slices in the current gather
  int64_t round_ = 0;        // gathers completed
  std::vector<std::vector<double>> values_;  // the current gather's, by slice
  std::vector<double> gathered_;             // the last completed gather's, slice after slice
  bool abandoned_ = false;
  std::vector<char> released_;  // slice s left a gather because of abandon
};

}  // namespace elucid
