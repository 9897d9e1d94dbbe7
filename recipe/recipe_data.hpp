// The data of a recipe (or of `elucid evaluate --data`): a DataSource turned into training and test data sets.
#pragma once
#include <elucid/core/shape.hpp>
#include <elucid/data/dataset.hpp>
#include <elucid/recipe/recipe.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace elucid {

struct RecipeData {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> test;  // null when the source has none
  std::vector<std::string> class_names;
};

// Loads the data. An image folder is read at the model's input size and colours ((H, W, C) with C 1, 3 or 4) unless
// the source gives them. Errors name the files.
RecipeData load_recipe_data(const DataSource& source, const Shape& model_input, std::ostream* warnings = nullptr);

// For a dry run: the files of the source exist (a built-in data set is looked up where load_data looks).
// Throws elucid::Error naming what is missing.
void check_data_source(const DataSource& source);

}  // namespace elucid
