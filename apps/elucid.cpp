// The `elucid` command: train from a JSON recipe, evaluate and predict with a model, print a summary, export a
// model as Keras JSON, a TensorFlow.js folder or a model file. Exit status: 0 done, 2 usage or configuration error, 1 runtime failure, 130 interrupted. Errors go
// to stderr as one line, "elucid: <file>: <problem>"; nothing escapes main as an exception.
#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/data/datasets.hpp>
#include <elucid/data/image_folder.hpp>
#include <elucid/distributed/strategy.hpp>
#include <elucid/train/interrupt.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/keras_weights.hpp>
#include <elucid/saving/model_file.hpp>
#include <elucid/saving/onnx.hpp>
#include <elucid/saving/tfjs.hpp>
#include <elucid/recipe/file_kind.hpp>
#include <elucid/recipe/recipe.hpp>
#include <elucid/recipe/recipe_data.hpp>
#include <elucid/core/format.hpp>
#include <elucid/recipe/train_recipe.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace elucid;
namespace fs = std::filesystem;

namespace {

const char* const kUsage =
    "usage: elucid <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  train RECIPE [--resume] [--output-dir DIR]   train from a JSON recipe\n"
    "  evaluate MODEL --data SOURCE                  loss and metrics of a model on a data set\n"
    "  predict MODEL IMAGE... [--top K]              the top classes of each image\n"
    "  summary RECIPE|MODEL|KERAS_JSON              build the model and print its summary; train nothing\n"
    "  export MODEL OUT [--format FORMAT]            write the model as Keras JSON, a TensorFlow.js folder, an ONNX\n"
    "                                                graph or a model file\n"
    "\n"
    "A MODEL is an elucid model file (or checkpoint), a Keras model file (.h5 of tf.keras 2.x, .keras of Keras 3),\n"
    "or a TensorFlow.js layers model (its folder or model.json).\n"
    "\n"
    "'elucid COMMAND --help' describes a command. Exit status: 0 done, 1 failed, 2 usage or configuration error,\n"
    "130 interrupted.\n";

const std::map<std::string, std::string> kHelp = {
    {"train",
     "usage: elucid train RECIPE [--resume] [--output-dir DIR]\n"
     "\n"
     "Trains the model of a JSON recipe (model, compile, fit, callbacks, data, output) and writes the model file,\n"
     "the history CSV, the plots and checkpoints it names. Paths in the recipe are relative to its folder.\n"
     "\n"
     "  --resume          go on from the newest checkpoint of the recipe's checkpoint folder (the result is the\n"
     "                    same, bit for bit, as a run that was never stopped)\n"
     "  --output-dir DIR  write the outputs into DIR instead of the recipe's folder (made when missing)\n"
     "\n"
     "Ctrl-C (or SIGTERM) finishes the current batch, writes a checkpoint, says where, and exits with 130; a second\n"
     "Ctrl-C stops at once.\n"
     "\n"
     "Under mpirun (mpirun -np N elucid train RECIPE) the ranks train data-parallel: fit.batch_size is the global\n"
     "batch, split across the ranks; only rank 0 prints and writes files. See docs/distributed.md.\n"},
    {"evaluate",
     "usage: elucid evaluate MODEL --data SOURCE [--batch-size N]\n"
     "       elucid evaluate MODEL --images IDX --labels IDX [--batch-size N]\n"
     "\n"
     "Prints the loss and metrics of a model (a model file, a checkpoint or a TensorFlow.js folder) on a data set. SOURCE is a built-in data set\n"
     "(fashion_mnist, mnist, kmnist: its test split), a recipe (.json: its test data), a folder of MNIST-format\n"
     "files (its t10k files), or a folder of images with one subfolder per class.\n"
     "\n"
     "  --data-dir DIR    where a built-in data set's files are\n"},
    {"predict",
     "usage: elucid predict MODEL IMAGE... [--top K]\n"
     "\n"
     "Prints the K (default 3) most likely classes of each image, with probabilities and class names. Images (PNG,\n"
     "JPEG, BMP, GIF) are resized and turned to grey or colour to fit the model's input. An IMAGE that is a folder\n"
     "stands for its image files, sorted by name. An image that cannot be read gets one error line and the others\n"
     "are still predicted; the exit status is then 1.\n"},
    {"summary",
     "usage: elucid summary RECIPE|MODEL|KERAS_JSON\n"
     "\n"
     "Builds the model and prints its Keras summary. For a recipe it also checks that the data source exists and the\n"
     "outputs can be written, and trains nothing. For a model file it also shows how it was compiled.\n"},
    {"export",
     "usage: elucid export MODEL OUT [--format keras-json|tfjs|onnx|elucid|keras|h5|weights-h5]\n"
     "       elucid export MODEL --keras-json OUT\n"
     "\n"
     "Writes a model (a model file, a checkpoint or a TensorFlow.js folder) in another format:\n"
     "  keras-json  OUT is a file: the architecture as tf.keras 2.x JSON (model.to_json()), which Keras reads back\n"
     "              with keras.models.model_from_json (--keras-json OUT says the same)\n"
     "  tfjs        OUT is a folder (made when missing): model.json and the weight shards of the TensorFlow.js\n"
     "              layers format, which tf.loadLayersModel reads\n"
     "  onnx        OUT is a file: an ONNX graph (opset 13) for inference, input (batch, H, W, C) as the model's\n"
     "  elucid      OUT is a model file, with the compile settings and class names the model has\n"
     "  keras       OUT is a Keras 3 .keras archive (config.json, model.weights.h5 with the optimizer state)\n"
     "  h5          OUT is a tf.keras 2.x .h5 holding the whole model (model.save(\"x.h5\"))\n"
     "  weights-h5  OUT is a weights file: Keras 3's layout when it ends in .weights.h5, else tf.keras 2.x's\n"
     "Without --format, an OUT ending in .onnx, .keras, .weights.h5 or .h5 says which.\n"},
};

// A usage mistake: exit 2 with the message and a pointer to the help.
struct UsageError {
  std::string message;
};

// Which exit status an elucid::Error gets: 2 while the inputs are being read and checked, 1 once work has begun.
int g_failure_status = 2;

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// "FILE: problem" on one line: messages that already begin with a path keep it, others get `file`.
std::string with_file(const std::string& file, const std::string& message) {
  std::string m = one_line(message);
  if (!file.empty() && m.rfind(file, 0) != 0) m = file + ": " + m;
  return m;
}

// "elucid: FILE: problem" on stderr.
int report(const std::string& file, const std::string& message, int status) {
  std::cerr << "elucid: " << with_file(file, message) << "\n";
  return status;
}

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--data" -> value; flags -> ""
};

