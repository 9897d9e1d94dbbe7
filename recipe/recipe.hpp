// Recipes: one JSON file for a whole training run — the model (Keras JSON, inline or a path), compile, fit,
// callbacks, data and outputs — read into plain structs. Paths are relative to the recipe's folder. Unknown keys in
// the recipe's own sections are errors naming the JSON path and the nearest known key ("fit.epoch: unknown key; did
// you mean 'epochs'?"); wrong types name the path and the type expected. docs/cli.md describes every key.
#pragma once
#include <elucid/train/compile_config.hpp>
#include <elucid/callbacks/csv_logger.hpp>
#include <elucid/callbacks/early_stopping.hpp>
#include <elucid/callbacks/model_checkpoint.hpp>
#include <elucid/callbacks/reduce_lr_on_plateau.hpp>
#include <elucid/layers/dtype_policy.hpp>
#include <elucid/model/sequential.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace elucid {

// Where the samples come from: a built-in data set, IDX files, or a folder of images with one subfolder per class.
struct DataSource {
  enum class Kind { BuiltIn, Idx, ImageFolder };
  Kind kind = Kind::BuiltIn;
  std::string name = {};  // BuiltIn: "fashion_mnist", "mnist" or "kmnist"
  std::string dir = {};   // BuiltIn: the folder of its files ("": the usual places); ImageFolder: the folder
  std::string train_images = {}, train_labels = {}, test_images = {}, test_labels = {};  // Idx (test optional)
  std::vector<std::string> class_names = {};  // Idx, ImageFolder: optional
  // ImageFolder: the size and colours images are brought to (0 / "": the model's input), and the fraction of the
  // files held out as the test set (the recipe's data.test_split, with its seed; Keras' image_dataset_from_directory
  // calls it validation_split and the files its validation subset).
  int64_t image_height = 0, image_width = 0;
  std::string color_mode = {};
  double test_split = 0;
  uint64_t split_seed = 0;
  int64_t max_train_samples = 0, max_test_samples = 0;  // the first N; 0: the key was left out, all (a 0 in a recipe is refused)
  std::string description() const;  // "fashion_mnist", "IDX files train-images-idx3-ubyte, ...", "images in photos/"
};

struct FitSettings {
  int epochs = 1;
  int batch_size = 32;
  double validation_split = 0;
  bool shuffle = true;
  int verbose = 1;
  std::optional<uint64_t> seed = {};  // shuffling and dropout; default: the recipe's seed
};

// One Keras callback from the recipe, with its arguments; only the options of `class_name` are used.
struct CallbackSpec {
  std::string class_name = {};  // EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger, TerminateOnNaN
  callbacks::EarlyStoppingOptions early_stopping = {};
  callbacks::ReduceLROnPlateauOptions reduce_lr = {};
  callbacks::ModelCheckpointOptions model_checkpoint = {};
  callbacks::CSVLoggerOptions csv_logger = {};
  std::string path = {};  // ModelCheckpoint's filepath, CSVLogger's filename (resolved)
};

struct OutputSettings {
  std::string model = {};             // the trained model file
  std::string history_csv = {};       // one row per epoch
  std::string checkpoint_dir = {};    // BackupAndRestore's folder, for --resume
  int64_t checkpoint_every = 0;       // also a checkpoint every N batches (0: at each epoch's end only)
  std::string training_curves = {};   // SVG ("": none)
  std::string confusion_matrix = {};  // SVG of the test set ("": none)
};

struct Recipe {
  std::string path = {};          // the recipe file
  uint64_t seed = 0;              // elucid::set_random_seed before the model is built
  int threads = 0;                // 0: every core
  // The recipe's "dtype_policy" ("float32" or "mixed_bfloat16"), given to every layer over the Keras JSON's dtypes.
  std::optional<mixed_precision::DTypePolicy> dtype_policy = {};
  std::string model_json = {};    // the Keras JSON text
  std::string model_source = {};  // what messages call it: the model file's path, or the recipe's
  std::string model_path = {};    // its JSON path within model_source: "model" when inline, "" for a file
  // A file whose weights the model starts from instead of its initializers ("" none): the recipe's
  // "initial_weights" (a Keras .weights.h5 or .h5, a .keras, an elucid model file or checkpoint), or the "model"
  // itself when it names a Keras .h5 or .keras file rather than JSON. build_model loads them, by position.
  std::string initial_weights = {};
  std::optional<CompileConfig> compile = {};  // the recipe's "compile"; else the Keras JSON's compile_config
  FitSettings fit = {};
  std::vector<CallbackSpec> callbacks = {};
  bool terminate_on_nan = true;   // TerminateOnNaN is added unless the recipe says false
  DataSource data = {};
  OutputSettings output = {};
  // The settings a resumed run must share with the one that wrote the checkpoint (everything that decides the
  // numbers: model, compile, fit but epochs and verbose, callbacks, data, seed), as canonical JSON.
  std::string run_key = {};
  // What the reader noticed and did not refuse, one line each: an old key name read under its new one
  // ("data.validation_split is read as data.test_split ..."). elucid train and summary print them.
  std::vector<std::string> notes = {};
};

// Reads and checks the recipe; throws elucid::Error "PATH: json.path: problem" (or "PATH: line L, column C: ..."
// for malformed JSON). Outputs are placed relative to `output_dir` when it is given, else to the recipe's folder.
Recipe load_recipe(const std::string& path, const std::string& output_dir = "");
Recipe parse_recipe(const std::string& text, const std::string& path, const std::string& output_dir = "");

// set_random_seed(recipe.seed), then the model from its Keras JSON, compiled from the recipe's "compile" (or the
// JSON's compile_config). Errors name the file and the JSON path. build_model takes a Sequential model's recipe;
// build_recipe_model either kind, by the JSON's class_name; either takes initial_weights.
Sequential build_model(const Recipe& recipe);
std::unique_ptr<train::Trainer> build_recipe_model(const Recipe& recipe);

// The callback objects of the recipe's callbacks, fresh for one run. CSVLoggers append when `resuming`.
std::vector<std::shared_ptr<Callback>> make_callbacks(const Recipe& recipe, bool resuming);

}  // namespace elucid
