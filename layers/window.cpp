// Window geometry checks shared by the convolutions and the poolings.
#include <elucid/layers/window.hpp>

#include <elucid/core/error.hpp>

namespace elucid::layers {

std::string size_string(Size2D size) {
  // Appended piece by piece: `"(" + std::to_string(...)` trips GCC 12's -Wrestrict false positive.
  std::string s = "(";
  s += std::to_string(size.height);
  s += ", ";
  s += std::to_string(size.width);
  return s + ")";
}

ops::Padding parse_padding(const std::string& padding, const std::string& layer_label) {
  if (padding == "valid" || padding == "VALID") return ops::Padding::Valid;
  if (padding == "same" || padding == "SAME") return ops::Padding::Same;
  throw Error(layer_label + ": unknown padding \"" + padding + "\" (expected \"valid\" or \"same\")");
}

void check_positive(Size2D size, const char* what, const std::string& layer_label) {
  if (size.height < 1 || size.width < 1)
    throw Error(layer_label + ": " + what + " must be positive, got " + size_string(size));
}

ops::Conv2DArgs conv_args(Size2D kernel_size, Size2D strides, Size2D dilation_rate, const std::string& padding,
                          const std::string& layer_label) {
  check_positive(kernel_size, "kernel_size", layer_label);
  check_positive(strides, "strides", layer_label);
  check_positive(dilation_rate, "dilation_rate", layer_label);
  ops::Conv2DArgs args;
  args.padding = parse_padding(padding, layer_label);
  args.stride_h = strides.height;
  args.stride_w = strides.width;
  args.dilation_h = dilation_rate.height;
  args.dilation_w = dilation_rate.width;
  return args;
}

Shape window_output_shape(const std::string& layer_label, const Shape& input, Size2D window, Size2D strides,
                          Size2D dilation, ops::Padding padding, const char* window_word, int64_t channels) {
  if (input.size() != 3 || input[0] < 1 || input[1] < 1 || input[2] < 1)
    throw Error(layer_label + ": expects input (H, W, C), got " + to_string(input));
  // The window's reach once dilated: d * (k - 1) + 1 cells.
  const int64_t reach_h = int64_t(dilation.height) * (window.height - 1) + 1;
  const int64_t reach_w = int64_t(dilation.width) * (window.width - 1) + 1;
  if (padding == ops::Padding::Valid && (reach_h > input[0] || reach_w > input[1])) {
    std::string size = size_string(window);
    if (reach_h != window.height || reach_w != window.width)
      size += " (dilated to " + to_string(Shape{reach_h, reach_w}) + ")";
    throw Error(layer_label + ": " + window_word + " " + size + " is larger than its input " + to_string(input) +
                " with padding \"valid\"");
  }
  const int64_t oh = ops::window_output_size(input[0], window.height, strides.height, dilation.height, padding);
  const int64_t ow = ops::window_output_size(input[1], window.width, strides.width, dilation.width, padding);
  return {oh, ow, channels};
}

}  // namespace elucid::layers