// Splits argv after the command; `with_value` options take the next argument, `flags` take none.
Args parse_args(const std::string& command, int argc, char** argv, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
        a.options[arg] = "";
      } else if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) {
        if (i + 1 >= argc) throw UsageError{command + ": " + arg + " needs a value"};
        a.options[arg] = argv[++i];
      } else {
        throw UsageError{command + ": unknown option " + arg};
      }
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

int positive(const std::string& command, const std::string& option, const std::string& value) {
  char* end = nullptr;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < 1 || v > (1 << 20))
    throw UsageError{command + ": " + option + " expects a positive whole number, got \"" + value + "\""};
  return static_cast<int>(v);
}

// A model file named on the command line that is not there is a usage mistake (2); one that is there and cannot be
// read, or is damaged, is a failure (1).
bool missing(const std::string& path) {
  std::error_code ec;
  return !fs::exists(path, ec);
}

// "elucid: RECIPE: note: ..." on stderr for each of the recipe's notes (an old key name read under its new one).
void print_notes(const Recipe& recipe) {
  for (const std::string& note : recipe.notes) std::cerr << "elucid: " << recipe.path << ": note: " << note << "\n";
}

// ---- train ----

int train(const Args& a) {
  if (a.positional.size() != 1) throw UsageError{"train: expected one RECIPE"};
  const std::string& path = a.positional[0];
  const auto out_dir = a.options.count("--output-dir") ? a.options.at("--output-dir") : "";
  // A missing --output-dir is made when the first output is written, after every check (as the outputs' folders are).
  std::error_code ec;
  if (!out_dir.empty() && fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    return report(out_dir, "is a file, not a folder", 2);
  // Under mpirun with several ranks an error on one rank must end them all (the others would wait for it in their
  // next collective): Strategy::abort prints "elucid: rank R of N: <file>: <problem>" and ends the job.
  std::shared_ptr<distributed::Strategy> strategy;
  auto fail = [&](const std::string& message, int status) {
    if (strategy && strategy->size() > 1) strategy->abort(with_file(path, message), status);
    return report(path, message, status);
  };
  try {
    strategy = distributed::from_environment();  // one process unless started by mpirun (docs/distributed.md)
    const bool chief = strategy->is_chief();
    Recipe recipe = load_recipe(path, out_dir);
    if (chief) print_notes(recipe);
    std::unique_ptr<train::Trainer> built = build_recipe_model(recipe);  // Sequential or Functional
    train::Trainer& model = *built;
    if (chief) check_recipe_outputs(recipe);  // only rank 0 writes; every rank reads the data
    // Files that are not there, said plainly (a built-in set is looked for when it is loaded, just below).
    if (recipe.data.kind != DataSource::Kind::BuiltIn) check_data_source(recipe.data);
    if (recipe.threads > 0) set_num_threads(recipe.threads);
    std::ostream quiet(nullptr);  // ranks other than 0 print nothing
    // Missing, unreadable or unfit data: still 2.
    const RecipeData data = load_training_data(recipe, model, chief ? &std::cout : &quiet);
    g_failure_status = 1;
    // Without a checkpoint folder there is nothing to save on Ctrl-C: the default (stop at once) stays.
    if (!recipe.output.checkpoint_dir.empty()) install_interrupt_handlers(strategy.get());
    TrainRecipeResult result =
        train_recipe(recipe, model, data, {.resume = a.options.count("--resume") > 0, .strategy = strategy});
    if (!chief) return 0;
    for (const auto& file : result.written) std::cout << "Wrote " << file << "\n";
    if (!result.checkpoint.empty()) std::cout << "Checkpoint: " << result.checkpoint << "\n";
    return 0;
  } catch (const Interrupted& e) {
    const std::string resume = "interrupted; checkpoint written to " + e.checkpoint() + "; go on with: elucid train " +
                               path + " --resume";
    if (strategy && strategy->size() > 1) strategy->abort(with_file(path, resume), 130);
    std::cerr << "elucid: " << path << ": " << resume << "\n";
    return 130;
  } catch (const Error& e) {
    return fail(e.what(), g_failure_status);
  } catch (const std::exception& e) {  // out of memory and the like: main() reports them
    if (strategy && strategy->size() > 1) strategy->abort(with_file(path, e.what()), 1);
    throw;
  }
}

// ---- evaluate ----

// The data set named by --data (or --images/--labels), at the model's input shape.
std::shared_ptr<const data::Dataset> evaluation_data(const Args& a, const Shape& input) {
  DataSource source;
  if (a.options.count("--images") || a.options.count("--labels")) {
    if (!a.options.count("--images") || !a.options.count("--labels") || a.options.count("--data"))
      throw UsageError{"evaluate: give --images and --labels together, or --data"};
    source.kind = DataSource::Kind::Idx;
    source.train_images = a.options.at("--images");
    source.train_labels = a.options.at("--labels");
    return load_recipe_data(source, input).train;
  }
  if (!a.options.count("--data")) throw UsageError{"evaluate: --data SOURCE is required"};
  const std::string spec = a.options.at("--data");
  const std::string dir = a.options.count("--data-dir") ? a.options.at("--data-dir") : "";
  if (spec == "fashion_mnist" || spec == "mnist" || spec == "kmnist") {
    source.name = spec;
    source.dir = dir;
    return load_recipe_data(source, input).test;
  }
  if (fs::path(spec).extension() == ".json") {
    g_failure_status = 2;
    Recipe recipe = load_recipe(spec);
    g_failure_status = 1;
    RecipeData d = load_recipe_data(recipe.data, input);
    if (!d.test) std::cout << "(the recipe's data has no test set: evaluating on its training data)\n";
    return d.test ? d.test : d.train;
  }
  std::error_code ec;
  if (!fs::is_directory(spec, ec)) throw Error(spec + ": not a data set name, a recipe or a folder");
  const bool mnist_files = fs::exists(fs::path(spec) / "t10k-images-idx3-ubyte", ec) ||
                           fs::exists(fs::path(spec) / "t10k-images-idx3-ubyte.gz", ec);
  if (mnist_files) {
    source.name = "mnist";
    source.dir = spec;
    return load_recipe_data(source, input).test;
  }
  source.kind = DataSource::Kind::ImageFolder;
  source.dir = spec;
  return load_recipe_data(source, input).train;
}

int evaluate(const Args& a) {
  if (a.positional.size() != 1) throw UsageError{"evaluate: expected one MODEL"};
  if (!a.options.count("--data") && !a.options.count("--images") && !a.options.count("--labels"))
    throw UsageError{"evaluate: --data SOURCE is required (or --images and --labels)"};
  const std::string& path = a.positional[0];
  const int batch_size = a.options.count("--batch-size") ? positive("evaluate", "--batch-size", a.options.at("--batch-size")) : 32;
  if (missing(path)) return report(path, "no such file", 2);
  // Data named on the command line that is not there is a usage mistake, as a recipe naming a missing file is.
  for (const char* option : {"--images", "--labels", "--data"}) {
    if (!a.options.count(option)) continue;
    const std::string& named = a.options.at(option);
    std::error_code ec;
    if (named != "fashion_mnist" && named != "mnist" && named != "kmnist" && !fs::exists(named, ec))
      return report(named, "no such file or folder", 2);
  }
  std::string current = path;  // the file an error is about: the model, but not while the data is read
  try {
    g_failure_status = 1;
    ModelFile file = load_model_file(path);
    train::Trainer& model = file.trainer();
    if (!model.compiled()) throw Error(path + ": the model was saved without compile settings, so it has no loss to evaluate");
    current = "";  // the data's errors name their own files (or the data set)
    auto data = evaluation_data(a, model.input_shape());
    current = path;
    if (data->sample_shape() != model.input_shape()) {
      const std::string source = a.options.count("--images") ? a.options.at("--images") : a.options.at("--data");
      return report(source, "holds samples of shape " + to_string(data->sample_shape()) + "; the model " + path +
                                " takes " + to_string(model.input_shape()), 2);
    }
    if (model.loss().kind() == losses::Loss::Kind::CategoricalCrossentropy && data->label_shape().empty())
      data = data::one_hot(data, model.output_shape().back());
    Evaluation e = model.evaluate(*data, {.batch_size = batch_size});
    std::cout << "samples: " << data->size() << "\nloss: " << format_number(e.loss) << "\n";
    for (const auto& [name, value] : e.metrics.items()) std::cout << name << ": " << format_number(value) << "\n";
    return 0;
  } catch (const Error& e) {
    return report(current, e.what(), g_failure_status);
  }
}

// ---- predict ----

// The images one IMAGE argument names: a file itself; a folder, its image files (by extension, as
// image_dataset_from_directory takes them; not its subfolders) sorted by name. A folder that cannot be listed or holds
// no image throws naming it.
std::vector<std::string> images_named_by(const std::string& argument) {
  std::error_code ec;
  if (!fs::is_directory(argument, ec)) return {argument};
  std::vector<std::string> images;
  for (auto it = fs::directory_iterator(argument, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && data::is_image_name(it->path().string())) images.push_back(it->path().string());
  if (ec) throw Error(argument + ": cannot list the folder: " + ec.message());
  if (images.empty()) throw Error(argument + ": the folder holds no image (.bmp, .gif, .jpeg, .jpg, .png)");
  std::sort(images.begin(), images.end());
  return images;
}

int predict(const Args& a) {
  if (a.positional.size() < 2) throw UsageError{"predict: expected MODEL and at least one IMAGE"};
  const std::string& path = a.positional[0];
  const int top = a.options.count("--top") ? positive("predict", "--top", a.options.at("--top")) : 3;
  if (missing(path)) return report(path, "no such file", 2);
  std::string current = path;
  try {
    g_failure_status = 1;
    ModelFile file = load_model_file(path);
    train::Trainer& model = file.trainer();
    const Shape input = model.input_shape();
    if (input.size() != 3 || (input[2] != 1 && input[2] != 3 && input[2] != 4))
      throw Error(path + ": the model takes " + to_string(input) + ", not images (height, width, 1, 3 or 4 channels)");
    const int64_t classes = model.output_shape().empty() ? 1 : model.output_shape().back();
    const bool logits = model.compiled() && model.loss().from_logits();
    int status = 0;
    std::vector<std::string> images;
    for (size_t i = 1; i < a.positional.size(); ++i) {
      try {
        for (std::string& image : images_named_by(a.positional[i])) images.push_back(std::move(image));
      } catch (const Error& e) {
        report(a.positional[i], e.what(), 1);  // nothing to predict there; the other arguments still are
        status = 1;
      }
    }
    for (const std::string& image : images) {
      current = image;
      std::vector<uint8_t> pixels;
      try {
        pixels = data::load_image(current, input[0], input[1], static_cast<int>(input[2]));
      } catch (const Error& e) {
        report(current, e.what(), 1);  // one bad image does not stop the others
        status = 1;
        continue;
      }
      Tensor x(Shape{1, input[0], input[1], input[2]});
      for (size_t k = 0; k < pixels.size(); ++k) x.data()[k] = static_cast<float>(pixels[k]) / 255.0f;
      Tensor y = model.predict(x);
      if (logits) y = ops::softmax(y);
      std::vector<int64_t> order(static_cast<size_t>(classes));
      for (int64_t c = 0; c < classes; ++c) order[static_cast<size_t>(c)] = c;
      std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return y.data()[p] > y.data()[q]; });
      std::cout << current << ":";
      for (int64_t k = 0; k < std::min<int64_t>(top, classes); ++k) {
        const int64_t c = order[static_cast<size_t>(k)];
        const std::string name = c < static_cast<int64_t>(file.class_names.size()) ? file.class_names[static_cast<size_t>(c)]
                                                                                    : "class " + std::to_string(c);
        char prob[32];
        std::snprintf(prob, sizeof prob, "%.1f%%", 100.0 * y.data()[c]);
        std::cout << (k ? ", " : " ") << name << " " << prob;
      }
      std::cout << "\n";
    }
    return status;
  } catch (const Error& e) {
    return report(current, e.what(), g_failure_status);
  }
}

