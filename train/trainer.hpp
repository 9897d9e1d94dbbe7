// Trainer: compile, fit, evaluate, predict — the training loop under every model, as Keras' Trainer sits under its
// Model. Sequential derives from it (model/sequential.hpp); the loop asks its model only through the hooks below.
//
// Why these hooks. The loop sees a model as a whole: a function from a batch's inputs to its outputs, with named
// weights. It never asks about layers, so a model that is a graph of layers with several inputs and outputs (a
// Functional model) answers the same questions over its graph and runs the same loop:
//   forward(inputs, training)  the forward pass; in training the loop runs it on each slice of a batch
//                              (train/batch_split.hpp), on several threads at once
//   build_for(sample_shapes)   builds the model for the data's sample shapes if it is not built yet, and says which
//                              shapes it takes, so that the loop checks the data before the first step
//   output_shapes()            predict's result, and the class count the labels are checked against
//   weights(), trainable_weights(), non_trainable_weights()
//                              all of them (get_weights, set_weights, count_params, the ranks' start), what the
//                              optimizer steps, what the ranks average after each epoch (moving statistics)
//   needs_whole_batch()        true when a training forward pass needs the whole batch (BatchNormalization)
//   to_json()                  the architecture: the ranks of a data-parallel run compare it before they start
//   file_bytes(options)        what save(path) writes and a checkpoint holds, so that callbacks save any model
// Nothing about random draws: a layer that draws random numbers in training keys its draws by the RunPosition the loop
// sets on each thread that runs a training forward pass (core/random.hpp), so slices, ranks and resumes need no hook.
// Inputs, outputs and their shapes are lists, so that these signatures hold for a model of several. A data set of
// several inputs or labels packs each sample's one after another (data::Dataset::input_shapes, label_shapes); the
// loop unpacks them into the lists these hooks take and give.
// Not hooks: layers, names, add — what differs between kinds of model and what the loop needs none of. input_shapes()
// and summary() are virtual for the user's sake (the `elucid` command shows and checks any model through them).
#pragma once
#include <elucid/core/shape.hpp>
#include <elucid/core/tensor.hpp>
#include <elucid/data/batches.hpp>
#include <elucid/data/dataset.hpp>
#include <elucid/distributed/strategy.hpp>
#include <elucid/optim/get.hpp>
#include <elucid/optim/optimizer.hpp>
#include <elucid/train/batch_split.hpp>
#include <elucid/train/callback.hpp>
#include <elucid/train/history.hpp>
#include <elucid/train/logs.hpp>
#include <elucid/train/losses.hpp>
#include <elucid/train/metrics.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace elucid::distributed {
class DataParallel;
}

namespace elucid::train {

// The figures a training step adds up, as Keras weighs them: the loss summed over samples (each batch's mean loss
// times its size), the samples, and each compiled metric's running (total, count). A step returns its own, the ranks
// of a data-parallel run sum theirs, an epoch adds them up, and a checkpoint keeps the epoch's so far (FitState).
struct StepFigures {
  double loss_sum = 0, sample_count = 0;
  std::vector<std::pair<double, double>> metric_sums = {};

