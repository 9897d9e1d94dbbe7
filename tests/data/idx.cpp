// IDX reader: raw and gzip files written here, exact values back, and one test per kind of bad input with its message.
#include <elucid/core/error.hpp>
#include <elucid/data/idx.hpp>

#include "support/data_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace elucid;
using namespace elucid::data;
using namespace elucid::test;
namespace fs = std::filesystem;

namespace {

// Header only, values added by idx().
Bytes header(const std::vector<uint32_t>& dims, uint8_t type = 0x08) { return idx_bytes(dims, {}, type); }
Bytes idx(const std::vector<uint32_t>& dims, const Bytes& values) { return idx_bytes(dims, values); }

Bytes counting(size_t n) {
  Bytes v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

}  // namespace

TEST_CASE("read_idx reads raw and gzip files to the exact bytes", "[data][idx]") {
  const fs::path dir = scratch("good");
  const Bytes values = counting(3 * 4 * 5);
  for (const std::string& path : {write_raw(dir / "images-idx3-ubyte", idx({3, 4, 5}, values)),
                                  write_gzip(dir / "images-idx3-ubyte.gz", idx({3, 4, 5}, values))}) {
    INFO(path);
    const IdxArray a = read_idx(path);
    CHECK(a.shape == Shape{3, 4, 5});
    CHECK(a.values == values);
  }
  const IdxArray labels = read_idx(write_gzip(dir / "labels.gz", idx({4}, {9, 0, 0, 3})));
  CHECK(labels.shape == Shape{4});
  CHECK(labels.values == Bytes{9, 0, 0, 3});
  fs::remove_all(dir);
}

TEST_CASE("read_idx picks gzip by the first bytes, not the name", "[data][idx]") {
  const fs::path dir = scratch("sniff");
  const Bytes values = counting(6);
  CHECK(read_idx(write_gzip(dir / "plain-name", idx({2, 3}, values))).values == values);
  CHECK(read_idx(write_raw(dir / "looks-compressed.gz", idx({2, 3}, values))).values == values);
  fs::remove_all(dir);
}

TEST_CASE("read_idx: an empty file", "[data][idx][bad]") {
  const fs::path dir = scratch("empty");
  const std::string path = write_raw(dir / "empty-idx1-ubyte", {});
  CHECK_THROWS_WITH(read_idx(path), path + ": file is empty, expected an IDX file");
  const std::string gz = write_gzip(dir / "empty.gz", {});  // a valid gzip stream of nothing
  CHECK_THROWS_WITH(read_idx(gz), gz + ": file is empty, expected an IDX file");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: a truncated header", "[data][idx][bad]") {
  const fs::path dir = scratch("short_header");
  const std::string three = write_raw(dir / "three", {0, 0, 8});
  CHECK_THROWS_WITH(read_idx(three), three + ": file ends inside the IDX header (after 3 of 4 bytes)");
  Bytes cut = header({60000, 28, 28});
  cut.resize(10);
  const std::string dims = write_gzip(dir / "dims.gz", cut);
  CHECK_THROWS_WITH(read_idx(dims),
                    dims + ": file ends inside the IDX header: rank 3 needs 16 header bytes, the file has 10");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: a wrong magic", "[data][idx][bad]") {
  const fs::path dir = scratch("magic");
  const std::string text = write_raw(dir / "README", {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK_THROWS_WITH(read_idx(text), text + ": not an IDX file: it starts 68 65 6c 6c, an IDX file starts 00 00 "
                                           "<type> <rank>");
  const std::string named_gz = write_raw(dir / "labels.gz", {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK_THROWS_WITH(read_idx(named_gz), Catch::EndsWith("(the name ends in .gz but the data is not gzip either)"));
  fs::remove_all(dir);
}

TEST_CASE("read_idx: an element type other than unsigned byte", "[data][idx][bad]") {
  const fs::path dir = scratch("type");
  Bytes floats = header({2}, 0x0D);
  floats.resize(floats.size() + 8, 0);
  const std::string path = write_raw(dir / "floats", floats);
  CHECK_THROWS_WITH(read_idx(path), path + ": IDX element type 0x0d (float32) is not supported; elucid reads 0x08 "
                                           "(unsigned byte) IDX files");
  const std::string odd = write_raw(dir / "odd", header({2}, 0x42));
  CHECK_THROWS_WITH(read_idx(odd), Catch::Contains("IDX element type 0x42 (unknown) is not supported"));
  fs::remove_all(dir);
}

TEST_CASE("read_idx: rank 0", "[data][idx][bad]") {
  const fs::path dir = scratch("rank0");
  const std::string path = write_raw(dir / "rank0", {0, 0, 8, 0, 1, 2, 3});
  CHECK_THROWS_WITH(read_idx(path), path + ": IDX rank is 0, expected at least one dimension");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: a dimension of zero", "[data][idx][bad]") {
  const fs::path dir = scratch("zero_dim");
  const std::string path = write_raw(dir / "zero", header({10, 0, 28}));
  CHECK_THROWS_WITH(read_idx(path), path + ": IDX dimension 1 of (10, 0, 28) is 0");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: dimensions whose product overflows", "[data][idx][bad]") {
  const fs::path dir = scratch("overflow");
  const std::string path = write_raw(dir / "overflow", header({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}));
  CHECK_THROWS_WITH(read_idx(path), path + ": IDX dimensions (4294967295, 4294967295, 4294967295) multiply past 64 "
                                           "bits: a corrupt header");
  fs::remove_all(dir);
}

TEST_CASE("read_idx refuses, before allocating, a header promising too much", "[data][idx][bad]") {
  const fs::path dir = scratch("bound");
  // 200 GB promised: over the 4 GiB bound.
  const std::string huge = write_raw(dir / "huge", header({200000, 1000, 1000}));
  CHECK_THROWS_WITH(read_idx(huge), huge + ": header promises 200000000000 bytes of data (200000, 1000, 1000), more "
                                           "than the limit of 4294967296 bytes");
  // 1 GB promised by a gzip file of a few dozen bytes: more than deflate can expand it to.
  const std::string bomb = write_gzip(dir / "bomb.gz", header({1000, 1000, 1000}));
  CHECK_THROWS_WITH(read_idx(bomb), Catch::StartsWith(bomb + ": header promises 1000000000 bytes of data (1000, "
                                                             "1000, 1000), more than a gzip file of ") &&
                                        Catch::EndsWith(" bytes can hold: a corrupt header"));
  // A caller's own bound.
  const std::string small = write_raw(dir / "small", idx({10}, counting(10)));
  CHECK_THROWS_WITH(read_idx(small, 8), Catch::Contains("more than the limit of 8 bytes"));
  fs::remove_all(dir);
}

TEST_CASE("read_idx: a file shorter than its header promises", "[data][idx][bad]") {
  const fs::path dir = scratch("shorter");
  Bytes labels = idx({10000}, counting(9000));
  const std::string raw = write_raw(dir / "t10k-labels-idx1-ubyte", labels);
  CHECK_THROWS_WITH(read_idx(raw), raw + ": header promises 10000 items, file ends after 9000");
  const std::string gz = write_gzip(dir / "t10k-labels-idx1-ubyte.gz", labels);
  CHECK_THROWS_WITH(read_idx(gz), gz + ": header promises 10000 items, file ends after 9000");
  const std::string images = write_raw(dir / "images", idx({3, 2, 2}, counting(10)));
  CHECK_THROWS_WITH(read_idx(images), images + ": header promises 3 items of shape (2, 2), file ends after 2 and "
                                               "2 bytes");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: a file longer than its header promises", "[data][idx][bad]") {
  const fs::path dir = scratch("longer");
  const Bytes labels = idx({100}, counting(103));
  const std::string raw = write_raw(dir / "raw", labels);
  CHECK_THROWS_WITH(read_idx(raw), raw + ": file holds 3 bytes more than the header promises (100 items)");
  const std::string gz = write_gzip(dir / "longer.gz", labels);
  CHECK_THROWS_WITH(read_idx(gz), gz + ": file holds 3 bytes more than the header promises (100 items)");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: gzip data that is cut off", "[data][idx][bad]") {
  const fs::path dir = scratch("cut");
  const Bytes values = counting(20000);
  const std::string whole = write_gzip(dir / "whole.gz", idx({20000}, values));
  Bytes gz = file_bytes(whole);
  REQUIRE(gz.size() > 100);

  Bytes half(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
  const std::string cut = write_raw(dir / "half.gz", half);
  CHECK_THROWS_WITH(read_idx(cut), Catch::StartsWith(cut + ": header promises 20000 items, file ends after ") &&
                                       Catch::EndsWith(" (the gzip data is cut off)"));

  // All the data inflates, but the 8-byte trailer (CRC and length) is missing.
  Bytes no_trailer(gz.begin(), gz.end() - 8);
  const std::string tail = write_raw(dir / "no_trailer.gz", no_trailer);
  CHECK_THROWS_WITH(read_idx(tail), tail + ": gzip data is cut off after all 20000 bytes of data (its checksum and "
                                           "length are missing)");

  Bytes head(gz.begin(), gz.begin() + 5);  // inside the gzip header itself
  const std::string stub = write_raw(dir / "stub.gz", head);
  CHECK_THROWS_WITH(read_idx(stub), stub + ": gzip data is cut off before any data, expected an IDX file");
  fs::remove_all(dir);
}

TEST_CASE("read_idx: data that starts like gzip but is not", "[data][idx][bad]") {
  const fs::path dir = scratch("not_gzip");
  const std::string garbage = write_raw(dir / "garbage.gz", {0x1f, 0x8b, 'g', 'a', 'r', 'b', 'a', 'g', 'e', '!'});
  CHECK_THROWS_WITH(read_idx(garbage), garbage + ": gzip data is corrupt (zlib: unknown compression method)");
  // A valid gzip header followed by a broken deflate stream.
  Bytes gz = file_bytes(write_gzip(dir / "ok.gz", idx({1000}, counting(1000))));
  for (size_t i = 10; i < gz.size(); ++i) gz[i] = 0xff;
  const std::string broken = write_raw(dir / "broken.gz", gz);
  CHECK_THROWS_WITH(read_idx(broken), Catch::StartsWith(broken + ": gzip data is corrupt (zlib: "));
  fs::remove_all(dir);
}

TEST_CASE("read_idx: a missing file and a directory", "[data][idx][bad]") {
  const fs::path dir = scratch("missing");
  const std::string missing = (dir / "train-images-idx3-ubyte.gz").string();
  CHECK_THROWS_WITH(read_idx(missing), missing + ": no such file");
  CHECK_THROWS_WITH(read_idx(dir.string()), dir.string() + ": is a directory, expected a file");
  fs::remove_all(dir);
}
