// The JPEG walk: markers (after any 0xff fill bytes), segment lengths, Huffman tables, and the entropy-coded data
// of a scan, in which a marker is 0xff followed by a byte other than 0x00 (a stuffed 0xff) or a restart marker.
// The PNG walk: the signature, then chunks of length (u32, big-endian), type, data and crc, up to IEND.
#include <elucid/data/image_check.hpp>

#include <cstring>
#include <vector>

namespace elucid::data {

namespace {

std::string check_jpeg(const uint8_t* bytes, size_t size) {
  size_t pos = 0;
  // stb_image reads 0 past the end of the data; so does this walk.
  auto get8 = [&]() -> unsigned { return pos < size ? bytes[pos++] : (pos++, 0u); };
  auto get16 = [&]() -> unsigned { const unsigned hi = get8(); return (hi << 8) | get8(); };
  // A marker is 0xff, then fill bytes 0xff, then the marker's code. Anything else before it is skipped, as stb
  // does between the segments of the header (elsewhere stb refuses the file, which makes this walk stricter).
  auto next_marker = [&]() -> int {
    while (pos < size && bytes[pos] != 0xff) ++pos;
    if (pos >= size) return -1;
    while (pos < size && bytes[pos] == 0xff) ++pos;
    return pos < size ? bytes[pos++] : -1;
  };
  if (size < 2 || bytes[0] != 0xff) return "";
  if (next_marker() != 0xd8) return "";  // no SOI: not a JPEG (stb_image says so itself)
  bool defined[2][4] = {};  // the Huffman tables defined so far, by class (0 DC, 1 AC) and slot
  for (int m = next_marker(); m >= 0 && m != 0xd9; m = next_marker()) {
    if (m == 0xc4) {  // DHT: tables of a class/slot byte, 16 code counts, then the values
      long left = static_cast<long>(get16()) - 2;
      while (left > 0 && pos < size) {
        const unsigned q = get8();
        if ((q >> 4) < 2 && (q & 15) < 4) defined[q >> 4][q & 15] = true;
        unsigned codes = 0;
        for (int i = 0; i < 16; ++i) codes += get8();
        if (codes > 256)
          return "corrupt JPEG: a Huffman table of " + std::to_string(codes) + " codes (at most 256)";
        pos += codes;
        left -= 17 + static_cast<long>(codes);
      }
    } else if ((m >= 0xd0 && m <= 0xd7) || m == 0xd8 || m == 0x01) {
      // markers without a length: nothing to skip
    } else {
      const size_t start = pos;
      const unsigned length = get16();
      if (m == 0xda && pos < size) {
        // SOS: n components of (id, DC table << 4 | AC table), then the spectral selection start and end. stb_image
        // 2.27 decodes with a table nobody defined, reading past its arrays (fuzz/corpus/image/crash-jpeg-undefined-*).
        const unsigned n = get8();
        std::vector<unsigned> tables;
        for (unsigned i = 0; i < n && i < 4; ++i) {
          get8();
          tables.push_back(get8());
        }
        const unsigned spectral_start = get8(), spectral_end = get8();
        for (unsigned t : tables)
          if ((spectral_start == 0 && !defined[0][(t >> 4) & 3]) || (spectral_end > 0 && !defined[1][t & 3]))
            return "corrupt JPEG: a scan uses a Huffman table that was never defined";
      }
      pos = start + 2 + (length >= 2 ? length - 2 : 0);
      if (m == 0xda) {  // SOS: the entropy-coded data follows, up to the next marker
        while (pos + 1 < size && !(bytes[pos] == 0xff && bytes[pos + 1] != 0x00 && bytes[pos + 1] != 0xff &&
                                   !(bytes[pos + 1] >= 0xd0 && bytes[pos + 1] <= 0xd7)))
          ++pos;
      }
    }
  }
  return "";
}

const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string check_png(const uint8_t* bytes, size_t size) {
  if (size < 8 || std::memcmp(bytes, kPngSignature, 8) != 0) return "";
  bool image_data = false;  // a non-empty IDAT seen
  for (size_t pos = 8; pos + 8 <= size;) {
    const uint32_t length = big_endian_u32(bytes + pos);
    const size_t left = size - pos - 8;  // after the length and the type
    if (length > left)
      return "corrupt PNG: a chunk of " + std::to_string(length) + " bytes at byte " + std::to_string(pos) +
             ", where the file has " + std::to_string(left) + " bytes left";
    if (std::memcmp(bytes + pos + 4, "IEND", 4) == 0) break;
    // stb_image 2.27 copies an IDAT into a buffer it allocates at the first non-empty one: an empty IDAT before that
    // is a memcpy of 0 bytes to a null pointer (fuzz/corpus/image/crash-png-empty-first-idat, UBSan).
    if (std::memcmp(bytes + pos + 4, "IDAT", 4) == 0) {
      if (length == 0 && !image_data)
        return "corrupt PNG: an empty IDAT chunk at byte " + std::to_string(pos) + " before any image data";
      image_data = image_data || length > 0;
    }
    pos += 12 + size_t{length};
  }
  return "";
}

}  // namespace

DeclaredSize declared_png_size(const uint8_t* bytes, size_t size) {
  // The signature, then the first chunk: length 13, "IHDR", width and height (u32, big-endian), ...
  if (size < 24 || std::memcmp(bytes, kPngSignature, 8) != 0 || std::memcmp(bytes + 12, "IHDR", 4) != 0) return {};
  return {big_endian_u32(bytes + 16), big_endian_u32(bytes + 20)};
}

std::string check_image_bytes(const uint8_t* bytes, size_t size) {
  if (std::string bad = check_png(bytes, size); !bad.empty()) return bad;
  return check_jpeg(bytes, size);
}

}  // namespace elucid::data
