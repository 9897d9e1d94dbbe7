// Fuzz target: data::read_idx on the input as a file (raw IDX, or gzip when the input starts 1f 8b).
#include <elucid/data/idx.hpp>

#include <fuzz_input.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = elucid::fuzz::write_scratch("input-idx3-ubyte", data, size);
  // A bound well under the fuzzer's -rss_limit_mb: the header check must refuse anything larger before allocating.
  return elucid::fuzz::run([&] { elucid::data::read_idx(path, int64_t{64} << 20); });
}
