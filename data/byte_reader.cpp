// ByteReader over zlib's gz* calls: gzip chosen by the first two bytes, stream errors turned into elucid::Error.
#include <elucid/data/byte_reader.hpp>

#include <elucid/core/error.hpp>

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace elucid::data {

namespace fs = std::filesystem;

ByteReader::ByteReader(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const fs::file_status status = fs::status(path_, ec);
  if (!fs::exists(status)) throw Error(path_ + ": no such file");
  if (fs::is_directory(status)) throw Error(path_ + ": is a directory, expected a file");
  file_size_ = static_cast<int64_t>(fs::file_size(path_, ec));
  if (ec) file_size_ = 0;

  unsigned char magic[2] = {0, 0};
  std::ifstream sniff(path_, std::ios::binary);
  if (!sniff) throw Error(path_ + ": cannot open: " + std::strerror(errno));
  sniff.read(reinterpret_cast<char*>(magic), 2);
  gzip_ = sniff.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

  gzFile gz = gzopen(path_.c_str(), "rb");
  if (!gz) throw Error(path_ + ": cannot open: " + std::strerror(errno));
  gzbuffer(gz, 1 << 17);
  gz_ = gz;
}

ByteReader::~ByteReader() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

int64_t ByteReader::read(void* out, int64_t n) {
  auto gz = static_cast<gzFile>(gz_);
  auto* dst = static_cast<unsigned char*>(out);
  int64_t got = 0;
  while (got < n) {
    const auto chunk = static_cast<unsigned>(std::min<int64_t>(n - got, 1 << 30));
    const int r = gzread(gz, dst + got, chunk);
    int err = Z_OK;
    const char* message = gzerror(gz, &err);
    if (err == Z_BUF_ERROR) truncated_ = true;  // zlib: "unexpected end of file" inside a gzip stream
    else if (err != Z_OK) {
      // gzerror's text starts with the path already ("file.gz: invalid block type").
      const std::string what = message ? message : "";
      const std::string reason = what.rfind(path_ + ": ", 0) == 0 ? what.substr(path_.size() + 2) : what;
      throw Error(path_ + (gzip_ ? ": gzip data is corrupt (zlib: " : ": read failed (") + reason + ")");
    }
    if (r <= 0) break;
    got += r;
  }
  offset_ += got;
  return got;
}

int64_t ByteReader::skip_rest(int64_t limit) {
  unsigned char buffer[1 << 14];
  int64_t skipped = 0;
  while (skipped < limit) {
    const int64_t r = read(buffer, std::min<int64_t>(sizeof buffer, limit - skipped));
    if (r == 0) break;
    skipped += r;
  }
  return skipped;
}

}  // namespace elucid::data