// ---- summary ----

void describe_compile(const train::Trainer& model, std::ostream& out) {
  if (!model.compiled()) {
    out << "Not compiled.\n";
    return;
  }
  out << "Optimizer: " << model.optimizer().name();
  for (const auto& [key, value] : model.optimizer().config()) out << ", " << key << " " << format_number(value);
  out << "\n";
  // One line of each for a model of one output; for several, each output's after its name.
  const std::vector<losses::Loss>& losses = model.losses();
  const std::vector<std::string> names = model.output_names();
  for (size_t k = 0; k < losses.size(); ++k) {
    const std::string of = losses.size() == 1 ? "" : " of " + (k < names.size() ? names[k] : "output " + std::to_string(k));
    out << "Loss" << of << ": " << losses[k].name() << (losses[k].from_logits() ? " (from logits)" : "");
    if (model.loss_weights()[k] != 1) out << ", weight " << format_number(model.loss_weights()[k]);
    out << "\n";
    if (model.output_metric_names()[k].empty()) continue;
    out << "Metrics" << of << ":";
    for (const auto& m : model.output_metric_names()[k]) out << " " << m;
    out << "\n";
  }
}

int summary(const Args& a) {
  if (a.positional.size() != 1) throw UsageError{"summary: expected one RECIPE, MODEL or KERAS_JSON"};
  const std::string& path = a.positional[0];
  try {
    const bool tfjs = is_tfjs_model(path);  // a folder, which has no bytes to tell its kind by
    const std::string bytes = tfjs ? "" : read_file(path, size_t(4) << 30);
    const FileKind kind = tfjs ? FileKind::ModelFile : file_kind(bytes, path);
    if (kind == FileKind::ModelFile) {
      g_failure_status = 1;
      ModelFile file = tfjs ? load_tfjs(path) : read_any_model(bytes, path);
      file.trainer().summary(std::cout);
      describe_compile(file.trainer(), std::cout);
      if (file.has_optimizer_state) std::cout << "Optimizer steps taken: " << file.trainer().optimizer().iterations() << "\n";
      if (!file.class_names.empty()) {
        std::cout << "Classes:";
        for (const auto& c : file.class_names) std::cout << " " << c << (&c == &file.class_names.back() ? "" : ",");
        std::cout << "\n";
      }
      return 0;
    }
    if (kind == FileKind::KerasJson) {
      ModelFile file = any_model_from_json(bytes, path);
      file.trainer().summary(std::cout);
      describe_compile(file.trainer(), std::cout);
      return 0;
    }
    Recipe recipe = parse_recipe(bytes, path);
    print_notes(recipe);
    std::unique_ptr<train::Trainer> built = build_recipe_model(recipe);  // Sequential or Functional
    const train::Trainer& model = *built;
    model.summary(std::cout);
    describe_compile(model, std::cout);
    check_data_source(recipe.data);
    std::cout << "Data: " << recipe.data.description() << " (found)\n";
    check_recipe_outputs(recipe);
    check_recipe_callbacks(recipe, model);
    const OutputSettings& o = recipe.output;
    std::cout << "Outputs:";
    for (const std::string* p : {&o.model, &o.history_csv, &o.checkpoint_dir, &o.training_curves, &o.confusion_matrix})
      if (!p->empty()) std::cout << " " << *p;
    std::cout << "\nFit: " << recipe.fit.epochs << " epochs of batches of " << recipe.fit.batch_size << "\n";
    return 0;
  } catch (const Error& e) {
    return report(path, e.what(), g_failure_status);
  }
}

