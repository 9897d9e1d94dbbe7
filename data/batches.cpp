// Batches: per-epoch orders derived from (seed, epoch), batches filled straight from the data set.
#include <elucid/data/batches.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/random.hpp>

#include <algorithm>
#include <numeric>

namespace elucid::data {

Part part_of(int64_t count, int64_t part, int64_t parts) {
  if (count < 0 || parts < 1 || part < 0 || part >= parts)
    throw Error("part_of: part " + std::to_string(part) + " of " + std::to_string(parts) + " of " +
                std::to_string(count) + " items does not exist");
  const int64_t base = count / parts, extra = count % parts;
  return {part * base + std::min(part, extra), base + (part < extra ? 1 : 0)};
}

Tensor samples_of(const Tensor& t, Part part) {
  Shape shape = t.shape();
  const int64_t per_sample = t.size() / std::max<int64_t>(shape[0], 1);
  shape[0] = part.count;
  Tensor out = Tensor::empty(shape);
  const float* from = t.data() + part.begin * per_sample;
  std::copy(from, from + part.count * per_sample, out.data());
  return out;
}

Batches::Batches(std::shared_ptr<const Dataset> data, int64_t batch_size, bool shuffle, uint64_t seed)
    : data_(std::move(data)), batch_size_(batch_size), shuffle_(shuffle), seed_(seed) {
  if (!data_) throw Error("Batches: the data set is null");
  if (batch_size_ < 1) throw Error("Batches: batch_size must be at least 1, got " + std::to_string(batch_size_));
  start_epoch(0);
}

int64_t Batches::num_batches() const { return (data_->size() + batch_size_ - 1) / batch_size_; }

void Batches::start_epoch(int64_t epoch) {
  if (epoch < 0) throw Error("Batches: epoch must be >= 0, got " + std::to_string(epoch));
  epoch_ = epoch;
  batch_ = 0;
  order_.resize(static_cast<size_t>(data_->size()));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (shuffle_) {
    Random rng = Random::derive(seed_, static_cast<uint64_t>(epoch));
    rng.shuffle(order_);
  }
}

void Batches::seek(BatchPosition position) {
  if (position.batch < 0 || position.batch > num_batches())
    throw Error("Batches: batch " + std::to_string(position.batch) + " is outside an epoch of " +
                std::to_string(num_batches()) + " batches");
  start_epoch(position.epoch);
  batch_ = position.batch;
}

bool Batches::next(Batch& batch) { return next(batch, 0, 1); }

bool Batches::next(Batch& batch, int64_t part, int64_t parts) {
  if (batch_ >= num_batches()) return false;
  const int64_t whole = std::min(batch_size_, data_->size() - batch_ * batch_size_);
  const Part p = part_of(whole, part, parts);
  const int64_t begin = batch_ * batch_size_ + p.begin;
  const int64_t count = p.count;
  Shape xs = data_->sample_shape(), ys = data_->label_shape();
  xs.insert(xs.begin(), count);
  ys.insert(ys.begin(), count);
  if (!batch.x.defined() || batch.x.shape() != xs) batch.x = Tensor(xs);
  if (!batch.y.defined() || batch.y.shape() != ys) batch.y = Tensor(ys);
  data_->fill(std::span<const int64_t>(order_).subspan(static_cast<size_t>(begin), static_cast<size_t>(count)),
              batch.x.data(), batch.y.data());
  batch.begin = p.begin;
  batch.whole = whole;
  ++batch_;
  return true;
}

std::optional<Batch> Batches::next() {
  Batch batch;
  if (!next(batch)) return std::nullopt;
  return batch;
}

}  // namespace elucid::data