  void add(const StepFigures& step);  // the same number of metrics
};

// Where a fit() run stands between two batches: the epoch's running figures so far (StepFigures) and what else a
// checkpoint keeps (with the weights and the optimizer state) so that a resumed run goes on exactly as an
// uninterrupted one would (saving/checkpoint.hpp).
struct FitState : StepFigures {
  int epoch = 0;          // the epoch under way
  int64_t batch = 0;      // batches of that epoch already taken
  History history = {};   // the epochs finished
  // Callback::state() of each callback of the run, in order, with its name().
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, double>>>> callback_states = {};
};

// Designated initializers name the fields in the order they are declared here (C++20 requires it):
// {.batch_size = 32, .epochs = 5} compiles, {.epochs = 5, .batch_size = 32} does not.
struct FitOptions {
  int batch_size = 32;
  int epochs = 1;
  int verbose = 1;                 // 0 silent, 1 progress bar, 2 one line per epoch
  double validation_split = 0.0;   // the LAST fraction of the samples, taken before shuffling
  std::shared_ptr<const data::Dataset> validation_data = {};  // instead of validation_split
  bool shuffle = true;             // reshuffle the training samples every epoch
  int initial_epoch = 0;           // epoch to start at (to resume a run)
  std::optional<uint64_t> seed = {};  // shuffling; default: elucid::random_seed()
  std::vector<std::shared_ptr<Callback>> callbacks = {};
  std::ostream* out = &std::cout;  // where the progress bar goes
  // Resume a run from this state instead of initial_epoch; the model's weights and optimizer state (its step count
  // keys the layers' random draws in training) must have been restored first (saving/checkpoint.hpp). The callbacks must be those of the run (same
  // kinds, same order): their state is loaded after on_train_begin.
  std::optional<FitState> resume = {};
  // Data-parallel training over several processes (distributed/strategy.hpp), e.g. distributed::from_environment().
  // Null: this process alone. With several ranks, batch_size is the global batch, split across the ranks; only
  // rank 0 prints; callbacks run on every rank (give the ones that write files to rank 0 only); an error on one
  // rank during training ends every rank (Strategy::abort) instead of leaving the others waiting.
  std::shared_ptr<distributed::Strategy> strategy = {};
};

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct EvaluateOptions {
  int batch_size = 32;
  int verbose = 0;
  std::ostream* out = &std::cout;
};

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct PredictOptions {
  int batch_size = 32;
};

// What save() writes besides the architecture, the compile settings and the weights (saving/model_file.hpp).
// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct SaveOptions {
  bool include_optimizer = true;              // the optimizer's step count, rate and slots, to go on training
  std::vector<std::string> class_names = {};  // what each output means, for `elucid predict`; empty: the model's
};

// What evaluate() returns: the loss and each compiled metric (a model of several outputs: each output's loss first,
// "digit_loss", then the metrics, "digit_accuracy"). `auto [loss, accuracy] = model.evaluate(x, y);` binds the loss
// and the first figure after it, as `loss, acc = model.evaluate(...)` does in Keras.
struct Evaluation {
  double loss = 0;
  Logs metrics;
  double operator[](const std::string& name) const { return name == "loss" ? loss : metrics.at(name); }
  template <size_t I>
  double get() const {
    if constexpr (I == 0) return loss;
    else return first_metric();
  }
  double first_metric() const;
};

class Trainer {
 public:
  Trainer() = default;
  virtual ~Trainer() = default;
  Trainer(Trainer&&) = default;
  Trainer& operator=(Trainer&&) = default;

  // ---- the hooks: what the loop asks of its model (see the top of this file) ----
  // inputs[i] is (N, ...the model's input i), each output (N, ...output_shapes()[j]).
  virtual std::vector<Tensor> forward(std::span<const Tensor> inputs, bool training) = 0;
  // Builds the model if it is not built: for the shapes it declares, or else these (one per input, no batch axis).
  // Returns the shapes it takes; does not check them against these (the loop does, naming the call).
  virtual std::vector<Shape> build_for(std::span<const Shape> sample_shapes) = 0;
  virtual std::vector<Shape> output_shapes() const = 0;  // no batch axis; throws while unbuilt
  virtual std::vector<Shape> input_shapes() const = 0;   // no batch axis; throws while unbuilt
  virtual std::vector<NamedTensor> weights() const = 0;  // in the model file's order; the tensors are shared
  virtual std::vector<NamedTensor> trainable_weights() const = 0;
  virtual std::vector<NamedTensor> non_trainable_weights() const = 0;
  virtual bool needs_whole_batch() const = 0;
  virtual std::string to_json() const = 0;                             // Keras' model.to_json()
  virtual std::string file_bytes(const SaveOptions& options) const = 0;  // the model file (saving/model_file.hpp)

  // ---- the model as a user sees it, whatever its kind ----
  virtual const std::string& name() const = 0;  // Keras' model.name: "sequential", "model", or the one given
  virtual bool built() const = 0;               // whether it has its weights (a Functional model always has)
  // A model of one input and one output: their shapes (no batch axis); an error naming the counts otherwise.
  Shape input_shape() const;
  Shape output_shape() const;
  // Keras' model.summary(): each layer with its output shape and parameters, then the totals.
  virtual void summary(std::ostream& out = std::cout) const = 0;

