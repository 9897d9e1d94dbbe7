// HDF5 in memory: the core driver for writing, a file image for reading, hid_t handles closed by RAII.
#include <elucid/saving/hdf5_file.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace elucid::hdf5 {

namespace {
constexpr int kMaxRank = 8;
constexpr hsize_t kMaxChildren = hsize_t{1} << 20;
constexpr size_t kMaxKerasSplits = 1000;  // NAME0 ... NAME999: Keras splits at 64 KiB, so 64 MB of names

// HDF5 prints its error stack to stderr by default; elucid reports through elucid::Error only.
void quiet() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// Each in-memory file needs a name of its own (HDF5 refuses to create a file whose name is open).
std::string memory_name() {
  static std::atomic<uint64_t> n{0};
  return "elucid-memory-" + std::to_string(n++) + ".h5";
}

std::string type_name(hid_t type) {
  const H5T_class_t c = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  switch (c) {
    case H5T_FLOAT: return "float" + std::to_string(8 * size);
    case H5T_INTEGER: return std::string(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(8 * size);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "vlen";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    case H5T_BITFIELD: return "bitfield";
    default: return "unknown type";
  }
}

// The dimensions of a dataspace; throws through `g` for a null or complex space or a rank above kMaxRank.
Shape dims_of(const Group& g, hid_t space, const std::string& what) {
  const H5S_class_t c = H5Sget_simple_extent_type(space);
  if (c == H5S_SCALAR) return {};
  if (c == H5S_NULL) return {0};
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > kMaxRank)
    g.fail(what + " has rank " + std::to_string(rank) + " (at most " + std::to_string(kMaxRank) + ")");
  hsize_t dims[kMaxRank] = {};
  if (H5Sget_simple_extent_dims(space, dims, nullptr) < 0) g.fail(what + ": cannot read its dimensions");
  Shape shape;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] > (hsize_t{1} << 40)) g.fail(what + " has " + std::to_string(dims[i]) + " along axis " + std::to_string(i));
    shape.push_back(static_cast<int64_t>(dims[i]));
  }
  return shape;
}

// Elements of a shape, or -1 past 2^50 (a bound no file here comes near).
int64_t elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > (int64_t{1} << 50) / d) return -1;
    n *= d;
  }
  return n;
}

// Creation properties without modification times (HDF5 stamps each object's header otherwise): the same model
// gives the same bytes.
Handle no_times(hid_t property_class) {
  Handle p(H5Pcreate(property_class), H5Pclose);
  if (p.get() < 0 || H5Pset_obj_track_times(p.get(), false) < 0) throw Error("HDF5: cannot make creation properties");
  return p;
}

Handle fapl_core() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (fapl.get() < 0 || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0) throw Error("HDF5: cannot set up an in-memory file");
  return fapl;
}
}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0 && close_) close_(id_);
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && close_) close_(id_);
}

void Group::fail(const std::string& what) const { throw Error(*source_ + ": " + path_ + ": " + what); }

// ---- reading ----

bool Group::has(const std::string& name) const {
  // H5Lexists on "a/b" needs "a" to exist; the names here are single links.
  return !name.empty() && name.find('/') == std::string::npos && name != "." &&
         H5Lexists(handle_.get(), name.c_str(), H5P_DEFAULT) > 0;
}

