// What kind of file the elucid command was handed: a model file (elucid's, a checkpoint, a Keras .h5 or .keras),
// Keras JSON, or a recipe.
// The commands that take "a model or a recipe" (summary, predict, evaluate) ask this first.
#pragma once
#include <string>

namespace elucid {

enum class FileKind { ModelFile, KerasJson, Recipe };

// From the bytes first (an elucid file's magic, HDF5's or zip's signature, a JSON object with a top-level "class_name" as Keras writes one),
// then the name (".elucid"). Anything else is taken for a recipe, whose reader then reports what is wrong with it
// (malformed JSON included).
FileKind file_kind(const std::string& bytes, const std::string& path);

}  // namespace elucid
