// Shape: the dimensions of a tensor, outermost first; images are (N, H, W, C).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace elucid {

using Shape = std::vector<int64_t>;

// Number of elements: the product of the dimensions (1 for a scalar of shape ()).
// Throws elucid::Error on a negative dimension or when the product overflows int64.
int64_t numel(const Shape& shape);

// "(32, 28, 28, 1)"; a scalar is "()". Used in every shape error message.
std::string to_string(const Shape& shape);
// Several shapes, "(8, 8, 16), (8, 8, 32)": a merge layer's inputs in a message.
std::string to_string(std::span<const Shape> shapes);

}  // namespace elucid
