// Batches: walks a Dataset in mini-batches, shuffled per epoch from a seed, the last partial batch kept.
// Only one batch at a time is float; the order of an epoch depends on (seed, epoch) alone, so a checkpoint that
// stores position() resumes the same order with seek().
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/data/dataset.hpp>

#include <optional>

namespace elucid::data {

struct Batch {
  Tensor x;  // (B, ...sample_shape)
  Tensor y;  // (B, ...label_shape)
  // Where x and y sit in the whole batch: next(batch, part, parts) takes samples [begin, begin + B) of a batch of
  // `whole` (data-parallel training); next(batch) takes all of it (begin 0, whole B).
  int64_t begin = 0;
  int64_t whole = 0;
};

// Part `part` of `parts` of `count` items: contiguous and in order, the first (count % parts) parts one item longer
// (64 items in 3 parts: 22, 21, 21; 1 item in 2 parts: 1, 0). How a batch is split over the ranks of data-parallel
// training (distributed/strategy.hpp).
struct Part {
  int64_t begin = 0;
  int64_t count = 0;
};
Part part_of(int64_t count, int64_t part, int64_t parts);
// The samples of `part` of t (along its first axis), copied.
Tensor samples_of(const Tensor& t, Part part);

struct BatchPosition {
  int64_t epoch = 0;  // 0-based
  int64_t batch = 0;  // index of the next batch within that epoch
};

class Batches {
 public:
  // Throws elucid::Error for a null data set or batch_size < 1. Starts epoch 0.
  Batches(std::shared_ptr<const Dataset> data, int64_t batch_size, bool shuffle = true, uint64_t seed = 0);

  int64_t num_batches() const;  // ceil(N / batch_size); 0 for an empty data set
  int64_t batch_size() const { return batch_size_; }
  int64_t size() const { return data_->size(); }
  const Dataset& dataset() const { return *data_; }

  // Starts epoch `epoch`: the order is 0..N-1, or with shuffle a permutation from Random::derive(seed, epoch).
  void start_epoch(int64_t epoch);
  // The next batch of this epoch, or nullopt when the epoch is over (call start_epoch for the next one).
  std::optional<Batch> next();
  // Same, filling `batch` in place: its tensors' storage is reused when their shapes fit (the caller must not hold
  // on to the previous batch's tensors). Returns false when the epoch is over.
  bool next(Batch& batch);
  // Same, but only part_of(batch size, part, parts) of the next batch; the part may hold no sample.
  bool next(Batch& batch, int64_t part, int64_t parts);

  BatchPosition position() const { return {epoch_, batch_}; }
  void seek(BatchPosition position);                        // start_epoch(position.epoch), then skip batches
  std::span<const int64_t> order() const { return order_; }  // this epoch's sample order

 private:
  std::shared_ptr<const Dataset> data_;
  int64_t batch_size_;
  bool shuffle_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  int64_t batch_ = 0;
  std::vector<int64_t> order_;
};

}  // namespace elucid::data
