// Dropout: the rate check, the layer's seed, and the position its masks are keyed by.
#include <elucid/layers/dropout.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <string>
#include <utility>

namespace elucid::layers {

Dropout::Dropout(double rate, DropoutOptions options)
    : rate_(rate), options_(std::move(options)), seed_(options_.seed.value_or(0)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (!(rate_ >= 0.0 && rate_ < 1.0))  // also catches NaN
    throw Error(label() + ": rate must be in [0, 1), got " + format_number(rate_));
}

void Dropout::create_weights(const Shape& /*input_shape*/, Random& rng) {
  if (!options_.seed) seed_ = rng.next_u64();
}

Tensor Dropout::forward(const Tensor& x, bool training) {
  const float rate = static_cast<float>(rate_);
  if (!training || rate == 0.0f) return ops::dropout(x, rate, seed_, {}, training);  // x itself
  const RunPosition* at = RunPosition::current();
  // Several threads may run this at once inside a training step: there it only reads. By hand, it counts its calls.
  const RunPosition position = at ? *at : RunPosition{own_steps_++, 0};
  return ops::dropout(x, rate, seed_, position, training);
}

}  // namespace elucid::layers
