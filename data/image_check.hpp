// Guards in front of stb_image 2.27 (internal), for what its decoders do with hostile bytes before they notice the
// file is bad (each found by fuzz/fuzz_image):
//  - JPEG: a Huffman table (DHT) whose code counts add up past 256 is written past stb's 256-entry arrays
//    (fixed upstream in 2.28);
//  - PNG: an IDAT chunk's length is allocated before stb checks that the file holds it (4 GiB from 50 bytes),
//    and an empty IDAT before the first non-empty one is copied (0 bytes) to a null pointer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace elucid::data {

// Walks the file's JPEG segments or PNG chunks and returns why it must not reach the decoder, or "" when it may
// (including every file that is neither JPEG nor PNG).
std::string check_image_bytes(const uint8_t* bytes, size_t size);

// The width and height a PNG's header (IHDR) declares, or {0, 0} for any other file. stb_image refuses a PNG of
// more than 2^30 bytes of pixels without saying why ("unknown image type"); this lets the size be the reason.
struct DeclaredSize {
  int64_t width = 0, height = 0;
};
DeclaredSize declared_png_size(const uint8_t* bytes, size_t size);

}  // namespace elucid::data
