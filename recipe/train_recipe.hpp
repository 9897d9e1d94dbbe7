// Training from a recipe: what `elucid train RECIPE [--resume]` does once the recipe is read and the model built —
// load the data, restore the newest checkpoint when resuming, fit with the recipe's callbacks (TerminateOnNaN unless
// turned off, BackupAndRestore last), then write the model file, the history CSV, the plots, and evaluate on the
// test set.
#pragma once
#include <elucid/distributed/strategy.hpp>
#include <elucid/recipe/recipe.hpp>
#include <elucid/recipe/recipe_data.hpp>
#include <elucid/model/sequential.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace elucid {

// Checks, before anything is trained, that every output of the recipe can be written without loss: no two outputs
// name one file, no output names a file the run reads (the recipe, the model JSON, the data files), each file's
// folder exists and is writable, and the checkpoint folder exists or can be made. Throws elucid::Error naming the
// recipe keys and the path.
void check_recipe_outputs(const Recipe& recipe);

// Checks, without the data, that each callback's monitor and file-path fields are figures a fit with the recipe's
// settings logs (load_training_data checks them again with everything else fit checks). For `elucid summary`.
void check_recipe_callbacks(const Recipe& recipe, const train::Trainer& model);

struct TrainRecipeOptions {
  bool resume = false;             // go on from the newest checkpoint in output.checkpoint_dir, if there is one
  std::ostream* out = &std::cout;  // progress bar and messages
  // Data-parallel training (distributed/strategy.hpp), e.g. distributed::from_environment() under mpirun; null: this
  // process alone. Every rank reads the data; only rank 0 prints and writes the outputs and checkpoints, and chooses
  // the checkpoint to resume from (its bytes go to the others); the other ranks return after fit() with only
  // `history` set.
  std::shared_ptr<distributed::Strategy> strategy = {};
};

struct TrainRecipeResult {
  History history;                // every epoch of the run, resumed ones included
  std::optional<Evaluation> test;  // on the test set, when the data has one
  std::string checkpoint;         // the newest checkpoint written (or resumed from)
  bool resumed = false;
  std::vector<std::string> written;  // the output files written
};

// The recipe's data, loaded at the model's input and checked against the model and the run before anything is
// trained: samples of another shape than the model's input, more classes than the model has outputs, a label that
// is not a class index (training or test set), a validation_split that leaves no sample on one side, a callback's
// monitor or file-path field that the run never logs, are errors naming the recipe (elucid train counts them, like a
// missing file, as configuration errors: exit 2).
RecipeData load_training_data(const Recipe& recipe, train::Trainer& model, std::ostream* warnings = nullptr);

// `model` is build_model(recipe), compiled, and `data` load_training_data(recipe, model). Throws elucid::Error when
// something fails (a NaN loss included: the message names the epoch and batch and the last good checkpoint), and
// Interrupted after writing the checkpoint of an interrupted run.
TrainRecipeResult train_recipe(const Recipe& recipe, train::Trainer& model, const RecipeData& data,
                               const TrainRecipeOptions& options = {});
// The same, loading the data itself.
TrainRecipeResult train_recipe(const Recipe& recipe, train::Trainer& model, const TrainRecipeOptions& options = {});

// History as CSVLogger writes it: "epoch" then the figures in sorted order, one row per epoch.
std::string history_csv(const History& history);

}  // namespace elucid
