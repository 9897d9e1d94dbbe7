// RandomFlip: the mode check, each sample's flips drawn from its keyed generator, ops::flip2d for the data.
#include <elucid/layers/random_flip.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

#include <vector>

namespace elucid::layers {

RandomFlip::RandomFlip(std::string mode, RandomFlipOptions options)
    : Augmentation(options.seed), mode_(std::move(mode)), options_(std::move(options)) {
  set_common_options(options_.name, options_.input_shape, options_.dtype);
  if (mode_ != "horizontal" && mode_ != "vertical" && mode_ != "horizontal_and_vertical")
    throw Error(label() + ": mode \"" + mode_ + "\" is not one of \"horizontal\", \"vertical\", \"horizontal_and_vertical\"");
}

Tensor RandomFlip::forward(const Tensor& x, bool training) {
  if (!training) return x;
  const RunPosition at = position(x);
  const bool horizontal = mode_ != "vertical", vertical = mode_ != "horizontal";
  std::vector<uint8_t> flip_w(static_cast<size_t>(x.dim(0))), flip_h(flip_w.size());
  for (size_t i = 0; i < flip_w.size(); ++i) {
    Random rng = sample_random(at, static_cast<int64_t>(i));
    if (horizontal) flip_w[i] = rng.uniform() < 0.5f;
    if (vertical) flip_h[i] = rng.uniform() < 0.5f;
  }
  return ops::flip2d(x, flip_w, flip_h);
}

}  // namespace elucid::layers
