// IDX reader: header checks first, then one allocation of exactly the promised size, then the end-of-data check.
#include <elucid/data/idx.hpp>

#include <elucid/core/error.hpp>
#include <elucid/data/byte_reader.hpp>

#include <cstdio>
#include <limits>

namespace elucid::data {

namespace {

// deflate cannot compress better than about 1032:1, so a gzip file of S bytes holds at most ~1032 S bytes.
constexpr int64_t kGzipMaxRatio = 1032;

std::string type_name(int code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

std::string hex_bytes(const unsigned char* bytes, int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%s%02x", i ? " " : "", bytes[i]);
    s += b;
  }
  return s;
}

std::string cut_note(const ByteReader& in) { return in.truncated() ? " (the gzip data is cut off)" : ""; }

}  // namespace

IdxArray read_idx(const std::string& path, int64_t max_bytes) {
  ByteReader in(path);

  unsigned char head[4];
  const int64_t got_head = in.read(head, 4);
  if (got_head == 0)
    throw Error(path + (in.truncated() ? ": gzip data is cut off before any data" : ": file is empty") +
                ", expected an IDX file");
  if (got_head < 4)
    throw Error(path + ": file ends inside the IDX header (after " + std::to_string(got_head) + " of 4 bytes)" +
                cut_note(in));
  if (head[0] != 0 || head[1] != 0) {
    const std::string hint =
        !in.gzip() && path.ends_with(".gz") ? " (the name ends in .gz but the data is not gzip either)" : "";
    throw Error(path + ": not an IDX file: it starts " + hex_bytes(head, 4) +
                ", an IDX file starts 00 00 <type> <rank>" + hint);
  }
  const int type = head[2];
  if (type != 0x08) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", type);
    throw Error(path + ": IDX element type " + code + " (" + type_name(type) +
                ") is not supported; elucid reads 0x08 (unsigned byte) IDX files");
  }
  const int64_t rank = head[3];
  if (rank == 0) throw Error(path + ": IDX rank is 0, expected at least one dimension");

  unsigned char dims[255 * 4];
  const int64_t got_dims = in.read(dims, rank * 4);
  if (got_dims < rank * 4)
    throw Error(path + ": file ends inside the IDX header: rank " + std::to_string(rank) + " needs " +
                std::to_string(4 + rank * 4) + " header bytes, the file has " + std::to_string(4 + got_dims) +
                cut_note(in));

  // Dimensions are big-endian uint32; their product is checked against overflow and the bound before any
  // allocation.
  Shape shape(static_cast<size_t>(rank));
  uint64_t total = 1;
  bool overflow = false;
  for (int64_t i = 0; i < rank; ++i) {
    const unsigned char* d = dims + 4 * i;
    const uint64_t v = (uint64_t{d[0]} << 24) | (uint64_t{d[1]} << 16) | (uint64_t{d[2]} << 8) | uint64_t{d[3]};
    shape[static_cast<size_t>(i)] = static_cast<int64_t>(v);
    if (v != 0 && total > std::numeric_limits<uint64_t>::max() / v) overflow = true;
    else total *= v;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (shape[static_cast<size_t>(i)] == 0)
      throw Error(path + ": IDX dimension " + std::to_string(i) + " of " + to_string(shape) + " is 0");
  if (overflow || total > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw Error(path + ": IDX dimensions " + to_string(shape) + " multiply past 64 bits: a corrupt header");
  const auto bytes = static_cast<int64_t>(total);
  const int64_t header = 4 + 4 * rank;
  const std::string promise = std::to_string(bytes) + " bytes of data " + to_string(shape);
  if (bytes > max_bytes)
    throw Error(path + ": header promises " + promise + ", more than the limit of " + std::to_string(max_bytes) +
                " bytes");
  if (in.gzip() && in.file_size() > 0 && bytes / kGzipMaxRatio > in.file_size())
    throw Error(path + ": header promises " + promise + ", more than a gzip file of " +
                std::to_string(in.file_size()) + " bytes can hold: a corrupt header");

  const int64_t items = shape[0];
  const int64_t item_bytes = bytes / items;
  const std::string item_shape =
      rank > 1 ? " of shape " + to_string(Shape(shape.begin() + 1, shape.end())) : std::string();
  auto ends_early = [&](int64_t data_bytes) {
    const int64_t whole = data_bytes / item_bytes, part = data_bytes % item_bytes;
    return Error(path + ": header promises " + std::to_string(items) + " items" + item_shape + ", file ends after " +
                 std::to_string(whole) + (part ? " and " + std::to_string(part) + " bytes" : std::string()) +
                 cut_note(in));
  };
  auto too_long = [&](int64_t extra, bool at_least) {
    return Error(path + ": file holds " + (at_least ? "at least " : "") + std::to_string(extra) +
                 " bytes more than the header promises (" + std::to_string(items) + " items" + item_shape + ")");
  };
  // A raw file's length is known: check it before allocating.
  if (!in.gzip()) {
    const int64_t available = in.file_size() - header;
    if (available < bytes) throw ends_early(available);
    if (available > bytes) throw too_long(available - bytes, false);
  }

  IdxArray array;
  array.shape = shape;
  array.values.resize(static_cast<size_t>(bytes));
  const int64_t got = in.read(array.values.data(), bytes);
  if (got < bytes) throw ends_early(got);
  constexpr int64_t kExtraLimit = int64_t{1} << 20;  // enough to say "more"; no need to inflate a whole tail
  const int64_t extra = in.skip_rest(kExtraLimit);
  if (extra > 0) throw too_long(extra, extra == kExtraLimit);
  if (in.truncated())
    throw Error(path + ": gzip data is cut off after all " + std::to_string(bytes) +
                " bytes of data (its checksum and length are missing)");
  return array;
}

}  // namespace elucid::data
