// Little-endian binary records for model files and checkpoints (internal): a writer that appends to a string, a
// reader that checks every size against the bytes left before it allocates, and the envelope both files share:
//
//   magic (8 bytes) | format version (u32) | body length (u64) | body | crc32 of everything before it (u32)
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace elucid::binary {

class Writer {
 public:
  void u8(uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f64(double v);
  void str(std::string_view s);  // u64 length, then the bytes
  void floats(std::span<const float> values);  // the values only: the count is written by the caller
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  // `source` (the path) and `kind` ("model file") name the file in every error.
  Reader(std::string_view bytes, std::string source, std::string kind)
      : bytes_(bytes), source_(std::move(source)), kind_(std::move(kind)) {}

  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  std::string str(const char* what);
  // A u64 count of items of `item_bytes` each, refused when the bytes left cannot hold them.
  uint64_t count(uint64_t item_bytes, const char* what);
  void floats(float* out, uint64_t n);
  bool done() const { return pos_ == bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  [[noreturn]] void fail(const std::string& problem) const;  // "SOURCE: KIND damaged at byte N: PROBLEM"

 private:
  const char* take(uint64_t n, const char* what);
  std::string_view bytes_;
  size_t pos_ = 0;
  std::string source_, kind_;
};

// The sealed file: the envelope around `body`.
std::string seal(std::string_view magic, uint32_t version, std::string_view body);

inline constexpr size_t kMagicBytes = 8;
inline constexpr size_t kEnvelopeBytes = 8 + 4 + 8 + 4;
// How far past this elucid's format version a sealed file's version may be and still be taken for a newer
// elucid's; a version further on is damage, whatever its checksum says.
inline constexpr uint32_t kNewerVersionSpan = 1000;

// Checks the envelope and returns the body. `magic` is what this kind of file (`kind`) starts with; errors name
// `source` and say what is wrong: not this kind of file, cut short, extra bytes at the end, a checksum that does not
// match (bytes changed on disk or on the way; with the version when that is out of range too), a newer format
// version (an intact file, up to kNewerVersionSpan past max_version), or an invalid one. `version`, when given,
// receives the file's format version (1 to max_version), for a reader that still reads older layouts.
std::string_view open(std::string_view file, std::string_view magic, uint32_t max_version, const std::string& source,
                      const std::string& kind, uint32_t* version = nullptr);

}  // namespace elucid::binary
