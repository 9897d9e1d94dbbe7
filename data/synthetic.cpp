// Synthetic squares: uniform noise up to 0.3, the class's square adds 0.7.
#include <elucid/data/synthetic.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/random.hpp>

#include <algorithm>

namespace elucid::datasets {

std::pair<Tensor, Tensor> synthetic_squares(int64_t n, uint64_t seed, int64_t size) {
  if (n < 0 || size < 12)
    throw Error("synthetic_squares: needs n >= 0 and size >= 12, got n = " + std::to_string(n) +
                ", size = " + std::to_string(size));
  Tensor x({n, size, size, 1}), y({n});
  Random rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = i % 10;
    const int64_t top = 2 + (label / 5) * (size / 2), left = 2 + (label % 5) * ((size - 8) / 4);
    float* image = x.data() + i * size * size;
    for (int64_t p = 0; p < size * size; ++p) image[p] = 0.3f * rng.uniform();
    for (int64_t r = top; r < std::min(top + 6, size); ++r)
      for (int64_t c = left; c < std::min(left + 6, size); ++c) image[r * size + c] += 0.7f;
    y.data()[i] = static_cast<float>(label);
  }
  return {x, y};
}

}  // namespace elucid::datasets
