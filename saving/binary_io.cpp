// Binary records and the sealed envelope (zlib's crc32) of model files and checkpoints.
#include <elucid/saving/binary_io.hpp>

#include <elucid/core/error.hpp>

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace elucid::binary {

namespace {
static_assert(std::endian::native == std::endian::little, "model files are little-endian; this machine is not");

uint32_t crc32_of(std::string_view bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {  // zlib takes at most a uInt per call
    const uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = ::crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(crc);
}

uint32_t read_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t read_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Printable for a message: "ELUCIDMD", or hex for bytes that are not text.
std::string show(std::string_view bytes) {
  std::string s;
  bool text = true;
  for (char c : bytes) text = text && c >= 32 && c < 127;
  if (text) return "\"" + std::string(bytes) + "\"";
  static const char* hex = "0123456789abcdef";
  for (unsigned char c : bytes) s += std::string{hex[c >> 4], hex[c & 15], ' '};
  if (!s.empty()) s.pop_back();
  return s;
}
}  // namespace

void Writer::u32(uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  bytes_.append(b, 4);
}

void Writer::u64(uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  bytes_.append(b, 8);
}

void Writer::f64(double v) { u64(std::bit_cast<uint64_t>(v)); }

void Writer::str(std::string_view s) {
  u64(s.size());
  bytes_.append(s);
}

void Writer::floats(std::span<const float> values) {
  bytes_.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
}

void Reader::fail(const std::string& problem) const {
  throw Error(source_ + ": " + kind_ + " damaged at byte " + std::to_string(pos_) + ": " + problem);
}

const char* Reader::take(uint64_t n, const char* what) {
  if (n > remaining())
    fail(std::string(what) + " needs " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) + " are left");
  const char* p = bytes_.data() + pos_;
  pos_ += static_cast<size_t>(n);
  return p;
}

uint8_t Reader::u8() { return static_cast<uint8_t>(*take(1, "a byte")); }
uint32_t Reader::u32() { return read_u32(take(4, "a 32-bit number")); }
uint64_t Reader::u64() { return read_u64(take(8, "a 64-bit number")); }
double Reader::f64() { return std::bit_cast<double>(u64()); }

std::string Reader::str(const char* what) {
  const uint64_t n = count(1, what);
  return std::string(take(n, what), static_cast<size_t>(n));
}

uint64_t Reader::count(uint64_t item_bytes, const char* what) {
  const uint64_t n = u64();
  if (item_bytes > 0 && n > remaining() / item_bytes)
    fail(std::string(what) + ": a count of " + std::to_string(n) + " does not fit in the " + std::to_string(remaining()) +
         " bytes left");
  return n;
}

void Reader::floats(float* out, uint64_t n) {
  if (n > remaining() / 4) fail(std::to_string(n) + " floats do not fit in the " + std::to_string(remaining()) + " bytes left");
  const char* p = take(n * 4, "floats");
  if (n > 0) std::memcpy(out, p, static_cast<size_t>(n * 4));  // an empty weight has no storage: out may be null
}

std::string seal(std::string_view magic, uint32_t version, std::string_view body) {
  Writer w;
  std::string out(magic);
  w.u32(version);
  w.u64(body.size());
  out += w.bytes();
  out += body;
  Writer crc;
  crc.u32(crc32_of(out));
  return out + crc.bytes();
}

std::string_view open(std::string_view file, std::string_view magic, uint32_t max_version, const std::string& source,
                      const std::string& kind, uint32_t* version_out) {
  if (file.size() < kMagicBytes || file.substr(0, kMagicBytes) != magic) {
    if (file.empty()) throw Error(source + ": is empty, not an elucid " + kind);
    throw Error(source + ": not an elucid " + kind + " (it starts with " + show(file.substr(0, kMagicBytes)) +
                ", where an elucid " + kind + " starts with " + show(magic) + ")");
  }
  if (file.size() < kEnvelopeBytes)
    throw Error(source + ": " + kind + " cut short: " + std::to_string(file.size()) + " bytes, not even a header");
  // The envelope is the same in every format version, so the length and the checksum are checked first: a version
  // field that is out of range in a file whose checksum fails is a damaged byte, not a newer file.
  const uint32_t version = read_u32(file.data() + 8);
  const bool known = version >= 1 && version <= max_version;
  const std::string versions = "this elucid reads versions 1 to " + std::to_string(max_version);
  const uint64_t body = read_u64(file.data() + 12);
  const uint64_t expected = file.size() - kEnvelopeBytes;
  if (body > expected)
    throw Error(source + ": " + kind + " cut short: it holds " + std::to_string(file.size()) + " bytes of the " +
                std::to_string(body + kEnvelopeBytes) + " its header promises");
  if (body < expected)
    throw Error(source + ": " + kind + " has " + std::to_string(expected - body) + " unexpected bytes at the end");
  const size_t sealed = file.size() - 4;
  if (crc32_of(file.substr(0, sealed)) != read_u32(file.data() + sealed))
    throw Error(source + ": " + kind + " corrupted: its checksum does not match its contents" +
                (known ? "" : ", and format version " + std::to_string(version) + " is out of range (" + versions + ")"));
  // Intact, with a version this elucid does not read: a newer one has written it, unless the number is beyond
  // anything elucid could have reached (one more per format change).
  if (version > max_version && version - max_version <= kNewerVersionSpan)
    throw Error(source + ": " + kind + " format version " + std::to_string(version) +
                " is newer than this elucid reads (up to " + std::to_string(max_version) + "); use a newer elucid");
  if (!known)
    throw Error(source + ": " + kind + " format version " + std::to_string(version) + " is not valid (" + versions +
                "): the file is damaged or was not written by elucid");
  if (version_out) *version_out = version;
  return file.substr(20, static_cast<size_t>(body));
}

}  // namespace elucid::binary
