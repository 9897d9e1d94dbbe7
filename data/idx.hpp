// IDX files, the format MNIST, Fashion-MNIST, KMNIST and EMNIST ship in: a header (00 00 type rank, then rank
// big-endian uint32 dimensions) and the values, raw or gzip-compressed. elucid reads unsigned-byte (0x08) files.
#pragma once
#include <elucid/core/shape.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace elucid::data {

// A header may promise at most this much data (and, for gzip, at most what the file's size can inflate to).
inline constexpr int64_t kIdxMaxBytes = int64_t{4} << 30;

struct IdxArray {
  Shape shape;                  // e.g. (60000, 28, 28)
  std::vector<uint8_t> values;  // numel(shape) bytes, row-major
};

// Reads and checks everything: magic, element type, rank, each dimension, overflow, and that the file holds
// exactly the promised bytes. Refuses before allocating when the header promises more than `max_bytes` (or more
// than a gzip file of this size can hold). Every problem is an elucid::Error naming the path.
IdxArray read_idx(const std::string& path, int64_t max_bytes = kIdxMaxBytes);

}  // namespace elucid::data
