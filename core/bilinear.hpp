// Bilinear taps along one axis, as TensorFlow's half-pixel scaler computes them (tf.image.resize, "bilinear", no
// antialiasing): output index o reads source indices low and high = low + 1 at weight `weight` on high, from the
// source position (o + 0.5) * in / out - 0.5, both clamped to the image. Shared by data::resize_bilinear (uint8
// images as they are loaded) and ops::resize_bilinear (float tensors, with a gradient).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace elucid {

struct BilinearTap {
  int64_t low, high;
  float weight;
};

inline std::vector<BilinearTap> bilinear_taps(int64_t in, int64_t out) {
  std::vector<BilinearTap> t(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double pos = (static_cast<double>(o) + 0.5) * scale - 0.5;
    const double base = std::floor(pos);
    const auto low = static_cast<int64_t>(base);
    t[static_cast<size_t>(o)] = {std::clamp<int64_t>(low, 0, in - 1), std::clamp<int64_t>(low + 1, 0, in - 1),
                                 static_cast<float>(pos - base)};
  }
  return t;
}

}  // namespace elucid