// ---- export ----

int export_model(const Args& a) {
  // export MODEL OUT --format FORMAT, or the older export MODEL --keras-json OUT.
  const bool keras_option = a.options.count("--keras-json") > 0;
  if (keras_option && a.options.count("--format")) throw UsageError{"export: give --keras-json OUT or --format, not both"};
  if (a.positional.size() != (keras_option ? 1 : 2))
    throw UsageError{keras_option ? "export: expected one MODEL" : "export: expected MODEL and OUT"};
  const std::string& path = a.positional[0];
  const std::string out = keras_option ? a.options.at("--keras-json") : a.positional[1];
  const auto ends_with = [&](const std::string& tail) {
    return out.size() > tail.size() && out.compare(out.size() - tail.size(), tail.size(), tail) == 0;
  };
  std::string format = keras_option ? "keras-json" : a.options.count("--format") ? a.options.at("--format") : "";
  if (format.empty())
    format = ends_with(".onnx")         ? "onnx"
             : ends_with(".keras")      ? "keras"
             : ends_with(".weights.h5") ? "weights-h5"
             : ends_with(".h5")         ? "h5"
                                        : "";
  if (format.empty())
    throw UsageError{"export: --format keras-json|tfjs|onnx|elucid|keras|h5|weights-h5 is required (or an OUT ending "
                     "in .onnx, .keras, .weights.h5 or .h5)"};
  const std::vector<std::string> formats = {"keras-json", "tfjs", "onnx", "elucid", "keras", "h5", "weights-h5"};
  if (std::find(formats.begin(), formats.end(), format) == formats.end())
    throw UsageError{"export: unknown format \"" + format + "\" (keras-json, tfjs, onnx, elucid, keras, h5 or weights-h5)"};
  if (format == "weights-h5" && !ends_with(".h5"))
    throw UsageError{"export: --format weights-h5 writes a file ending in .weights.h5 (Keras 3) or .h5 (tf.keras 2.x)"};
  if (missing(path)) return report(path, "no such file", 2);
  try {
    std::error_code ec;
    if (format == "tfjs" && fs::exists(out, ec) && !fs::is_directory(out, ec)) throw Error("is a file, not a folder");
    check_writable(format == "tfjs" ? (fs::path(out) / "model.json").string() : out);
  } catch (const Error& e) {
    return report(out, e.what(), 2);
  }
  try {
    g_failure_status = 1;
    ModelFile file = load_model_file(path);
    const train::Trainer& model = file.trainer();
    if (format == "keras-json") {
      write_file_atomically(out, model.to_json());
    } else if (format == "tfjs") {
      export_tfjs(model, out);
    } else if (format == "onnx") {
      export_onnx(model, out);
    } else if (format == "keras") {
      save_keras(model, out);
    } else if (format == "h5") {
      save_keras_h5(model, out);
    } else if (format == "weights-h5") {
      save_weights(model, out);
    } else {
      write_file_atomically(out, model_file_bytes(model));
    }
    std::cout << "Wrote " << out << "\n";
    return 0;
  } catch (const Error& e) {
    return report(path, e.what(), g_failure_status);
  }
}

