// ByteReader: reads a file's bytes in order, through zlib when the file starts with the gzip magic (1f 8b) and
// as-is otherwise, whatever its name says. Every failure is an elucid::Error naming the path.
#pragma once
#include <cstdint>
#include <string>

namespace elucid::data {

class ByteReader {
 public:
  // Throws when the path is missing, is a directory, or cannot be opened (with the system's reason).
  explicit ByteReader(std::string path);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  // Reads up to n bytes into out and returns how many were read: fewer than n only at the end of the data.
  // Throws when zlib finds the compressed data corrupt; a gzip stream that is cut off reads as ending early and
  // sets truncated().
  int64_t read(void* out, int64_t n);
  // Counts and discards the remaining bytes, stopping after `limit`.
  int64_t skip_rest(int64_t limit);

  const std::string& path() const { return path_; }
  bool gzip() const { return gzip_; }
  bool truncated() const { return truncated_; }  // a gzip stream ended before its end marker
  int64_t file_size() const { return file_size_; }  // on disk, compressed or not
  int64_t offset() const { return offset_; }         // bytes of (uncompressed) data read so far

 private:
  std::string path_;
  void* gz_ = nullptr;  // gzFile; kept opaque so that users of this header need no zlib.h
  bool gzip_ = false;
  bool truncated_ = false;
  int64_t file_size_ = 0;
  int64_t offset_ = 0;
};

}  // namespace elucid::data
