// Augmentation: the seed drawn at build, the position of a training call, the (H, W, C) check.
#include <elucid/layers/augmentation.hpp>

#include <elucid/core/error.hpp>
#include <elucid/layers/edges.hpp>

namespace elucid::layers {

Shape Augmentation::output_shape(const Shape& input_shape) const {
  check_image_shape(input_shape, label());
  return input_shape;
}

void Augmentation::create_weights(const Shape& /*input_shape*/, Random& rng) {
  if (!seed_given_) seed_ = rng.next_u64();
}

RunPosition Augmentation::position(const Tensor& x) {
  if (x.rank() != 4) throw Error(label() + ": expects a batch (N, H, W, C), got " + to_string(x.shape()));
  // Several threads may run this at once inside a training step: there it only reads. By hand, it counts its calls.
  const RunPosition* at = RunPosition::current();
  return at ? *at : RunPosition{own_steps_++, 0};
}

}  // namespace elucid::layers