  // ---- weights, through weights() ----
  std::vector<NamedTensor> get_weights() const;  // copies
  void set_weights(const std::vector<NamedTensor>& weights);  // by name and order; shapes must match
  int64_t count_params() const;
  // model.save(path): architecture, compile settings, weights and (by default) optimizer state in one file, written
  // atomically; load it with load_model (saving/model_file.hpp). Here elucid's format; a Sequential picks the format
  // by the path's ending (.keras, .h5, .weights.h5, .onnx, else elucid's), as save_model does.
  virtual void save(const std::string& path, const SaveOptions& options = {}) const;
  // Keras' save_weights / load_weights (saving/keras_weights.hpp): a .weights.h5 (Keras 3) or other .h5 (tf.keras
  // 2.x) by the name when saving, by the contents when loading; the weights only, all or none of them loaded.
  void save_weights(const std::string& path) const;
  void load_weights(const std::string& path);

  // ---- compile ----
  // One loss and the metrics, for every output of the model.
  void compile(const optimizers::Optimizer& optimizer, const losses::Loss& loss, std::vector<std::string> metrics = {});
  void compile(const std::string& optimizer, const std::string& loss, std::vector<std::string> metrics = {});
  // A model of several outputs (Functional), as Keras' compile(loss=[...], metrics=[[...], ...], loss_weights=[...]):
  // a loss per output (or one for every output), the metrics of each output (or one list for every output, or none),
  // and the weights of the losses (or none: 1 each). The model's loss is the weighted sum of its outputs' losses.
  // Its logs name each output's weighted loss and metrics after the output's layer, as Keras 3's do: "loss",
  // "digit_loss", "size_loss", "digit_accuracy", "size_mae". A model of one output logs "loss", "accuracy", ...
  void compile(const optimizers::Optimizer& optimizer, std::vector<losses::Loss> losses,
               std::vector<std::vector<std::string>> metrics = {}, std::vector<double> loss_weights = {});
  bool compiled() const { return optimizer_ != nullptr; }
  optimizers::Optimizer& optimizer();
  const optimizers::Optimizer& optimizer() const;
  const losses::Loss& loss() const;  // a model of one output: its loss; throws for several (see losses())
  const std::vector<std::string>& metric_names() const;  // the same: a model of one output's metrics
  const std::vector<losses::Loss>& losses() const;       // one per output
  const std::vector<double>& loss_weights() const;       // one per output
  const std::vector<std::vector<std::string>>& output_metric_names() const;  // the metrics of each output

