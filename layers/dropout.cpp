// Dropout: the rate check, the mask generator's seeding, ops::dropout, the slice of a global batch that one rank
// of data-parallel training masks, and the slices of a batch trained at once on the thread team.
#include <elucid/layers/dropout.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <string>
#include <utility>

namespace elucid::layers {

Dropout::Dropout(double rate, DropoutOptions options)
    : rate_(rate), options_(std::move(options)), rng_(options_.seed.value_or(0)) {
  set_name_and_input_shape(options_.name, options_.input_shape);
  if (!(rate_ >= 0.0 && rate_ < 1.0))  // also catches NaN
    throw Error(label() + ": rate must be in [0, 1), got " + format_number(rate_));
}

void Dropout::create_weights(const Shape& /*input_shape*/, Random& rng) {
  if (!options_.seed) rng_ = Random(rng.next_u64());
}

namespace {
// Moves past n mask elements: ops::dropout draws one uniform() per element, in order.
void draw_past(Random& rng, int64_t n) {
  for (int64_t i = 0; i < n; ++i) (void)rng.uniform();
}
}  // namespace

void Dropout::set_batch_slice(int64_t begin, int64_t count, int64_t total) {
  if (begin < 0 || count < 0 || begin + count > total)
    throw Error(label() + ": samples [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                ") are not a slice of a batch of " + std::to_string(total));
  slice_.reset();
  if (count > 0) {
    slice_ = Slice{begin, count, total};
  } else if (static_cast<float>(rate_) != 0.0f) {  // ops::dropout draws nothing at rate 0
    require_built();
    draw_past(rng_, total * numel(*built_input_shape()));
  }
}

namespace {
struct ThreadSlice {
  int64_t begin = 0, count = 0;
};
thread_local std::optional<ThreadSlice> thread_slice;  // set by SliceScope
}  // namespace

Dropout::SliceScope::SliceScope(int64_t begin, int64_t count) { thread_slice = ThreadSlice{begin, count}; }
Dropout::SliceScope::~SliceScope() { thread_slice.reset(); }

void Dropout::begin_slices(int64_t n) {
  const std::optional<Slice> part = std::exchange(slice_, std::nullopt);  // a rank's part of a global batch
  if (part && part->count != n)
    throw Error(label() + ": a batch of " + std::to_string(n) + " samples is not the part of " +
                std::to_string(part->count) + " samples it was told of");
  slices_ = Slices{rng_, part ? part->begin : 0, part ? part->total : n};
}

void Dropout::end_slices() {
  if (!slices_) return;
  rng_ = slices_->start;
  if (static_cast<float>(rate_) != 0.0f) {  // ops::dropout draws nothing at rate 0
    require_built();
    draw_past(rng_, slices_->total * numel(*built_input_shape()));
  }
  slices_.reset();
}

// One slice's forward between begin_slices and end_slices: the masks of samples [begin + slice.begin, ...) of the
// whole batch, from the step's starting generator; the layer's own generator is left alone (other threads read it).
Tensor Dropout::forward_slice(const Tensor& x, const Slices& slices) {
  if (!thread_slice || x.rank() < 1 || x.dim(0) != thread_slice->count)
    throw Error(label() + ": input " + to_string(x.shape()) + " is not the slice of the batch this thread was told of");
  const float rate = static_cast<float>(rate_);
  if (rate == 0.0f || x.dim(0) == 0) return x;
  Random rng = slices.start;
  draw_past(rng, (slices.begin + thread_slice->begin) * (x.size() / x.dim(0)));
  return ops::dropout(x, rate, rng, /*training=*/true);
}

Tensor Dropout::forward(const Tensor& x, bool training) {
  if (slices_ && training) return forward_slice(x, *slices_);
  const std::optional<Slice> slice = std::exchange(slice_, std::nullopt);
  const float rate = static_cast<float>(rate_);
  if (!slice || !training || rate == 0.0f) return ops::dropout(x, rate, rng_, training);
  if (x.rank() < 1 || x.dim(0) != slice->count)
    throw Error(label() + ": input " + to_string(x.shape()) + " is not the slice of " + std::to_string(slice->count) +
                " samples it was told of");
  // x is (count, ...): the elements of the samples before this slice, the slice's own, the samples after it.
  const int64_t per_sample = x.size() / slice->count;
  draw_past(rng_, slice->begin * per_sample);
  Tensor y = ops::dropout(x, rate, rng_, training);
  draw_past(rng_, (slice->total - slice->begin - slice->count) * per_sample);
  return y;
}

}  // namespace elucid::layers
