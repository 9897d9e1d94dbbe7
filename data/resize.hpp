// Bilinear image resize with half-pixel centres and no antialiasing: what Keras' image_dataset_from_directory does
// by default (tf.image.resize, interpolation "bilinear"), rounded back to uint8. Written here rather than taken from
// stb_image_resize 0.97, which aborts on an internal assertion for some sizes (nothings/stb issue #1449).
#pragma once
#include <cstdint>

namespace elucid::data {

// in is (in_h, in_w, channels), out is (out_h, out_w, channels), both row-major uint8; all sizes >= 1.
void resize_bilinear(const uint8_t* in, int64_t in_h, int64_t in_w, int64_t channels, uint8_t* out, int64_t out_h,
                     int64_t out_w);

}  // namespace elucid::data