int run(int argc, char** argv) {
  if (argc < 2) throw UsageError{"no command given"};
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (!kHelp.count(command)) throw UsageError{"unknown command \"" + command + "\""};
  for (int i = 2; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << kHelp.at(command);
      return 0;
    }
  if (command == "train") return train(parse_args(command, argc, argv, {"--output-dir"}, {"--resume"}));
  if (command == "evaluate")
    return evaluate(parse_args(command, argc, argv, {"--data", "--data-dir", "--images", "--labels", "--batch-size"}, {}));
  if (command == "predict") return predict(parse_args(command, argc, argv, {"--top"}, {}));
  if (command == "summary") return summary(parse_args(command, argc, argv, {}, {}));
  return export_model(parse_args(command, argc, argv, {"--keras-json", "--format"}, {}));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    const std::string command = argc > 1 && kHelp.count(argv[1]) ? std::string(" ") + argv[1] : "";
    std::cerr << "elucid: " << e.message << "; see 'elucid" << command << " --help'\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "elucid: " << one_line(e.what()) << "\n";
    return g_failure_status;
  } catch (const std::bad_alloc&) {
    std::cerr << "elucid: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "elucid: " << one_line(e.what()) << "\n";
    return 1;
  } catch (...) {
    std::cerr << "elucid: an unexpected error\n";
    return 1;
  }
}
