// The guards in front of stb_image (data/image_check.hpp) and the decompression-bomb bound of load_image, on the
// inputs fuzz/fuzz_image found (kept in fuzz/corpus/image) and on good images, which must pass untouched.
#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/data/image_check.hpp>
#include <elucid/data/image_folder.hpp>

#include "support/data_files.hpp"

#include <catch2/catch.hpp>
#include <stb/stb_image_write.h>

using namespace elucid;
using namespace elucid::data;
using Catch::Matchers::Contains;

namespace {
std::string corpus(const std::string& name) { return std::string(ELUCID_SOURCE_DIR) + "/fuzz/corpus/image/" + name; }

std::string check(const std::string& bytes) {
  return check_image_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string load_error(const std::string& path) {
  try {
    load_image(path, 28, 28, 1);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for " + path);
  return "";
}

void append(std::string* out, void* data, int size) { out->append(static_cast<const char*>(data), static_cast<size_t>(size)); }
}  // namespace

TEST_CASE("image check: good PNG and JPEG files pass, other bytes are left to the decoder", "[data][image_check]") {
  unsigned char pixels[6 * 5 * 3];
  for (size_t i = 0; i < sizeof pixels; ++i) pixels[i] = static_cast<unsigned char>(i * 11);
  std::string png, jpeg;
  REQUIRE(stbi_write_png_to_func([](void* c, void* d, int n) { append(static_cast<std::string*>(c), d, n); }, &png, 6, 5, 3,
                                 pixels, 18));
  REQUIRE(stbi_write_jpg_to_func([](void* c, void* d, int n) { append(static_cast<std::string*>(c), d, n); }, &jpeg, 6, 5,
                                 3, pixels, 90));
  CHECK(check(png) == "");
  CHECK(check(jpeg) == "");
  CHECK(check("") == "");
  CHECK(check("GIF89a") == "");
  CHECK(check(read_file(corpus("rgb.bmp"))) == "");
}

TEST_CASE("image check: a JPEG Huffman table of more than 256 codes is refused before stb_image", "[data][image_check]") {
  // SOI, then a DHT segment whose 16 counts add up to 16 * 200 codes.
  std::string jpeg = "\xff\xd8\xff\xc4";
  jpeg += std::string("\x0c\x91\x00", 3);  // length 3217, class 0 slot 0
  jpeg += std::string(16, '\xc8');
  CHECK(check(jpeg) == "corrupt JPEG: a Huffman table of 3200 codes (at most 256)");
  CHECK_THAT(load_error(corpus("crash-jpeg-huffman-counts")), Contains("crash-jpeg-huffman-counts: corrupt JPEG: a Huffman table of"));
}

TEST_CASE("image check: a JPEG scan that uses an undefined Huffman table is refused", "[data][image_check]") {
  CHECK_THAT(load_error(corpus("crash-jpeg-undefined-huffman-table")),
             Contains("corrupt JPEG: a scan uses a Huffman table that was never defined"));
}

TEST_CASE("image check: a PNG chunk longer than the file is refused before stb_image allocates it", "[data][image_check]") {
  CHECK_THAT(load_error(corpus("oom-png-idat-length")),
             Contains("oom-png-idat-length: corrupt PNG: a chunk of 1073741861 bytes at byte 33, where the file has 9 bytes left"));
}

TEST_CASE("image check: a PNG whose first IDAT chunk is empty is refused before stb_image", "[data][image_check]") {
  CHECK_THAT(load_error(corpus("crash-png-empty-first-idat")),
             Contains("crash-png-empty-first-idat: corrupt PNG: an empty IDAT chunk at byte 33 before any image data"));
  // The same picture without the empty chunk loads: the refusal is about that chunk alone.
  std::string bytes = read_file(corpus("crash-png-empty-first-idat"));
  bytes.erase(33, 12);
  CHECK(check(bytes) == "");
}

TEST_CASE("load_image refuses a few bytes that declare a huge picture", "[data][image_check]") {
  CHECK_THAT(load_error(corpus("timeout-gif-canvas-bomb")),
             Contains("image declares 7710x7710 pixels in a file of only 151 bytes (at most 16384 pixels per byte)"));
}
