// SliceGroup: an all-gather of the slices' values under a mutex, and permits for the slices that compute.
#include <elucid/core/slice_group.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>
#include <string>

namespace elucid {

namespace {
thread_local SliceGroup* active_group = nullptr;
thread_local int64_t active_slice_index = -1;

std::string abandoned_message(int64_t slice) {
  return "slice " + std::to_string(slice) + " of the batch stopped: another slice failed before they met";
}
}  // namespace

SliceGroup::SliceGroup(int64_t slices, int64_t running)
    : slices_(slices),
      free_permits_(std::clamp<int64_t>(running, 1, std::max<int64_t>(slices, 1))),
      values_(static_cast<size_t>(slices)),
      released_(static_cast<size_t>(slices), 0) {
  if (slices < 1) throw Error("SliceGroup: " + std::to_string(slices) + " slices; it needs at least 1");
}

SliceGroup* SliceGroup::active() { return active_group; }
int64_t SliceGroup::active_slice() { return active_slice_index; }

std::vector<double> SliceGroup::gather(std::span<const double> mine) {
  const int64_t slice = active_slice_index;
  if (active_group != this || slice < 0)
    throw Error("SliceGroup::gather: called on a thread that runs none of the group's slices");
  std::unique_lock lock(mutex_);
  if (abandoned_) {
    released_[static_cast<size_t>(slice)] = 1;
    throw Error(abandoned_message(slice));
  }
  values_[static_cast<size_t>(slice)].assign(mine.begin(), mine.end());
  if (++arrived_ == slices_) {  // the last to come: publish, wake the others, go on with its permit
    gathered_.clear();
    for (const auto& v : values_) {
      if (v.size() != mine.size())
        throw Error("SliceGroup::gather: slices gave " + std::to_string(v.size()) + " and " +
                    std::to_string(mine.size()) + " values to the same gather");
      gathered_.insert(gathered_.end(), v.begin(), v.end());
    }
    arrived_ = 0;
    ++round_;
    arrived_all_.notify_all();
    return gathered_;
  }
  // Wait without the permit, so that a slice still to come can run; take one again before computing on.
  const int64_t round = round_;
  give_permit();
  arrived_all_.wait(lock, [&] { return round_ != round || abandoned_; });
  const bool completed = round_ != round;
  std::vector<double> result = completed ? gathered_ : std::vector<double>();
  if (!completed) released_[static_cast<size_t>(slice)] = 1;
  take_permit(lock);
  if (!completed) throw Error(abandoned_message(slice));
  return result;
}

void SliceGroup::take_permit(std::unique_lock<std::mutex>& lock) {
  permit_free_.wait(lock, [&] { return free_permits_ > 0; });
  --free_permits_;
}

void SliceGroup::give_permit() {
  ++free_permits_;
  permit_free_.notify_one();
}

void SliceGroup::abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  arrived_all_.notify_all();
}

bool SliceGroup::abandoned_before(int64_t slice) const {
  std::lock_guard lock(mutex_);
  return released_[static_cast<size_t>(slice)] != 0;
}

SliceGroup::Scope::Scope(SliceGroup& group, int64_t slice) {
  std::unique_lock lock(group.mutex_);
  group.take_permit(lock);
  active_group = &group;
  active_slice_index = slice;
}

SliceGroup::Scope::~Scope() {
  {
    const std::lock_guard lock(active_group->mutex_);
    active_group->give_permit();
  }
  active_group = nullptr;
  active_slice_index = -1;
}

}  // namespace elucid
