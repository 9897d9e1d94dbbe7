// Dropout: the rate check, the mask generator's seeding, and ops::dropout.
#include <elucid/layers/dropout.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

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

Tensor Dropout::forward(const Tensor& x, bool training) {
  return ops::dropout(x, static_cast<float>(rate_), rng_, training);
}

}  // namespace elucid::layers
