// A small RAII layer over the HDF5 C library for the Keras formats (internal: it includes hdf5.h). Files live in
// memory only: written with the core driver and no backing store, then handed out as bytes for write_file_atomically;
// read from a file image, so a path is never opened by HDF5 and a failed write leaves nothing on disk.
//
// Every failing call throws elucid::Error naming the source (the path) and the object; HDF5's own error stack is
// switched off, so the library never prints to stderr. Nothing here allocates from a size a file claims without
// checking it: strings and string lists must fit in the file image, datasets are read into a tensor the caller has
// already shaped (after comparing that shape with the dataset's).
#pragma once
#include <elucid/core/shape.hpp>

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace elucid::hdf5 {

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();
  hid_t get() const { return id_; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// What a dataset holds, as read from its header.
struct DatasetInfo {
  bool is_float32 = false;  // H5T_FLOAT of 4 bytes (either byte order: HDF5 converts)
  std::string type;         // "float32", "float64", "int64", "string", ... for messages
  Shape shape;              // empty for a scalar
};

// A group (or the root of a file): the unit every read and write goes through. `path` is its HDF5 path, for
// messages ("/model_weights/conv2d").
class Group {
 public:
  Group(Handle handle, std::string path, std::shared_ptr<const std::string> source, int64_t image_bytes)
      : handle_(std::move(handle)), path_(std::move(path)), source_(std::move(source)), image_bytes_(image_bytes) {}

  const std::string& path() const { return path_; }
  const std::string& source() const { return *source_; }
  // Throws elucid::Error "SOURCE: PATH: what".
  [[noreturn]] void fail(const std::string& what) const;

  // ---- reading ----
  bool has(const std::string& name) const;  // a link of that name (group or dataset)
  bool has_group(const std::string& name) const;
  bool has_dataset(const std::string& name) const;
  std::vector<std::string> children() const;  // link names, in HDF5's name order; at most 1 << 20
  Group group(const std::string& name) const;  // throws when it is missing or not a group
  DatasetInfo dataset_info(const std::string& name) const;
  // Reads a float32 dataset into `out` (which holds `count` values); its shape must already have been checked.
  void read_floats(const std::string& name, float* out, int64_t count) const;
  // A scalar dataset of any integer or float type, as a double (optimizer iterations and learning rate).
  double read_scalar(const std::string& name) const;

  bool has_attribute(const std::string& name) const;
  // A string attribute, fixed-length or variable-length (h5py writes bytes as the former, str as the latter); a
  // scalar or a one-element array.
  std::string string_attribute(const std::string& name) const;
  // An array of strings, fixed- or variable-length; an empty array, or a numeric empty array (np.asarray([]) as
  // tf.keras writes for a layer without weights), gives an empty list. Keras splits a list too big for one object
  // header into NAME0, NAME1, ...: those are joined.
  std::vector<std::string> strings_attribute(const std::string& name) const;

  // ---- writing ----
  Group create_group(const std::string& name);
  void write_floats(const std::string& name, const Shape& shape, const float* data);  // little-endian float32
  void write_int64(const std::string& name, int64_t value);                            // a scalar
  void write_float(const std::string& name, float value);                              // a scalar
  // A scalar string attribute: fixed-length bytes (as h5py stores Python bytes) or variable-length UTF-8 (str).
  void set_string_attribute(const std::string& name, const std::string& value, bool variable_length);
  // An array of fixed-length strings, as Keras' save_attributes_to_hdf5_group (np.asarray of bytes) writes.
  void set_strings_attribute(const std::string& name, const std::vector<std::string>& values);

 private:
  std::vector<std::string> strings_of(const std::string& name) const;

  Handle handle_;
  std::string path_;
  std::shared_ptr<const std::string> source_;
  int64_t image_bytes_ = 0;  // the file image's size: nothing read from it may be longer (0 when writing)
};

// An HDF5 file in memory.
class File {
 public:
  // A new, empty file; bytes() gives its image.
  static File create(const std::string& source);
  // Opens a file image read-only. Throws naming `source` when the bytes are not an HDF5 file HDF5 can open.
  static File open(std::string_view bytes, const std::string& source);

  Group& root() { return root_; }
  const Group& root() const { return root_; }
  std::string bytes();  // flushes and returns the whole file image

 private:
  File(Handle file, Group root) : file_(std::move(file)), root_(std::move(root)) {}
  Handle file_;
  Group root_;
};

// "\x89HDF\r\n\x1a\n" at offset 0 (HDF5 also allows the signature at 512, 1024, ...; Keras' files have it at 0).
bool is_hdf5_bytes(std::string_view bytes);

}  // namespace elucid::hdf5
