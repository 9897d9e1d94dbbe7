// Sequential: a stack of layers trained as Keras trains one — add, compile, fit, evaluate, predict, summary.
//
//   Sequential model;
//   model.add(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = {28, 28, 1}}));
//   ...
//   model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
//   History history = model.fit(x_train, y_train, {.batch_size = 32, .epochs = 5, .validation_split = 0.1});
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/data/batches.hpp>
#include <elucid/data/dataset.hpp>
#include <elucid/layers/layer.hpp>
#include <elucid/train/batch_split.hpp>
#include <elucid/train/callback.hpp>
#include <elucid/distributed/strategy.hpp>
#include <elucid/train/history.hpp>
#include <elucid/train/logs.hpp>
#include <elucid/train/losses.hpp>
#include <elucid/train/metrics.hpp>
#include <elucid/optim/get.hpp>
#include <elucid/optim/optimizer.hpp>

#include <concepts>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace elucid {

// Where a fit() run stands between two batches: what a checkpoint keeps (with the weights, the optimizer state and
// the Dropout generators) so that a resumed run goes on exactly as an uninterrupted one would (saving/checkpoint.hpp).
struct FitState {
  int epoch = 0;                          // the epoch under way
  int64_t batch = 0;                      // batches of that epoch already taken
  double loss_sum = 0, sample_count = 0;  // the epoch's running loss so far (each batch's loss times its size)
  std::vector<std::pair<double, double>> metric_sums = {};  // each compiled metric's running (total, count)
  History history = {};                   // the epochs finished
  // Callback::state() of each callback of the run, in order, with its name().
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, double>>>> callback_states = {};
};

namespace distributed {
class DataParallel;
}

struct FitOptions {
  int batch_size = 32;
  int epochs = 1;
  int verbose = 1;                 // 0 silent, 1 progress bar, 2 one line per epoch
  double validation_split = 0.0;   // the LAST fraction of the samples, taken before shuffling
  std::shared_ptr<const data::Dataset> validation_data = {};  // instead of validation_split
  bool shuffle = true;             // reshuffle the training samples every epoch
  int initial_epoch = 0;           // epoch to start at (to resume a run)
  std::optional<uint64_t> seed = {};  // shuffling and dropout; default: elucid::random_seed()
  std::vector<std::shared_ptr<Callback>> callbacks = {};
  std::ostream* out = &std::cout;  // where the progress bar goes
  // Resume a run from this state instead of initial_epoch; the model's weights, optimizer state and Dropout
  // generators must have been restored first. The callbacks must be those of the run (same kinds, same order):
  // their state is loaded after on_train_begin.
  std::optional<FitState> resume = {};
  // Data-parallel training over several processes (distributed/strategy.hpp), e.g. distributed::from_environment().
  // Null: this process alone. With several ranks, batch_size is the global batch, split across the ranks; only
  // rank 0 prints; callbacks run on every rank (give the ones that write files to rank 0 only); an error on one
  // rank during training ends every rank (Strategy::abort) instead of leaving the others waiting.
  std::shared_ptr<distributed::Strategy> strategy = {};
};

struct EvaluateOptions {
  int batch_size = 32;
  int verbose = 0;
  std::ostream* out = &std::cout;
};

struct PredictOptions {
  int batch_size = 32;
};

// What evaluate() returns: the loss and each compiled metric. `auto [loss, accuracy] = model.evaluate(x, y);`
// binds the loss and the first metric, as `loss, acc = model.evaluate(...)` does in Keras.
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

class Sequential {
 public:
  explicit Sequential(std::string name = "sequential");

  // Adds a layer at the top. It is built at once when the input shape is known (the first layer's input_shape, or
  // the layers below it), and named as Keras names it (conv2d, conv2d_1, ...) unless it has a name.
  template <class L>
    requires std::derived_from<L, layers::Layer>
  void add(L layer) {
    add(std::make_shared<L>(std::move(layer)));
  }
  void add(std::shared_ptr<layers::Layer> layer);
  void pop();  // removes the top layer

  const std::string& name() const { return name_; }
  const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
  std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;  // throws naming the layers there are

  // Builds every layer for this input shape (no batch axis); done by add() or fit() when the shape is known.
  void build(const Shape& input_shape);
  bool built() const;
  Shape input_shape() const;   // without the batch axis; throws if unknown
  Shape output_shape() const;

