// A synthetic, separable image set shaped like MNIST, for examples, benchmarks and tests that must not depend on
// files: class k (0-9) is a bright 6x6 square at one of ten places on a dark, noisy canvas.
#pragma once
#include <elucid/core/tensor.hpp>

#include <utility>

namespace elucid::datasets {

// x (n, size, size, 1) in [0, 1], y (n) class indices 0..9 in turn. The same seed gives the same set.
std::pair<Tensor, Tensor> synthetic_squares(int64_t n, uint64_t seed, int64_t size = 28);

}  // namespace elucid::datasets
