// Fuzz target: parse_recipe on the input as a recipe's text (JSON syntax, keys, types, ranges, paths), then the
// run key and the callbacks it describes. The model JSON is read but not built (fuzz_keras_json builds models).
#include <elucid/recipe/recipe.hpp>

#include <fuzz_input.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  return elucid::fuzz::run([&] {
    // The recipe's folder is the scratch folder: a "model" given as a path points at a file that does not exist.
    elucid::parse_recipe(text, std::string(elucid::fuzz::scratch_dir()) + "/recipe.json");
  });
}