  std::vector<NamedTensor> weights() const;  // every layer's, trainable first within a layer
  std::vector<NamedTensor> trainable_weights() const;
  std::vector<NamedTensor> non_trainable_weights() const;  // BatchNormalization's moving statistics
  std::vector<NamedTensor> get_weights() const;  // copies
  void set_weights(const std::vector<NamedTensor>& weights);  // by name; shapes must match
  int64_t count_params() const;

  // The tf.keras 2.x summary: Layer (type), Output Shape with None for the batch, Param #, and the totals.
  void summary(std::ostream& out = std::cout) const;
  std::string summary_string() const;

  void compile(const optimizers::Optimizer& optimizer, const losses::Loss& loss, std::vector<std::string> metrics = {});
  void compile(const std::string& optimizer, const std::string& loss, std::vector<std::string> metrics = {});
  bool compiled() const { return optimizer_ != nullptr; }
  optimizers::Optimizer& optimizer();
  const optimizers::Optimizer& optimizer() const;
  const losses::Loss& loss() const;
  const std::vector<std::string>& metric_names() const { return metric_names_; }

  History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  History fit(const std::shared_ptr<const data::Dataset>& train, const FitOptions& options = {});
  Evaluation evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options = {});
  Evaluation evaluate(const data::Dataset& data, const EvaluateOptions& options = {});
  Tensor predict(const Tensor& x, const PredictOptions& options = {});  // batched, no graph kept
  Tensor predict(const data::Dataset& data, const PredictOptions& options = {});
  Logs train_on_batch(const Tensor& x, const Tensor& y);  // one optimizer step; returns loss and metrics
  Logs test_on_batch(const Tensor& x, const Tensor& y);

  // Keras' model.to_json() in tf.keras 2.x's layout (saving/keras_json.hpp), and model.save(path): architecture,
  // compile settings, weights and optimizer state in one file (saving/model_file.hpp; load it with load_model).
  std::string to_json() const;
  void save(const std::string& path) const;

  // The forward pass, x (N, ...input_shape) -> (N, ...output_shape).
  Tensor operator()(const Tensor& x, bool training = false);

  bool stop_training = false;  // a callback sets it to end fit() after the current epoch

  // During fit(), for a callback: the run's state after the batch (on_train_batch_end) or the epoch's last batch
  // (on_epoch_end, before the epoch enters the history). Throws outside fit().
  FitState fit_state() const;

 private:
  void require_compiled(const char* who) const;
  void check_input(const char* who, const Shape& sample_shape);
  void check_labels(const char* who, const data::Dataset& data);
  void reset_metrics();
  Logs running_logs() const;
  std::vector<double> forward_backward(const Tensor& x, const Tensor& y);
  Logs train_step(const Tensor& x, const Tensor& y);
  void add_step_figures(const std::vector<double>& figures);
  Logs train_step(const Tensor& x, const Tensor& y, distributed::DataParallel& parallel);
  History fit_ranks(const std::shared_ptr<const data::Dataset>& train, const FitOptions& options,
                    distributed::Strategy& strategy);
  Evaluation evaluate_batches(std::shared_ptr<const data::Dataset> data, int batch_size,
                              distributed::DataParallel* parallel = nullptr);

  std::string name_;
  std::optional<Shape> input_shape_;  // from the first layer's input_shape, an InputLayer, or fit()
  std::vector<std::shared_ptr<layers::Layer>> layers_;
  std::unique_ptr<optimizers::Optimizer> optimizer_;
  std::optional<losses::Loss> loss_;
  std::vector<std::string> metric_names_;
  std::vector<metrics::Metric> metrics_;
  double running_loss_ = 0, running_count_ = 0;
  BatchSplit batch_split_;  // the training step's slices of the batch on the thread team
  // What fit_state() reads while fit() runs.
  const History* fit_history_ = nullptr;
  const std::vector<std::shared_ptr<Callback>>* fit_callbacks_ = nullptr;
  int fit_epoch_ = 0;
  int64_t fit_batch_ = 0;
};

}  // namespace elucid

template <>
struct std::tuple_size<elucid::Evaluation> : std::integral_constant<size_t, 2> {};
template <size_t I>
struct std::tuple_element<I, elucid::Evaluation> {
  using type = double;
};
