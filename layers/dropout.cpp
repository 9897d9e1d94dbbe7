// Dropout: the rate check, the mask generator's seeding, ops::dropout, and the slice of a global batch that one rank
// of data-parallel training masks.
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

Tensor Dropout::forward(const Tensor& x, bool training) {
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
