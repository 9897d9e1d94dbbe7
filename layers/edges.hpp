// Edges2D: rows and columns on each side of an image, as Keras' ZeroPadding2D padding and Cropping2D cropping take
// them: one int for every side, (height, width) for symmetric sides, or ((top, bottom), (left, right)).
#pragma once
#include <elucid/core/ops.hpp>
#include <elucid/core/shape.hpp>

#include <string>
#include <utility>

namespace elucid::layers {

struct Edges2D {
  int top = 0, bottom = 0, left = 0, right = 0;
  Edges2D(int all) : top(all), bottom(all), left(all), right(all) {}  // NOLINT(google-explicit-constructor)
  Edges2D(int height, int width) : top(height), bottom(height), left(width), right(width) {}
  Edges2D(std::pair<int, int> height, std::pair<int, int> width)
      : top(height.first), bottom(height.second), left(width.first), right(width.second) {}
  bool operator==(const Edges2D&) const = default;
  ops::Margins2D margins() const { return {top, bottom, left, right}; }
};

std::string edges_string(const Edges2D& e);  // "((1, 2), (3, 4))", as Keras writes the tuple
// Throws `<layer>: <what> must be >= 0, got ((1, -1), (0, 0))` when a side is negative.
void check_not_negative(const Edges2D& e, const char* what, const std::string& layer_label);
// Throws `<layer>: expects input (H, W, C), got (576,)` unless the input is (H, W, C) with positive sizes.
void check_image_shape(const Shape& input, const std::string& layer_label);

}  // namespace elucid::layers
