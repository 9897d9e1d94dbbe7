// Edges2D: its message form and checks.
#include <elucid/layers/edges.hpp>

#include <elucid/core/error.hpp>

namespace elucid::layers {

std::string edges_string(const Edges2D& e) {
  std::string s = "((";
  s += std::to_string(e.top) + ", " + std::to_string(e.bottom) + "), (";
  s += std::to_string(e.left) + ", " + std::to_string(e.right) + "))";
  return s;
}

void check_not_negative(const Edges2D& e, const char* what, const std::string& layer_label) {
  if (e.top < 0 || e.bottom < 0 || e.left < 0 || e.right < 0)
    throw Error(layer_label + ": " + what + " must be >= 0, got " + edges_string(e));
}

void check_image_shape(const Shape& input, const std::string& layer_label) {
  if (input.size() != 3 || input[0] < 1 || input[1] < 1 || input[2] < 1)
    throw Error(layer_label + ": expects input (H, W, C), got " + to_string(input));
}

}  // namespace elucid::layers