namespace {
H5O_type_t object_type(hid_t group, const std::string& name) {
  H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
  if (H5Oget_info_by_name3(group, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
#else
  if (H5Oget_info_by_name2(group, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
#endif
  return info.type;
}
}  // namespace

bool Group::has_group(const std::string& name) const {
  return has(name) && object_type(handle_.get(), name) == H5O_TYPE_GROUP;
}

bool Group::has_dataset(const std::string& name) const {
  return has(name) && object_type(handle_.get(), name) == H5O_TYPE_DATASET;
}

std::vector<std::string> Group::children() const {
  H5G_info_t info;
  if (H5Gget_info(handle_.get(), &info) < 0) fail("cannot list its members");
  if (info.nlinks > kMaxChildren) fail("has " + std::to_string(info.nlinks) + " members (at most " + std::to_string(kMaxChildren) + ")");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(handle_.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0 || n > (1 << 16)) fail("cannot read the name of member " + std::to_string(i));
    std::string name(static_cast<size_t>(n) + 1, '\0');
    if (H5Lget_name_by_idx(handle_.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      fail("cannot read the name of member " + std::to_string(i));
    name.resize(static_cast<size_t>(n));
    names.push_back(std::move(name));
  }
  return names;
}

Group Group::group(const std::string& name) const {
  // "." opens this group again (a second handle to it).
  const std::string path = name == "." ? path_ : (path_ == "/" ? "/" : path_ + "/") + name;
  if (name != "." && !has(name)) throw Error(*source_ + ": " + path + ": no such group");
  if (name != "." && !has_group(name)) throw Error(*source_ + ": " + path + ": not a group");
  Handle h(H5Gopen2(handle_.get(), name.c_str(), H5P_DEFAULT), H5Gclose);
  if (h.get() < 0) throw Error(*source_ + ": " + path + ": cannot open the group");
  return Group(std::move(h), path, source_, image_bytes_);
}

DatasetInfo Group::dataset_info(const std::string& name) const {
  if (!has_dataset(name)) fail("no dataset \"" + name + "\"");
  Handle d(H5Dopen2(handle_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (d.get() < 0) fail("cannot open dataset \"" + name + "\"");
  Handle type(H5Dget_type(d.get()), H5Tclose);
  Handle space(H5Dget_space(d.get()), H5Sclose);
  if (type.get() < 0 || space.get() < 0) fail("cannot read the header of dataset \"" + name + "\"");
  DatasetInfo info;
  info.type = type_name(type.get());
  info.is_float32 = H5Tget_class(type.get()) == H5T_FLOAT && H5Tget_size(type.get()) == 4;
  info.shape = dims_of(*this, space.get(), "dataset \"" + name + "\"");
  return info;
}

void Group::read_floats(const std::string& name, float* out, int64_t count) const {
  const DatasetInfo info = dataset_info(name);
  if (!info.is_float32 || elements(info.shape) != count)
    fail("dataset \"" + name + "\" is " + info.type + " " + to_string(info.shape) + ", not " + std::to_string(count) +
         " float32 values");
  Handle d(H5Dopen2(handle_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (count > 0 && H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    fail("cannot read dataset \"" + name + "\" (damaged or compressed with a filter this HDF5 lacks)");
}

double Group::read_scalar(const std::string& name) const {
  const DatasetInfo info = dataset_info(name);
  if (elements(info.shape) != 1) fail("dataset \"" + name + "\" has shape " + to_string(info.shape) + ", not a scalar");
  if (info.type.rfind("float", 0) != 0 && info.type.find("int") == std::string::npos)
    fail("dataset \"" + name + "\" is " + info.type + ", not a number");
  Handle d(H5Dopen2(handle_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  double v = 0;
  if (H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) fail("cannot read dataset \"" + name + "\"");
  return v;
}

bool Group::has_attribute(const std::string& name) const { return H5Aexists(handle_.get(), name.c_str()) > 0; }

std::vector<std::string> Group::strings_of(const std::string& name) const {
  const std::string what = "attribute \"" + name + "\"";
  Handle a(H5Aopen(handle_.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  if (a.get() < 0) fail("no " + what);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  if (type.get() < 0 || space.get() < 0) fail("cannot read the header of " + what);
  const Shape shape = dims_of(*this, space.get(), what);
  if (shape.size() > 1) fail(what + " has shape " + to_string(shape) + ", not a list of strings");
  const int64_t n = elements(shape);
  if (n == 0) return {};  // an empty list, of whatever type (tf.keras writes float64 for no names)
  if (H5Tget_class(type.get()) != H5T_STRING) fail(what + " is " + type_name(type.get()) + ", not strings");
  // Attribute data sits in the file: it cannot be longer than the file image.
  if (n < 0 || n > image_bytes_) fail(what + " claims " + std::to_string(n) + " strings, more than the file holds");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    std::vector<char*> p(static_cast<size_t>(n), nullptr);
    if (H5Aread(a.get(), mem.get(), p.data()) < 0) fail("cannot read " + what);
    int64_t total = 0;
    for (char* s : p) {
      const size_t len = s ? std::strlen(s) : 0;
      total += static_cast<int64_t>(len);
      if (total <= image_bytes_) out.emplace_back(s ? s : "", len);
    }
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, p.data());
    if (total > image_bytes_) fail(what + " is longer than the file");
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || static_cast<int64_t>(size) > image_bytes_ / n)
    fail(what + " claims " + std::to_string(n) + " strings of " + std::to_string(size) + " bytes, more than the file holds");
  std::string buffer(size * static_cast<size_t>(n), '\0');
  if (H5Aread(a.get(), type.get(), buffer.data()) < 0) fail("cannot read " + what);
  for (int64_t i = 0; i < n; ++i) {
    std::string s = buffer.substr(static_cast<size_t>(i) * size, size);
    s.resize(std::strlen(s.c_str()));  // null-terminated or null-padded
    out.push_back(std::move(s));
  }
  return out;
}

std::string Group::string_attribute(const std::string& name) const {
  if (!has_attribute(name)) fail("no attribute \"" + name + "\"");
  std::vector<std::string> v = strings_of(name);
  if (v.size() != 1) fail("attribute \"" + name + "\" holds " + std::to_string(v.size()) + " strings, not one");
  return v[0];
}

std::vector<std::string> Group::strings_attribute(const std::string& name) const {
  if (has_attribute(name)) return strings_of(name);
  std::vector<std::string> all;
  for (size_t i = 0; i < kMaxKerasSplits && has_attribute(name + std::to_string(i)); ++i)
    for (std::string& s : strings_of(name + std::to_string(i))) all.push_back(std::move(s));
  if (all.empty() && !has_attribute(name + "0")) fail("no attribute \"" + name + "\"");
  return all;
}

// ---- writing ----

Group Group::create_group(const std::string& name) {
  const std::string path = (path_ == "/" ? "/" : path_ + "/") + name;
  const Handle gcpl = no_times(H5P_GROUP_CREATE);
  Handle h(H5Gcreate2(handle_.get(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose);
  if (h.get() < 0) throw Error(*source_ + ": " + path + ": cannot create the group");
  return Group(std::move(h), path, source_, image_bytes_);
}

void Group::write_floats(const std::string& name, const Shape& shape, const float* data) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(shape.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  const Handle dcpl = no_times(H5P_DATASET_CREATE);
  Handle d(H5Dcreate2(handle_.get(), name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
           H5Dclose);
  if (space.get() < 0 || d.get() < 0 ||
      (elements(shape) > 0 && H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
    fail("cannot write dataset \"" + name + "\"");
}

void Group::write_int64(const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const Handle dcpl = no_times(H5P_DATASET_CREATE);
  Handle d(H5Dcreate2(handle_.get(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
           H5Dclose);
  if (d.get() < 0 || H5Dwrite(d.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0)
    fail("cannot write dataset \"" + name + "\"");
}

void Group::write_float(const std::string& name, float value) { write_floats(name, {}, &value); }

void Group::set_string_attribute(const std::string& name, const std::string& value, bool variable_length) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  herr_t ok = 0;
  if (variable_length) {
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    Handle a(H5Acreate2(handle_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    const char* p = value.c_str();
    ok = a.get() < 0 ? -1 : H5Awrite(a.get(), type.get(), &p);
  } else {
    // h5py stores Python bytes as a null-padded string of their length (at least 1).
    H5Tset_size(type.get(), std::max<size_t>(value.size(), 1));
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
    Handle a(H5Acreate2(handle_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    std::string padded = value;
    padded.resize(std::max<size_t>(value.size(), 1), '\0');
    ok = a.get() < 0 ? -1 : H5Awrite(a.get(), type.get(), padded.data());
  }
  if (ok < 0) fail("cannot write attribute \"" + name + "\"");
}

void Group::set_strings_attribute(const std::string& name, const std::vector<std::string>& values) {
  // numpy's S dtype: every string padded with nulls to the longest (at least 1).
  size_t size = 1;
  for (const auto& v : values) size = std::max(size, v.size());
  std::string buffer(size * values.size(), '\0');
  for (size_t i = 0; i < values.size(); ++i) std::memcpy(buffer.data() + i * size, values[i].data(), values[i].size());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), size);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(H5Acreate2(handle_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a.get() < 0 || (n > 0 && H5Awrite(a.get(), type.get(), buffer.data()) < 0)) fail("cannot write attribute \"" + name + "\"");
}

// ---- files ----

File File::create(const std::string& source) {
  quiet();
  Handle fapl = fapl_core();
  Handle file(H5Fcreate(memory_name().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (file.get() < 0) throw Error(source + ": HDF5 cannot create an in-memory file");
  Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (root.get() < 0) throw Error(source + ": HDF5 cannot open the root group");
  return File(std::move(file), Group(std::move(root), "/", std::make_shared<const std::string>(source), 0));
}

File File::open(std::string_view bytes, const std::string& source) {
  quiet();
  if (!is_hdf5_bytes(bytes)) throw Error(source + ": not an HDF5 file (no \\x89HDF signature at its start)");
  Handle fapl = fapl_core();
  // HDF5 copies the image; the file is opened read-only.
  if (H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0)
    throw Error(source + ": HDF5 cannot take the file image");
  Handle file(H5Fopen(memory_name().c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (file.get() < 0) throw Error(source + ": HDF5 cannot open it (a damaged or truncated HDF5 file)");
  Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (root.get() < 0) throw Error(source + ": HDF5 cannot open its root group");
  return File(std::move(file), Group(std::move(root), "/", std::make_shared<const std::string>(source),
                                     static_cast<int64_t>(bytes.size())));
}

std::string File::bytes() {
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) throw Error(root_.source() + ": HDF5 cannot flush the file");
  const ssize_t n = H5Fget_file_image(file_.get(), nullptr, 0);
  if (n < 0) throw Error(root_.source() + ": HDF5 cannot give the file image");
  std::string out(static_cast<size_t>(n), '\0');
  if (H5Fget_file_image(file_.get(), out.data(), out.size()) != n) throw Error(root_.source() + ": HDF5 cannot give the file image");
  return out;
}

bool is_hdf5_bytes(std::string_view bytes) { return bytes.substr(0, 8) == std::string_view("\x89HDF\r\n\x1a\n", 8); }

}  // namespace elucid::hdf5
