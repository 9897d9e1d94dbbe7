// Fuzz target: data::read_idx through zlib. The input's first byte says how many bytes to cut off the end of the
// compressed stream (0: none) and the rest is the IDX content, gzip-compressed here, so that the fuzzer explores the
// IDX header behind a valid (or truncated) gzip stream rather than stumbling on deflate's checksums.
#include <elucid/data/idx.hpp>

#include <fuzz_input.hpp>

#include <zlib.h>

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t cut = data[0];
  ++data, --size;
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;  // 15 + 16: gzip wrapper
  std::vector<uint8_t> gz(deflateBound(&z, static_cast<uLong>(size)) + 32);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = gz.data();
  z.avail_out = static_cast<uInt>(gz.size());
  deflate(&z, Z_FINISH);
  gz.resize(gz.size() - z.avail_out);
  deflateEnd(&z);
  gz.resize(gz.size() > cut ? gz.size() - cut : 0);
  const std::string path = elucid::fuzz::write_scratch("input-idx3-ubyte.gz", gz.data(), gz.size());
  return elucid::fuzz::run([&] { elucid::data::read_idx(path, int64_t{64} << 20); });
}