  // ---- the loop ----
  History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  History fit(const std::shared_ptr<const data::Dataset>& train, const FitOptions& options = {});
  Evaluation evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const data::Dataset& data, const EvaluateOptions& options = {});
  // The data sets load_data() and image_dataset_from_directory return, as fit takes them: model.evaluate(test).
  Evaluation evaluate(const std::shared_ptr<const data::Dataset>& data, const EvaluateOptions& options = {});
  Tensor predict(const Tensor& x, const PredictOptions& options = {});  // batched, no graph kept
  Tensor predict(const data::Dataset& data, const PredictOptions& options = {});
  Tensor predict(const std::shared_ptr<const data::Dataset>& data, const PredictOptions& options = {});
  // A model of several inputs (Functional) takes them as a list in the order of its inputs, or by input name, as
  // Keras' fit(x=[a, b]) and fit(x={"image": a, "meta": b}): model.fit({images, sizes}, labels) or
  // model.fit(NamedInputs{{"image", images}, {"meta", sizes}}, labels).
  using Inputs = std::vector<Tensor>;
  using NamedInputs = std::vector<std::pair<std::string, Tensor>>;
  History fit(const Inputs& x, const Tensor& y, const FitOptions& options = {});
  History fit(const NamedInputs& x, const Tensor& y, const FitOptions& options = {});
  Evaluation evaluate(const Inputs& x, const Tensor& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const NamedInputs& x, const Tensor& y, const EvaluateOptions& options = {});
  Tensor predict(const Inputs& x, const PredictOptions& options = {});
  Tensor predict(const NamedInputs& x, const PredictOptions& options = {});
  // A model of several outputs takes its labels as a list in the order of its outputs, or by output name, as Keras'
  // fit(x, [y1, y2]) and fit(x, {"digit": y1, "size": y2}): model.fit(images, {digits, sizes}) or
  // model.fit(images, NamedLabels{{"digit", digits}, {"size", sizes}}); each label (N, ...) as the output's loss
  // wants it. predict_outputs gives every output of a model of one or several, each (N, ...its shape).
  using Labels = std::vector<Tensor>;
  using NamedLabels = std::vector<std::pair<std::string, Tensor>>;
  History fit(const Tensor& x, const Labels& y, const FitOptions& options = {});
  History fit(const Inputs& x, const Labels& y, const FitOptions& options = {});
  History fit(const NamedInputs& x, const Labels& y, const FitOptions& options = {});
  History fit(const Tensor& x, const NamedLabels& y, const FitOptions& options = {});
  History fit(const Inputs& x, const NamedLabels& y, const FitOptions& options = {});
  History fit(const NamedInputs& x, const NamedLabels& y, const FitOptions& options = {});
  Evaluation evaluate(const Tensor& x, const Labels& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const Inputs& x, const Labels& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const NamedInputs& x, const Labels& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const Tensor& x, const NamedLabels& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const Inputs& x, const NamedLabels& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const NamedInputs& x, const NamedLabels& y, const EvaluateOptions& options = {});
  std::vector<Tensor> predict_outputs(const Tensor& x, const PredictOptions& options = {});
  std::vector<Tensor> predict_outputs(const Inputs& x, const PredictOptions& options = {});
  std::vector<Tensor> predict_outputs(const NamedInputs& x, const PredictOptions& options = {});
  std::vector<Tensor> predict_outputs(const data::Dataset& data, const PredictOptions& options = {});
  // The names of the model's inputs and outputs, in order (a Functional model's InputLayers and output layers);
  // none when the model has no names for them, and then named inputs are refused.
  virtual std::vector<std::string> input_names() const { return {}; }
  virtual std::vector<std::string> output_names() const { return {}; }
  Logs train_on_batch(const Tensor& x, const Tensor& y);  // one optimizer step; returns loss and metrics
  Logs test_on_batch(const Tensor& x, const Tensor& y);

  // ---- checks before anything is trained ----
  // Everything fit(data, options) checks before its first batch, without training: the options, the data's shapes,
  // labels and values, and each callback's figures (Callback::check_figures). A program or a recipe finds a
  // configuration error this way before it writes anything.
  void check_fit(const std::shared_ptr<const data::Dataset>& data, const FitOptions& options);
  // Throws naming `who` when a label is not a class index of the model's outputs (sparse_categorical_crossentropy;
  // categorical_crossentropy reads its labels through them too) or an input is not finite. fit and evaluate call it.
  void check_labels(const std::string& who, const data::Dataset& data);
  // The names of the figures a fit() of this compiled model logs, with or without validation data.
  RunFigures run_figures(bool validation) const;

  bool stop_training = false;  // a callback sets it to end fit() after the current batch or epoch

  // What each output means (class i's name), as `elucid predict` prints it. save(), ModelCheckpoint and checkpoints
  // store them in the model file, load_model gives them back, and fit() takes the training data's
  // (Dataset::class_names(), e.g. an image folder's subfolders) when the model has none:
  //   model.class_names = {"cat", "dog"};  model.save("pets.elucid");
  std::vector<std::string> class_names;

  // During fit(), for a callback: the run's state after the batch (on_train_batch_end) or the epoch's last batch
  // (on_epoch_end, before the epoch enters the history). Throws outside fit().
  FitState fit_state() const;

 private:
  struct Run;  // one fit() call (trainer.cpp)

  void require_compiled(const char* who) const;
  void check_input(const std::string& who, const Shape& sample_shape, const char* what = "samples");
  void check_input(const std::string& who, const data::Dataset& data, const char* what = "samples");
  void check_inputs(const std::string& who, const std::vector<Shape>& given, const char* what);
  // The forward of a batch x (N, ...one input) or, for a model of several inputs, x (N, the sum of their sizes) with
  // each sample's inputs one after another (Dataset::input_shapes), which it unpacks. Every output.
  std::vector<Tensor> forward_packed(const Tensor& x, bool training);
  // forward_packed(x, false) for evaluate and predict, without gradients: the batch cut into slices of about
  // kInferenceSliceSamples, each slice's whole forward on one thread of the team, so that its activations stay in
  // that core's cache and no op waits for the others' threads. A sample's outputs do not depend on the slice it is
  // in: the same bits as one forward over the batch, at any thread count.
  static constexpr int64_t kInferenceSliceSamples = 16;
  std::vector<Tensor> infer_packed(const Tensor& x);
  // Named inputs or labels in the model's order of `names` (input_names() or output_names()); `what` names them.
  static std::vector<Tensor> ordered(const NamedInputs& x, const std::vector<std::string>& names, const char* what,
                                     const char* who);
  Shape single_output_shape() const;
  size_t output_count() const;  // 1 while unbuilt: only a Sequential is ever unbuilt
  // The shape of each output's label, no batch axis: () for sparse_categorical_crossentropy, else the output's.
  std::vector<Shape> label_shapes() const;
  // The model's loss over a batch: the weighted sum of each output's, outputs[k] against labels[k]; adds each
  // output's weighted loss times the batch's size to figures (a model of several outputs logs them).
  Tensor total_loss(const std::vector<Tensor>& outputs, const std::vector<Tensor>& labels, StepFigures& figures) const;
  void update_metrics(const std::vector<Tensor>& outputs, const std::vector<Tensor>& labels);
  void take_metric_sums(StepFigures& figures) const;  // the metrics' running sums into their places in figures
  StepFigures no_figures() const;
  Logs logs_of(const StepFigures& figures) const;
  StepFigures forward_backward(const Tensor& x, const Tensor& y, int64_t first_sample);
  Logs train_step(const Tensor& x, const Tensor& y, distributed::DataParallel* parallel, int64_t first_sample);
  History run_fit(const std::shared_ptr<const data::Dataset>& all, const FitOptions& options,
                  distributed::Strategy& strategy);
  std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> check_fit_options(
      const std::shared_ptr<const data::Dataset>& all, const FitOptions& options);
  std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> check_run(
      const std::shared_ptr<const data::Dataset>& all, const FitOptions& options);
  FitState resume_from(const FitOptions& options, int64_t batches_per_epoch) const;
  void run_epoch(Run& run, int epoch, const FitState* resume);
  Evaluation evaluate_batches(std::shared_ptr<const data::Dataset> data, int batch_size,
                              distributed::DataParallel* parallel = nullptr);

  std::unique_ptr<optimizers::Optimizer> optimizer_;
  std::vector<losses::Loss> losses_;                     // one per output
  std::vector<double> loss_weights_;                     // one per output
  std::vector<std::vector<std::string>> metric_names_;   // each output's, as compile was given them
  std::vector<metrics::Metric> metrics_;  // each step's and each evaluation's scratch: the sums live in StepFigures
  std::vector<size_t> metric_outputs_;    // the output each of metrics_ follows
  // The figures a step adds up besides the loss, by the names the logs give them: each output's loss when there are
  // several, then each metric (StepFigures::metric_sums, in this order).
  std::vector<std::string> figure_names_;
  StepFigures running_;     // the epoch's figures so far
  BatchSplit batch_split_;  // the training step's slices of the batch on the thread team
  const Run* run_ = nullptr;  // the fit() under way, for fit_state()
};

}  // namespace elucid::train

namespace elucid {
using train::EvaluateOptions;
using train::Evaluation;
using train::FitOptions;
using train::FitState;
using train::PredictOptions;
using train::SaveOptions;
using train::StepFigures;
}  // namespace elucid

template <>
struct std::tuple_size<elucid::train::Evaluation> : std::integral_constant<size_t, 2> {};
template <size_t I>
struct std::tuple_element<I, elucid::train::Evaluation> {
  using type = double;
};
