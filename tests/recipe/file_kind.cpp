// file_kind: model files by their magic or name, Keras JSON by its top-level class_name, everything else a recipe.
#include <elucid/recipe/file_kind.hpp>

#include <catch2/catch.hpp>

using namespace elucid;

TEST_CASE("file_kind tells model files, Keras JSON and recipes apart", "[recipe][file_kind]") {
  CHECK(file_kind("ELUCIDMD\x01rest", "model.bin") == FileKind::ModelFile);
  CHECK(file_kind("ELUCIDCK\x01rest", "any") == FileKind::ModelFile);
  CHECK(file_kind("not even JSON", "m.elucid") == FileKind::ModelFile);
  CHECK(file_kind(R"({"class_name": "Sequential", "config": {}})", "m.json") == FileKind::KerasJson);
  CHECK(file_kind(R"({"model": "m.json", "fit": {"epochs": 1}})", "r.json") == FileKind::Recipe);
  CHECK(file_kind(R"([{"class_name": "Dense"}])", "r.json") == FileKind::Recipe);  // not an object at the top
  CHECK(file_kind("{ malformed", "r.json") == FileKind::Recipe);  // the recipe reader reports it
  CHECK(file_kind("", "empty.json") == FileKind::Recipe);
}
