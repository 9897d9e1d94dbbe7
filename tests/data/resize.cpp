// resize_bilinear against values worked out by hand with TensorFlow's half-pixel rule.
#include <elucid/data/resize.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace elucid::data;
using Bytes = std::vector<uint8_t>;

TEST_CASE("resize_bilinear enlarges with half-pixel centres, edges clamped", "[data][resize]") {
  // One row [0, 100] to four columns: source positions -0.25, 0.25, 0.75, 1.25.
  const Bytes in{0, 100};
  Bytes out(4);
  resize_bilinear(in.data(), 1, 2, 1, out.data(), 1, 4);
  CHECK(out == Bytes{0, 25, 75, 100});
}

TEST_CASE("resize_bilinear shrinks by averaging the two nearest pixels per axis", "[data][resize]") {
  // 2x4 RGB-like image with 2 channels; 4 -> 2 columns samples positions 0.5 and 2.5.
  const Bytes in{10, 1, 20, 3, 30, 5, 41, 7,  //
                 50, 9, 60, 11, 70, 13, 80, 15};
  Bytes out(2 * 2 * 2);
  resize_bilinear(in.data(), 2, 4, 2, out.data(), 2, 2);
  CHECK(out == Bytes{15, 2, 36, 6, 55, 10, 75, 14});  // 35.5 rounds to 36
  Bytes one(2);
  resize_bilinear(in.data(), 2, 4, 2, one.data(), 1, 1);  // centre (0.5, 1.5): mean of the middle four
  CHECK(one == Bytes{45, 8});  // (20 + 30 + 60 + 70) / 4, (3 + 5 + 11 + 13) / 4
}

TEST_CASE("resize_bilinear at the same size is the identity", "[data][resize]") {
  Bytes in(5 * 3 * 3);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 11);
  Bytes out(in.size());
  resize_bilinear(in.data(), 5, 3, 3, out.data(), 5, 3);
  CHECK(out == in);
}
