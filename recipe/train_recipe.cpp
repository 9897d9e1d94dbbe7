// Training from a recipe: checkpoint restore, fit, and the outputs, each written atomically.
#include <elucid/recipe/train_recipe.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/callbacks/backup_and_restore.hpp>
#include <elucid/saving/checkpoint.hpp>
#include <elucid/saving/model_file.hpp>
#include <elucid/recipe/recipe_data.hpp>
#include <elucid/callbacks/terminate_on_nan.hpp>
#include <elucid/core/format.hpp>
#include <elucid/report/confusion_matrix.hpp>
#include <elucid/report/training_curves.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace elucid {

namespace fs = std::filesystem;

namespace {
// The bytes of the newest checkpoint that loads, or "" when there is none; `path` names it. A damaged one is skipped
// with a warning (an older one may be good).
std::string newest_checkpoint(const Recipe& recipe, std::ostream& out, std::string& path) {
  auto all = callbacks::BackupAndRestore::list(recipe.output.checkpoint_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    std::string bytes;
    Checkpoint c;
    try {
      bytes = read_file(*it);
      c = read_checkpoint(bytes, *it);
    } catch (const Error& e) {
      out << "elucid: skipping a checkpoint that does not load: " << e.what() << "\n";
      continue;
    }
    if (c.run_key != recipe.run_key)
      throw Error(*it + ": this checkpoint was written by a run with other settings (model, compile, fit, callbacks, "
                        "data or seed differ from " + recipe.path + "); move it away to start afresh");
    path = *it;
    return bytes;
  }
  return {};
}

// Copies rank 0's string to every rank.
void broadcast(distributed::Strategy& strategy, std::string& text, const char* what) {
  uint64_t size = text.size();
  strategy.broadcast({reinterpret_cast<std::byte*>(&size), sizeof size}, what);
  text.resize(size);
  strategy.broadcast({reinterpret_cast<std::byte*>(text.data()), text.size()}, what);
}

// Restores the newest checkpoint. With several ranks, rank 0 chooses it and sends its bytes to the others, which so
// need not see the checkpoint folder, and every rank restores the same one: it holds the position in global
// batches, so the run may go on with another number of ranks than wrote it.
std::optional<Checkpoint> restore_newest(const Recipe& recipe, train::Trainer& model, std::ostream& out, std::string& path,
                                         distributed::Strategy& strategy) {
  std::string bytes = strategy.is_chief() ? newest_checkpoint(recipe, out, path) : std::string();
  if (strategy.size() > 1) {
    broadcast(strategy, path, "the checkpoint's path");
    broadcast(strategy, bytes, "the checkpoint");
  }
  if (bytes.empty()) return std::nullopt;
  Checkpoint c = read_checkpoint(bytes, path);
  restore_checkpoint(model, c, path);
  return c;
}

// On ranks other than 0, a callback that writes files (CSVLogger, ModelCheckpoint, BackupAndRestore) keeps its place,
// name and state, which a checkpoint matches by position and name, but sees no event: only rank 0 writes.
class OnChiefOnly : public Callback {
 public:
  explicit OnChiefOnly(std::shared_ptr<Callback> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  void check_figures(RunFigures& figures) override { inner_->check_figures(figures); }
  std::vector<std::pair<std::string, double>> state() const override { return inner_->state(); }
  void load_state(const std::vector<std::pair<std::string, double>>& state) override { inner_->load_state(state); }

 private:
  std::shared_ptr<Callback> inner_;
};

// The samples fit() trains on: class indices made one-hot for categorical_crossentropy.
std::shared_ptr<const data::Dataset> training_set(const train::Trainer& model, const RecipeData& data) {
  if (model.loss().kind() == losses::Loss::Kind::CategoricalCrossentropy && data.train->label_shape().empty())
    return data::one_hot(data.train, model.output_shape().back());
  return data.train;
}

// The recipe's fit section as FitOptions; the callbacks, the stream, the state to resume and the strategy are the
// caller's.
FitOptions fit_options(const Recipe& recipe) {
  FitOptions fit;
  fit.batch_size = recipe.fit.batch_size;
  fit.epochs = recipe.fit.epochs;
  fit.verbose = recipe.fit.verbose;
  fit.validation_split = recipe.fit.validation_split;
  fit.shuffle = recipe.fit.shuffle;
  fit.seed = recipe.fit.seed.value_or(recipe.seed);
  return fit;
}

bool writes_files(const Callback& c) {
  const std::string n = c.name();
  return n == "CSVLogger" || n == "ModelCheckpoint" || n == "BackupAndRestore";
}

void write_outputs(const Recipe& recipe, train::Trainer& model, const RecipeData& data, TrainRecipeResult& result,
                   std::ostream& out) {
  const OutputSettings& o = recipe.output;
  if (!o.model.empty()) {
    model.save(o.model, {.include_optimizer = true});  // with model.class_names
    result.written.push_back(o.model);
  }
  if (!o.history_csv.empty()) {
    write_file_atomically(o.history_csv, history_csv(result.history));
    result.written.push_back(o.history_csv);
  }
  if (!o.training_curves.empty() && !result.history.epoch.empty()) {
    write_file_atomically(o.training_curves, report::training_curves_svg(result.history, fs::path(recipe.path).stem().string()));
    result.written.push_back(o.training_curves);
  }
  if (data.test) {
    const bool one_hot = model.loss().kind() == losses::Loss::Kind::CategoricalCrossentropy;
    auto test = one_hot ? data::one_hot(data.test, model.output_shape().back()) : data.test;
    result.test = model.evaluate(*test, {.batch_size = recipe.fit.batch_size});
    char line[64];
    std::snprintf(line, sizeof line, "Test (%lld samples): loss %.4f", static_cast<long long>(test->size()), result.test->loss);
    out << line;
    for (const auto& [name, value] : result.test->metrics.items()) {
      std::snprintf(line, sizeof line, " - %s %.4f", name.c_str(), value);
      out << line;
    }
    out << "\n";
    if (!o.confusion_matrix.empty() && data.test->label_shape().empty()) {
      report::ConfusionMatrix matrix(model.output_shape().back());
      matrix.add(model.predict(*data.test), data::to_tensors(*data.test).second);
      write_file_atomically(o.confusion_matrix, report::confusion_matrix_svg(matrix, data.class_names, "Test set"));
      result.written.push_back(o.confusion_matrix);
    }
  }
}
}  // namespace

std::string history_csv(const History& history) {
  std::vector<std::string> keys;
  for (const auto& [key, values] : history.history) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::string csv = "epoch";
  for (const auto& k : keys) {
    csv += ',';  // (csv += "," + k trips a false -Wrestrict in GCC 12)
    csv += k;
  }
  csv += '\n';
  for (size_t i = 0; i < history.epoch.size(); ++i) {
    csv += std::to_string(history.epoch[i]);
    for (const auto& k : keys) {
      csv += ',';
      csv += format_number(history[k][i]);
    }
    csv += '\n';
  }
  return csv;
}

namespace {
// A file the run reads or writes, with the recipe key that names it ("output.model", "data.train_images").
struct KeyedPath {
  std::string key, path;
};

std::vector<KeyedPath> recipe_outputs(const Recipe& recipe) {
  const OutputSettings& o = recipe.output;
  std::vector<KeyedPath> outputs = {{"output.model", o.model},
                                    {"output.history_csv", o.history_csv},
                                    {"output.checkpoint_dir", o.checkpoint_dir},
                                    {"output.training_curves", o.training_curves},
                                    {"output.confusion_matrix", o.confusion_matrix}};
  for (size_t i = 0; i < recipe.callbacks.size(); ++i) {
    const CallbackSpec& c = recipe.callbacks[i];
    // ModelCheckpoint's filepath may hold {epoch}-style fields: one file per epoch, none of them known yet.
    if (c.path.empty() || c.path.find('{') != std::string::npos) continue;
    const char* field = c.class_name == "CSVLogger" ? "filename" : "filepath";
    outputs.push_back({"callbacks[" + std::to_string(i) + "].config." + field, c.path});
  }
  std::erase_if(outputs, [](const KeyedPath& p) { return p.path.empty(); });
  return outputs;
}

std::vector<KeyedPath> recipe_inputs(const Recipe& recipe) {
  std::vector<KeyedPath> inputs = {{"the recipe", recipe.path}};
  if (recipe.model_path.empty()) inputs.push_back({"model", recipe.model_source});  // a Keras file of its own
  if (!recipe.initial_weights.empty() && recipe.initial_weights != recipe.model_source)
    inputs.push_back({"initial_weights", recipe.initial_weights});
  const DataSource& d = recipe.data;
  if (d.kind == DataSource::Kind::Idx)
    inputs.insert(inputs.end(), {{"data.train_images", d.train_images},
                                 {"data.train_labels", d.train_labels},
                                 {"data.test_images", d.test_images},
                                 {"data.test_labels", d.test_labels}});
  std::erase_if(inputs, [](const KeyedPath& p) { return p.path.empty(); });
  return inputs;
}

// One spelling per file, whatever path led to it ("out/../m.elucid", a symbolic link), so that equal files compare
// equal.
std::string same_file_key(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : canonical.string();
}

// Two outputs on one file would leave only the last one written (the model replaced by the CSV); an output on a file
// the run reads would destroy it (the recipe, the model JSON or the data overwritten by the model file).
void check_no_output_clobbers(const Recipe& recipe) {
  struct Seen {
    std::string file, key;
    bool input;
  };
  std::vector<Seen> seen;
  for (const KeyedPath& in : recipe_inputs(recipe)) seen.push_back({same_file_key(in.path), in.key, true});
  for (const KeyedPath& out : recipe_outputs(recipe)) {
    const std::string file = same_file_key(out.path);
    for (const Seen& other : seen) {
      if (other.file != file) continue;
      if (other.input)
        throw Error(recipe.path + ": " + out.key + " names " + out.path + ", which is " +
                    (other.key == "the recipe" ? "the recipe itself" : other.key + ", an input of the run") +
                    ": writing it would destroy it; give the output another name");
      throw Error(recipe.path + ": " + other.key + " and " + out.key + " both name " + out.path +
                  ": one would overwrite the other; give each output its own file");
    }
    seen.push_back({file, out.key, false});
  }
}
}  // namespace

void check_recipe_outputs(const Recipe& recipe) {
  check_no_output_clobbers(recipe);
  const OutputSettings& o = recipe.output;
  for (const std::string* p : {&o.model, &o.history_csv, &o.training_curves, &o.confusion_matrix})
    if (!p->empty()) check_writable(*p);
  for (const CallbackSpec& c : recipe.callbacks)
    if (!c.path.empty()) check_writable(c.path);
  if (!o.checkpoint_dir.empty()) {
    std::error_code ec;
    if (fs::exists(o.checkpoint_dir, ec) && !fs::is_directory(o.checkpoint_dir, ec))
      throw Error(recipe.path + ": output.checkpoint_dir names " + o.checkpoint_dir +
                  ", which is a file, not a folder; name a folder (it is made when missing)");
    if (fs::is_directory(o.checkpoint_dir, ec)) check_writable((fs::path(o.checkpoint_dir) / "checkpoint").string());
    else check_writable(o.checkpoint_dir);  // it and the folders missing above it can be made
  }
}

void check_recipe_callbacks(const Recipe& recipe, const train::Trainer& model) {
  RunFigures figures = model.run_figures(recipe.fit.validation_split > 0);
  try {
    for (const auto& callback : make_callbacks(recipe, /*resuming=*/false)) callback->check_figures(figures);
  } catch (const Error& e) {
    throw Error(recipe.path + ": " + e.what());
  }
}

RecipeData load_training_data(const Recipe& recipe, train::Trainer& model, std::ostream* warnings) {
  if (!model.compiled())
    throw Error(recipe.path + ": no compile settings: give the recipe a \"compile\" section (optimizer, loss, metrics)");
  const size_t input_count = model.input_shapes().size(), output_count = model.output_shapes().size();
  if (input_count != 1 || output_count != 1)
    throw Error(recipe.path + ": model: it takes " + std::to_string(input_count) + " input" +
                (input_count == 1 ? "" : "s") + " and gives " + std::to_string(output_count) + " output" +
                (output_count == 1 ? "" : "s") +
                "; a recipe's data give one input and one label per sample (fit such a model from C++)");
  RecipeData data = load_recipe_data(recipe.data, model.input_shape(), warnings);
  const Shape input = model.input_shape(), output = model.output_shape();
  const std::string source = recipe.data.kind == DataSource::Kind::Idx ? recipe.data.train_images : recipe.data.description();
  for (const auto* set : {&data.train, &data.test})
    if (*set && (*set)->sample_shape() != input)
      throw Error(recipe.path + ": data: " + source + " holds samples of shape " + to_string((*set)->sample_shape()) +
                  "; the model takes " + to_string(input));
  const auto kind = model.loss().kind();
  const bool class_labels = kind == losses::Loss::Kind::SparseCategoricalCrossentropy ||
                            kind == losses::Loss::Kind::CategoricalCrossentropy;
  const int64_t outputs = output.empty() ? 1 : output.back();
  if (class_labels && data.train->label_shape().empty() && static_cast<int64_t>(data.class_names.size()) > outputs)
    throw Error(recipe.path + ": data: the data has " + std::to_string(data.class_names.size()) + " classes (" +
                source + "); the model has " + std::to_string(outputs) + " outputs");
  // What fit() checks before its first batch (the labels, validation_split, each callback's figures), and the test
  // set's labels, which are only read after training: a mistake in any is a configuration error found here, before
  // anything is trained or written.
  try {
    FitOptions fit = fit_options(recipe);
    fit.callbacks = make_callbacks(recipe, /*resuming=*/false);
    model.check_fit(training_set(model, data), fit);
    if (data.test) {
      const bool one_hot = kind == losses::Loss::Kind::CategoricalCrossentropy && data.test->label_shape().empty();
      model.check_labels("test data", one_hot ? *data::one_hot(data.test, outputs) : *data.test);
    }
  } catch (const Error& e) {
    throw Error(recipe.path + ": " + e.what());
  }
  return data;
}

TrainRecipeResult train_recipe(const Recipe& recipe, train::Trainer& model, const TrainRecipeOptions& options) {
  if (recipe.threads > 0) set_num_threads(recipe.threads);
  return train_recipe(recipe, model, load_training_data(recipe, model, options.out), options);
}

TrainRecipeResult train_recipe(const Recipe& recipe, train::Trainer& model, const RecipeData& data,
                               const TrainRecipeOptions& options) {
  distributed::SingleProcess single;
  distributed::Strategy& strategy = options.strategy ? *options.strategy : single;
  const bool chief = strategy.is_chief();
  std::ostream quiet(nullptr);  // discards what ranks other than 0 would print
  std::ostream& out = chief ? *options.out : quiet;
  if (!model.compiled())
    throw Error(recipe.path + ": no compile settings: give the recipe a \"compile\" section (optimizer, loss, metrics)");
  if (recipe.threads > 0) set_num_threads(recipe.threads);
  const std::shared_ptr<const data::Dataset> train = training_set(model, data);
  // Every model file of the run (the output, ModelCheckpoint's, the checkpoints') stores them from the model.
  if (!data.class_names.empty()) model.class_names = data.class_names;

  TrainRecipeResult result;
  std::optional<Checkpoint> resumed;
  if (options.resume) {
    resumed = restore_newest(recipe, model, out, result.checkpoint, strategy);
    if (resumed)
      out << "Resuming from " << result.checkpoint << " (epoch " << resumed->fit.epoch + 1 << ", batch "
          << resumed->fit.batch << ")\n";
    else
      out << "No checkpoint in " << recipe.output.checkpoint_dir << "; starting from the beginning\n";
  }
  result.resumed = resumed.has_value();

  auto callbacks = make_callbacks(recipe, result.resumed);
  if (result.resumed && chief)  // a CSVLogger's file gets the rows of the epochs done (and no others), then appends
    for (const CallbackSpec& c : recipe.callbacks)
      if (c.class_name == "CSVLogger")
        write_file_atomically(c.path, resumed->fit.history.epoch.empty() ? "" : history_csv(resumed->fit.history));
  std::shared_ptr<callbacks::TerminateOnNaN> nan_guard;
  for (const auto& c : callbacks)
    if (auto t = std::dynamic_pointer_cast<callbacks::TerminateOnNaN>(c)) nan_guard = t;
  if (!nan_guard && recipe.terminate_on_nan) {
    nan_guard = std::make_shared<callbacks::TerminateOnNaN>(out);
    callbacks.push_back(nan_guard);
  }
  std::shared_ptr<callbacks::BackupAndRestore> backup;
  if (!recipe.output.checkpoint_dir.empty()) {
    backup = std::make_shared<callbacks::BackupAndRestore>(
        recipe.output.checkpoint_dir,
        callbacks::BackupAndRestoreOptions{.save_freq = recipe.output.checkpoint_every, .keep = 2,
                                           .run_key = recipe.run_key});
    callbacks.push_back(backup);  // last: the others' state is current when it saves
  }

  if (resumed && resumed->finished) {
    out << "The run had finished; writing its outputs again\n";
    result.history = resumed->fit.history;
  } else {
    FitOptions fit = fit_options(recipe);
    fit.callbacks = callbacks;
    fit.out = &out;
    if (resumed) fit.resume = resumed->fit;
    fit.strategy = options.strategy;
    if (!chief)
      for (auto& c : fit.callbacks)
        if (writes_files(*c)) c = std::make_shared<OnChiefOnly>(c);
    result.history = model.fit(train, fit);
    if (!chief) return result;  // rank 0 reports a NaN, evaluates and writes the outputs
    if (backup && !backup->last_path().empty()) result.checkpoint = backup->last_path();
    if (nan_guard && nan_guard->terminated())
      throw Error(recipe.path + ": " + nan_guard->message() + "; no model written" +
                  (result.checkpoint.empty() ? "" : "; the last good checkpoint is " + result.checkpoint));
  }
  if (chief) write_outputs(recipe, model, data, result, out);
  return result;
}

}  // namespace elucid
