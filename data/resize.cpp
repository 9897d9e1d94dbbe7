// Bilinear resize: for each output row and column, the two nearest source rows/columns and the weight between them.
#include <elucid/data/resize.hpp>

#include <elucid/core/bilinear.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace elucid::data {

void resize_bilinear(const uint8_t* in, int64_t in_h, int64_t in_w, int64_t channels, uint8_t* out, int64_t out_h,
                     int64_t out_w) {
  const std::vector<BilinearTap> ys = bilinear_taps(in_h, out_h), xs = bilinear_taps(in_w, out_w);
  for (int64_t y = 0; y < out_h; ++y) {
    const BilinearTap& ty = ys[static_cast<size_t>(y)];
    const uint8_t* top = in + ty.low * in_w * channels;
    const uint8_t* bottom = in + ty.high * in_w * channels;
    for (int64_t x = 0; x < out_w; ++x) {
      const BilinearTap& tx = xs[static_cast<size_t>(x)];
      for (int64_t c = 0; c < channels; ++c) {
        const float tl = top[tx.low * channels + c], tr = top[tx.high * channels + c];
        const float bl = bottom[tx.low * channels + c], br = bottom[tx.high * channels + c];
        const float upper = tl + (tr - tl) * tx.weight;
        const float lower = bl + (br - bl) * tx.weight;
        const float v = upper + (lower - upper) * ty.weight;
        out[(y * out_w + x) * channels + c] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
}

}  // namespace elucid::data
