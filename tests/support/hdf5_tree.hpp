// What the Keras file tests compare: an HDF5 file's tree, walked with the HDF5 C API itself (not elucid's wrapper),
// one line per group, dataset and attribute, sorted:
//   /layers/conv2d/vars group
//   /layers/conv2d/vars@name vstring
//   /layers/conv2d/vars/0 float32 (3, 3, 1, 32)
// Types: float32, float64, int64, ..., "string" (fixed-length) or "vstring" (variable-length).
#pragma once
#include <elucid/core/shape.hpp>

#include <hdf5.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace elucid::test {

inline std::string hdf5_type(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return "float" + std::to_string(8 * H5Tget_size(type));
    case H5T_INTEGER:
      return std::string(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(8 * H5Tget_size(type));
    case H5T_STRING: return H5Tis_variable_str(type) > 0 ? "vstring" : "string";
    default: return "other";
  }
}

inline std::string hdf5_shape(hid_t space) {
  if (H5Sget_simple_extent_type(space) == H5S_SCALAR) return "()";
  hsize_t dims[32] = {};
  const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  Shape shape;
  for (int i = 0; i < rank; ++i) shape.push_back(static_cast<int64_t>(dims[i]));
  return to_string(shape);
}

inline herr_t hdf5_attribute_line(hid_t object, const char* name, const H5A_info_t*, void* data) {
  auto& walk = *static_cast<std::pair<std::string, std::vector<std::string>*>*>(data);
  const hid_t a = H5Aopen(object, name, H5P_DEFAULT);
  const hid_t type = H5Aget_type(a);
  walk.second->push_back(walk.first + "@" + name + " " + hdf5_type(type));
  H5Tclose(type);
  H5Aclose(a);
  return 0;
}

inline void hdf5_attribute_lines(hid_t object, const std::string& path, std::vector<std::string>& lines) {
  std::pair<std::string, std::vector<std::string>*> walk{path, &lines};
  hsize_t index = 0;
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, hdf5_attribute_line, &walk);
}

inline herr_t hdf5_link_line(hid_t group, const char* name, const H5L_info_t*, void* data) {
  auto& lines = *static_cast<std::vector<std::string>*>(data);
  const std::string path = "/" + std::string(name);
  const hid_t object = H5Oopen(group, name, H5P_DEFAULT);
  if (H5Iget_type(object) == H5I_DATASET) {
    const hid_t type = H5Dget_type(object), space = H5Dget_space(object);
    lines.push_back(path + " " + hdf5_type(type) + " " + hdf5_shape(space));
    H5Tclose(type);
    H5Sclose(space);
  } else {
    lines.push_back(path + " group");
  }
  hdf5_attribute_lines(object, path, lines);
  H5Oclose(object);
  return 0;
}

inline std::vector<std::string> sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The tree of an HDF5 file image, its lines sorted; the root's attributes are "/@name type".
inline std::vector<std::string> hdf5_tree(std::string_view bytes) {
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);
  H5Pset_file_image(fapl, const_cast<char*>(bytes.data()), bytes.size());
  const hid_t file = H5Fopen("hdf5_tree.h5", H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (file < 0) throw std::runtime_error("hdf5_tree: not an HDF5 file");
  std::vector<std::string> lines;
  hdf5_attribute_lines(file, "/", lines);
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, hdf5_link_line, &lines);
  H5Fclose(file);
  return sorted(lines);
}

// A string attribute of an object in a file image, fixed- or variable-length, read with the C API.
inline std::string hdf5_string_attribute(std::string_view bytes, const std::string& object, const std::string& name) {
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);
  H5Pset_file_image(fapl, const_cast<char*>(bytes.data()), bytes.size());
  const hid_t file = H5Fopen("hdf5_attribute.h5", H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  const hid_t a = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  const hid_t type = H5Aget_type(a);
  std::string out;
  if (H5Tis_variable_str(type) > 0) {
    char* p = nullptr;
    H5Aread(a, type, &p);
    out = p ? p : "";
    H5free_memory(p);
  } else {
    out.assign(H5Tget_size(type), '\0');
    H5Aread(a, type, out.data());
    out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  }
  H5Tclose(type);
  H5Aclose(a);
  H5Fclose(file);
  return out;
}

}  // namespace elucid::test
