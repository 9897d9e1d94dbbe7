// What the fuzz targets share: the one rule (a valid result or an elucid::Error; anything else is a crash that
// libFuzzer reports) and, for readers that take a path, a scratch file in a private folder on tmpfs.
#pragma once
#include <elucid/core/error.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <zlib.h>

namespace elucid::fuzz {

// A folder of this process, removed at exit: /dev/shm when it exists (no disk writes), else /tmp. Its name is
// kept in a plain array, which outlives the exit handler that removes it.
inline const char* scratch_dir() {
  static char dir[64] = "";
  if (!dir[0]) {
    std::snprintf(dir, sizeof dir, "%s/elucid-fuzz-XXXXXX", std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
  }
  return dir;
}

// Writes `size` bytes to scratch_dir()/name and returns the path.
inline std::string write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = std::string(scratch_dir()) + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();
  return path;
}

// Model files and checkpoints are sealed: magic (8) | version (u32) | body length (u64) | body | crc32 (u32). A
// mutated file nearly always fails the checksum, so the targets also read a copy whose length and crc32 are set
// to match (the region [begin, end) of `file`); that copy reaches the parsers behind the envelope.
inline void reseal(std::string& file, size_t begin, size_t end) {
  if (end > file.size() || end < begin || end - begin < 24) return;
  const uint64_t body = end - begin - 24;
  std::memcpy(&file[begin + 12], &body, 8);
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(file.data() + begin), static_cast<uInt>(end - begin - 4)));
  std::memcpy(&file[end - 4], &crc, 4);
}

// Runs f; an elucid::Error is a valid outcome, any other exception escapes and libFuzzer reports it.
template <class F>
int run(F f) {
  try {
    f();
  } catch (const elucid::Error&) {
  }
  return 0;
}

}  // namespace elucid::fuzz
