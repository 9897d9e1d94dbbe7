// Telling model files, Keras JSON and recipes apart.
#include <elucid/recipe/file_kind.hpp>

#include <elucid/core/error.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_v3.hpp>

#include <filesystem>

namespace elucid {

FileKind file_kind(const std::string& bytes, const std::string& path) {
  if (bytes.rfind("ELUCIDMD", 0) == 0 || bytes.rfind("ELUCIDCK", 0) == 0 || is_hdf5_bytes(bytes) || is_zip_bytes(bytes) ||
      std::filesystem::path(path).extension() == ".elucid")
    return FileKind::ModelFile;
  // Keras JSON has a class_name at the top; a recipe does not.
  try {
    const json::Json top = json::parse(bytes, path);
    if (top.is_object() && top.contains("class_name")) return FileKind::KerasJson;
  } catch (const Error&) {
  }
  return FileKind::Recipe;
}

}  // namespace elucid
