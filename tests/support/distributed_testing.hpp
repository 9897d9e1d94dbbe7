// ThreadRanks: N ranks as threads of one process, to test data-parallel training (distributed/strategy.hpp) without
// MPI and under the sanitizers. Collectives meet at a barrier; sums are taken in rank order, so every rank gets the
// same bits. abort() does not end the process: it wakes every rank with an elucid::Error carrying its message.
#pragma once
#include <elucid/core/error.hpp>
#include <elucid/distributed/strategy.hpp>

#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace elucid::testing {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), data_(static_cast<size_t>(size)), bytes_(static_cast<size_t>(size)) {}
  int size() const { return size_; }

  // Every rank publishes its buffer, then each reads what it needs, then all leave together.
  template <class T>
  void allreduce_sum(int rank, std::span<T> values, const char* what) {
    publish(rank, values.data(), values.size_bytes(), what);
    std::vector<T> sum(values.size(), T(0));
    for (int r = 0; r < size_; ++r) {
      const T* from = static_cast<const T*>(data_[static_cast<size_t>(r)]);
      for (size_t j = 0; j < sum.size(); ++j) sum[j] += from[j];
    }
    wait(what);
    std::copy(sum.begin(), sum.end(), values.begin());
  }
  void broadcast(int rank, std::span<std::byte> bytes, const char* what) {
    publish(rank, bytes.data(), bytes.size(), what);
    if (rank != 0) std::memcpy(bytes.data(), data_[0], bytes.size());
    wait(what);
  }
  [[noreturn]] void abort(int rank, const std::string& message) {
    {
      std::lock_guard lock(mutex_);
      if (aborted_.empty()) aborted_ = "rank " + std::to_string(rank) + ": " + message;
    }
    changed_.notify_all();
    throw Error(message);
  }

 private:
  void publish(int rank, void* data, size_t bytes, const char* what) {
    data_[static_cast<size_t>(rank)] = data;
    bytes_[static_cast<size_t>(rank)] = bytes;
    wait(what);
    for (int r = 0; r < size_; ++r)
      if (bytes_[static_cast<size_t>(r)] != bytes)
        throw Error(std::string(what) + ": rank " + std::to_string(r) + " sent " +
                    std::to_string(bytes_[static_cast<size_t>(r)]) + " bytes, rank " + std::to_string(rank) + " " +
                    std::to_string(bytes));
  }
  // A barrier that an abort() on any rank breaks.
  void wait(const char* what) {
    std::unique_lock lock(mutex_);
    const int64_t generation = generation_;
    if (++arrived_ == size_) {
      arrived_ = 0;
      ++generation_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return generation_ != generation || !aborted_.empty(); });
    }
    if (generation_ == generation)  // the barrier did not complete: a rank aborted
      throw Error(std::string(what) + ": another rank aborted: " + aborted_);
  }

  int size_;
  std::vector<void*> data_;
  std::vector<size_t> bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  int64_t generation_ = 0;
  std::string aborted_;
};

class ThreadRank : public distributed::Strategy {
 public:
  ThreadRank(std::shared_ptr<ThreadGroup> group, int rank) : group_(std::move(group)), rank_(rank) {}
  std::string name() const override { return "threads"; }
  int rank() const override { return rank_; }
  int size() const override { return group_->size(); }
  void allreduce_sum(std::span<float> v, const char* what) override { group_->allreduce_sum(rank_, v, what); }
  void allreduce_sum(std::span<double> v, const char* what) override { group_->allreduce_sum(rank_, v, what); }
  void broadcast(std::span<std::byte> b, const char* what) override { group_->broadcast(rank_, b, what); }
  [[noreturn]] void abort(const std::string& message, int) override { group_->abort(rank_, message); }

 private:
  std::shared_ptr<ThreadGroup> group_;
  int rank_;
};

// Runs body(strategy) on `size` threads, one rank each; returns each rank's error message ("" when it finished).
inline std::vector<std::string> run_ranks(int size, const std::function<void(std::shared_ptr<ThreadRank>)>& body) {
  auto group = std::make_shared<ThreadGroup>(size);
  std::vector<std::string> errors(static_cast<size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      try {
        body(std::make_shared<ThreadRank>(group, r));
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

}  // namespace elucid::testing
