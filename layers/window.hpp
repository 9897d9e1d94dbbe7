// Sliding-window geometry shared by Conv2D and the pooling layers: (height, width) pairs, padding names, and the
// output shape of a window over an (H, W, C) input, with errors that name the layer and the numbers.
#pragma once
#include <elucid/core/ops.hpp>
#include <elucid/core/shape.hpp>

#include <string>

namespace elucid::layers {

// A (height, width) pair such as kernel_size, strides, pool_size or dilation_rate. Implicit from one int, as
// Keras accepts kernel_size=3 for (3, 3).
struct Size2D {
  int height = 1;
  int width = 1;
  Size2D(int both) : height(both), width(both) {}  // NOLINT(google-explicit-constructor)
  Size2D(int height, int width) : height(height), width(width) {}
  bool operator==(const Size2D&) const = default;
};

std::string size_string(Size2D size);  // "(3, 3)"

// "valid" or "same" (Keras also accepts upper case); anything else throws naming the layer.
ops::Padding parse_padding(const std::string& padding, const std::string& layer_label);
// Throws `<layer>: <what> must be positive, got (0, 1)` unless both sides are >= 1.
void check_positive(Size2D size, const char* what, const std::string& layer_label);

// A convolution's kernel_size, strides, dilation_rate and padding checked (errors name the layer and the option) and
// turned into the op's arguments.
ops::Conv2DArgs conv_args(Size2D kernel_size, Size2D strides, Size2D dilation_rate, const std::string& padding,
                          const std::string& layer_label);

// A window of `window` cells dilated by `dilation`, moved by `strides` over input (H, W, C) -> (OH, OW, channels).
// `window_word` is "kernel" or "pool" for the messages. Throws when the input is not (H, W, C) with positive sizes
// or, with valid padding, when the (dilated) window is larger than the input.
Shape window_output_shape(const std::string& layer_label, const Shape& input, Size2D window, Size2D strides,
                          Size2D dilation, ops::Padding padding, const char* window_word, int64_t channels);

}  // namespace elucid::layers
