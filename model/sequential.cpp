// Sequential: building layers in order, compile, and the training / evaluation / prediction loops.
#include <elucid/model/sequential.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/random.hpp>
#include <elucid/data/tensor_dataset.hpp>
#include <elucid/layers/dropout.hpp>
#include <elucid/distributed/data_parallel.hpp>
#include <elucid/train/interrupt.hpp>
#include <elucid/train/progress_bar.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

namespace elucid {

double Evaluation::first_metric() const {
  if (metrics.empty()) throw Error("evaluate: the model was compiled without metrics, so there is only the loss");
  return metrics.items().front().second;
}

Sequential::Sequential(std::string name) : name_(std::move(name)) {}

namespace {
// Keras' default name: the stem, then stem_1, stem_2, ... for each further layer of that kind in the model.
std::string unique_name(const std::string& stem, const std::vector<std::shared_ptr<layers::Layer>>& existing) {
  std::set<std::string> taken;
  for (const auto& l : existing) taken.insert(l->name());
  if (!taken.count(stem)) return stem;
  for (int i = 1;; ++i)
    if (!taken.count(stem + "_" + std::to_string(i))) return stem + "_" + std::to_string(i);
}

// The Dropout layers, in order: their mask generators are part of a run's state (checkpoints, the ranks' start), and
// under data-parallel training each is told which samples of the global batch its rank holds (layers/dropout.hpp).
std::vector<layers::Dropout*> dropout_layers(const std::vector<std::shared_ptr<layers::Layer>>& layers) {
  std::vector<layers::Dropout*> dropouts;
  for (const auto& l : layers)
    if (auto* dropout = dynamic_cast<layers::Dropout*>(l.get())) dropouts.push_back(dropout);
  return dropouts;
}

std::vector<Random*> dropout_generators(const std::vector<std::shared_ptr<layers::Layer>>& layers) {
  std::vector<Random*> generators;
  for (auto* dropout : dropout_layers(layers)) generators.push_back(&dropout->generator());
  return generators;
}
}  // namespace

void Sequential::add(std::shared_ptr<layers::Layer> layer) {
  if (!layer) throw Error("Sequential::add: the layer is null");
  if (layer->class_name() == "InputLayer") {
    // As in Keras, an InputLayer only fixes the input shape; it is not one of model.layers.
    if (!layers_.empty()) throw Error("Sequential::add: an InputLayer must come first");
    if (!layer->declared_input_shape) throw Error("Sequential::add: the InputLayer has no shape");
    input_shape_ = layer->declared_input_shape;
    return;
  }
  if (layer->name().empty()) layer->set_name(unique_name(layer->default_name_stem(), layers_));
  for (const auto& l : layers_)
    if (l->name() == layer->name())
      throw Error("Sequential::add: a layer named \"" + layer->name() + "\" is already in the model");
  if (layers_.empty() && !input_shape_ && layer->declared_input_shape) input_shape_ = layer->declared_input_shape;
  else if (!layers_.empty() && layer->declared_input_shape && built() &&
           *layer->declared_input_shape != output_shape())
    throw Error("Sequential::add: " + layer->label() + " declares input_shape " +
                to_string(*layer->declared_input_shape) + " but the layer below outputs " +
                to_string(output_shape()));
  layers_.push_back(std::move(layer));
  if (input_shape_) {
    try {
      build(*input_shape_);
    } catch (...) {
      layers_.pop_back();  // an impossible layer is not kept
      throw;
    }
  }
}

void Sequential::pop() {
  if (layers_.empty()) throw Error("Sequential::pop: the model has no layers");
  layers_.pop_back();
}

std::shared_ptr<layers::Layer> Sequential::get_layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  throw Error("Sequential \"" + name_ + "\" has no layer \"" + name + "\"; it has: " + (names.empty() ? "none" : names));
}

void Sequential::build(const Shape& input_shape) {
  if (input_shape_ && *input_shape_ != input_shape)
    throw Error("Sequential \"" + name_ + "\": built for input " + to_string(*input_shape_) + ", cannot take " +
                to_string(input_shape));
  input_shape_ = input_shape;
  Shape shape = input_shape;
  for (size_t i = 0; i < layers_.size(); ++i) {
    // Each layer draws its initial weights from its own stream: the same seed gives the same model however it was
    // put together (by add() or from a recipe).
    Random rng = Random::derive(random_seed(), i);
    shape = layers_[i]->build(shape, rng);
  }
}

bool Sequential::built() const {
  if (!input_shape_) return false;
  for (const auto& l : layers_)
    if (!l->built()) return false;
  return true;
}

Shape Sequential::input_shape() const {
  if (!input_shape_)
    throw Error("Sequential \"" + name_ + "\": the input shape is not known yet; give the first layer an "
                "input_shape, or call build() or fit()");
  return *input_shape_;
}

Shape Sequential::output_shape() const {
  Shape shape = input_shape();
  for (const auto& l : layers_) shape = l->output_shape(shape);
  return shape;
}

std::vector<NamedTensor> Sequential::weights() const {
  std::vector<NamedTensor> all;
  for (const auto& l : layers_)
    for (auto& w : l->weights()) all.push_back(std::move(w));
  return all;
}

std::vector<NamedTensor> Sequential::trainable_weights() const {
  std::vector<NamedTensor> all;
  for (const auto& l : layers_)
    for (auto& w : l->trainable_weights()) all.push_back(std::move(w));
  return all;
}

std::vector<NamedTensor> Sequential::non_trainable_weights() const {
  std::vector<NamedTensor> all;
  for (const auto& l : layers_)
    for (auto& w : l->non_trainable_weights()) all.push_back(std::move(w));
  return all;
}

std::vector<NamedTensor> Sequential::get_weights() const {
  auto all = weights();
  for (auto& w : all) w.tensor = w.tensor.clone();
  return all;
}

void Sequential::set_weights(const std::vector<NamedTensor>& new_weights) {
  auto current = weights();
  if (new_weights.size() != current.size())
    throw Error("set_weights: the model has " + std::to_string(current.size()) + " weight tensors, got " +
                std::to_string(new_weights.size()));
  for (size_t i = 0; i < current.size(); ++i) {
    const auto& from = new_weights[i];
    auto& to = current[i];
    if (from.name != to.name)
      throw Error("set_weights: weight " + std::to_string(i) + " is \"" + to.name + "\", got \"" + from.name + "\"");
    if (from.tensor.shape() != to.tensor.shape())
      throw Error("set_weights: \"" + to.name + "\" has shape " + to_string(to.tensor.shape()) + ", got " +
                  to_string(from.tensor.shape()));
  }
  for (size_t i = 0; i < current.size(); ++i) current[i].tensor.copy_from(new_weights[i].tensor);
}

int64_t Sequential::count_params() const {
  int64_t n = 0;
  for (const auto& w : weights()) n += w.tensor.size();
  return n;
}

// ---- compile ----

void Sequential::compile(const optimizers::Optimizer& optimizer, const losses::Loss& loss,
                         std::vector<std::string> metric_names) {
  std::vector<metrics::Metric> resolved;
  resolved.reserve(metric_names.size());
  for (const auto& name : metric_names) resolved.push_back(metrics::get(name, loss));
  optimizer_ = optimizer.clone();
  loss_ = loss;
  metric_names_ = std::move(metric_names);
  metrics_ = std::move(resolved);
}

void Sequential::compile(const std::string& optimizer, const std::string& loss, std::vector<std::string> metric_names) {
  compile(*optimizers::get(optimizer), losses::get(loss), std::move(metric_names));
}

optimizers::Optimizer& Sequential::optimizer() {
  require_compiled("optimizer");
  return *optimizer_;
}

const optimizers::Optimizer& Sequential::optimizer() const {
  require_compiled("optimizer");
  return *optimizer_;
}

const losses::Loss& Sequential::loss() const {
  require_compiled("loss");
  return *loss_;
}

void Sequential::require_compiled(const char* who) const {
  if (!optimizer_) throw Error(std::string(who) + ": the model must be compiled first (call compile())");
}

// ---- forward ----

Tensor Sequential::operator()(const Tensor& x, bool training) {
  if (layers_.empty()) throw Error("Sequential \"" + name_ + "\" has no layers");
  if (x.rank() < 1) throw Error("Sequential \"" + name_ + "\": input " + to_string(x.shape()) + " has no batch axis");
  check_input("Sequential", Shape(x.shape().begin() + 1, x.shape().end()));
  Tensor h = x;
  for (const auto& l : layers_) h = l->forward(h, training);
  return h;
}

void Sequential::check_input(const char* who, const Shape& sample_shape) {
  if (!input_shape_) build(sample_shape);
  else if (!built()) build(*input_shape_);
  if (sample_shape != *input_shape_)
    throw Error(std::string(who) + ": samples of shape " + to_string(sample_shape) + " do not match the model's input " +
                to_string(*input_shape_));
}

// ---- training ----

void Sequential::reset_metrics() {
  running_loss_ = running_count_ = 0;
  for (auto& m : metrics_) m.reset();
}

Logs Sequential::running_logs() const {
  Logs logs;
  logs.set("loss", running_count_ > 0 ? running_loss_ / running_count_ : 0.0);
  for (const auto& m : metrics_) logs.set(m.name(), m.result());
  return logs;
}

// The forward and backward of a batch (under data-parallel training, this rank's slice of the global batch): leaves
// in each trainable weight's gradient that of the mean loss over x's samples, and returns the step's figures: loss *
// samples, samples, then each metric's (total, count) over these samples. A batch large enough is cut into slices
// run at once on the thread team (train/batch_split.hpp) unless a layer cannot train in slices (BatchNormalization:
// its statistics are the whole batch's); each slice's loss, its mean, is weighed by its share of the samples.
// Dropout layers draw the masks of the unsliced batch, each slice its own samples' (layers/dropout.hpp).
std::vector<double> Sequential::forward_backward(const Tensor& x, const Tensor& y) {
  std::vector<double> figures(2 + 2 * metrics_.size(), 0.0);
  const int64_t n = x.dim(0);
  if (n == 0) return figures;
  check_input("Sequential", Shape(x.shape().begin() + 1, x.shape().end()));  // builds the model before threads run
  const auto in_slices = [](const auto& layer) { return layer->can_train_in_slices(); };
  const bool sliceable = y.rank() >= 1 && y.dim(0) == n &&  // else the loss names the mismatch, unsliced
                         std::all_of(layers_.begin(), layers_.end(), in_slices);
  const int64_t slices = sliceable ? BatchSplit::slices_for(n, count_params()) : 1;
  std::vector<Tensor> outputs(slices), labels(slices);
  std::vector<double> losses(slices);
  auto step = [&](int64_t s, const Tensor& xs, const Tensor& ys) {
    const Tensor out = (*this)(xs, /*training=*/true);
    Tensor loss = (*loss_)(out, ys);
    losses[s] = static_cast<double>(loss.item()) * static_cast<double>(xs.dim(0));
    if (slices > 1) loss = ops::mul_scalar(loss, static_cast<float>(xs.dim(0)) / static_cast<float>(n));
    loss.backward();
    outputs[s] = out;
    labels[s] = ys;
  };
  if (slices == 1) {
    step(0, x, y);
  } else {
    std::vector<Tensor> leaves;
    for (const auto& w : weights())
      if (w.tensor.requires_grad()) leaves.push_back(w.tensor);
    const auto dropouts = dropout_layers(layers_);
    for (auto* dropout : dropouts) dropout->begin_slices(n);
    try {
      batch_split_.run(x, y, slices, leaves, [&](int64_t s, data::Part part, const Tensor& xs, const Tensor& ys) {
        const layers::Dropout::SliceScope samples(part.begin, part.count);  // which masks Dropout draws on this thread
        step(s, xs, ys);
      });
    } catch (...) {
      for (auto* dropout : dropouts) dropout->end_slices();
      throw;
    }
    for (auto* dropout : dropouts) dropout->end_slices();
  }
  for (int64_t s = 0; s < slices; ++s) figures[0] += losses[s];
  figures[1] = static_cast<double>(n);
  for (size_t i = 0; i < metrics_.size(); ++i) {
    const auto running = metrics_[i].sums();
    metrics_[i].reset();
    for (int64_t s = 0; s < slices; ++s) metrics_[i].update(outputs[s], labels[s]);
    std::tie(figures[2 + 2 * i], figures[3 + 2 * i]) = metrics_[i].sums();
    metrics_[i].set_sums(running.first, running.second);
  }
  return figures;
}

Logs Sequential::train_step(const Tensor& x, const Tensor& y) {
  const std::vector<double> figures = forward_backward(x, y);
  auto params = trainable_weights();
  optimizer_->step(params);
  for (auto& p : params) p.tensor.zero_grad();
  add_step_figures(figures);
  return running_logs();
}

// One data-parallel step: x and y are this rank's slice of the global batch (perhaps empty). Each rank's figures
// (loss * samples, samples, each metric's sums) are summed first, which gives the global batch's size for the
// gradient average; then every rank takes the same optimizer step and adds the same global figures.
Logs Sequential::train_step(const Tensor& x, const Tensor& y, distributed::DataParallel& parallel) {
  std::vector<double> figures = forward_backward(x, y);
  const int64_t n = x.dim(0);
  parallel.sum(figures, "the loss and metrics of a step");
  auto params = trainable_weights();
  parallel.average_gradients(params, n, static_cast<int64_t>(figures[1]));
  optimizer_->step(params);
  for (auto& p : params) p.tensor.zero_grad();
  add_step_figures(figures);
  return running_logs();
}

// Adds a step's figures (forward_backward's layout) to the epoch's running loss and metrics.
void Sequential::add_step_figures(const std::vector<double>& figures) {
  running_loss_ += figures[0];  // Keras weighs each batch's loss by its size
  running_count_ += figures[1];
  for (size_t i = 0; i < metrics_.size(); ++i) {
    const auto [total, count] = metrics_[i].sums();
    metrics_[i].set_sums(total + figures[2 + 2 * i], count + figures[3 + 2 * i]);
  }
}

void Sequential::check_labels(const char* who, const data::Dataset& data) {
  if (!loss_ || loss_->kind() != losses::Loss::Kind::SparseCategoricalCrossentropy) return;
  const Shape out = output_shape();
  const int64_t classes = out.empty() ? 1 : out.back();
  if (!data.label_shape().empty())
    throw Error(std::string(who) + ": sparse_categorical_crossentropy needs one class index per sample, labels have shape " +
                to_string(data.label_shape()));
  // Labels are checked before the first step so that a bad file fails at once, not hours in.
  const int64_t sample = numel(data.sample_shape());
  const int64_t chunk = 1024;
  std::vector<float> x(static_cast<size_t>(chunk * sample)), y(static_cast<size_t>(chunk));
  std::vector<int64_t> indices;
  for (int64_t begin = 0; begin < data.size(); begin += chunk) {
    const int64_t end = std::min(data.size(), begin + chunk);
    indices.clear();
    for (int64_t i = begin; i < end; ++i) indices.push_back(i);
    data.fill(indices, x.data(), y.data());
    for (int64_t i = begin; i < end; ++i) {
      const float label = y[static_cast<size_t>(i - begin)];
      if (!(label >= 0 && label < static_cast<float>(classes)) || label != std::floor(label))
        throw Error(std::string(who) + ": label " + std::to_string(label) + " of sample " + std::to_string(i) +
                    " is not a class index in [0, " + std::to_string(classes) + ") for the model's " +
                    std::to_string(classes) + " outputs");
    }
    for (size_t j = 0; j < static_cast<size_t>((end - begin) * sample); ++j)
      if (!std::isfinite(x[j]))
        throw Error(std::string(who) + ": input of sample " + std::to_string(begin + static_cast<int64_t>(j) / sample) +
                    " holds " + std::to_string(x[j]) + " at element " + std::to_string(static_cast<int64_t>(j) % sample));
  }
}

History Sequential::fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  if (x.rank() < 1 || y.rank() < 1 || x.dim(0) != y.dim(0))
    throw Error("fit: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                " must hold the same number of samples");
  return fit(std::make_shared<data::TensorDataset>(x, y), options);
}

History Sequential::fit(const std::shared_ptr<const data::Dataset>& all, const FitOptions& options) {
  distributed::SingleProcess single;
  distributed::Strategy& strategy = options.strategy ? *options.strategy : single;
  if (strategy.size() == 1) return fit_ranks(all, options, strategy);
  // With several ranks an error on one of them (a file it cannot write, a rank that died) would leave the others
  // waiting in the next collective: every error ends the whole job, with its message.
  try {
    return fit_ranks(all, options, strategy);
  } catch (const Interrupted& e) {  // Ctrl-C: rank 0 wrote its checkpoint (the elucid command's status 130)
    strategy.abort(e.what(), 130);
  } catch (const std::exception& e) {
    strategy.abort(e.what());  // does not return
  }
  return {};
}

History Sequential::fit_ranks(const std::shared_ptr<const data::Dataset>& all, const FitOptions& options,
                              distributed::Strategy& strategy) {
  require_compiled("fit");
  if (!all) throw Error("fit: the data set is null");
  if (options.batch_size < 1) throw Error("fit: batch_size must be at least 1, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw Error("fit: epochs must be 0 or more, got " + std::to_string(options.epochs));
  if (options.initial_epoch < 0 || options.initial_epoch > options.epochs)
    throw Error("fit: initial_epoch " + std::to_string(options.initial_epoch) + " is outside [0, epochs = " +
                std::to_string(options.epochs) + "]");
  if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
    throw Error("fit: validation_split must be in [0, 1), got " + std::to_string(options.validation_split));
  if (all->size() == 0) throw Error("fit: the training data set is empty");
  check_input("fit", all->sample_shape());

  std::shared_ptr<const data::Dataset> train = all, validation = options.validation_data;
  if (options.validation_split > 0) {
    if (validation) throw Error("fit: give validation_split or validation_data, not both");
    auto [t, v] = data::split_last(all, options.validation_split);
    train = t;
    validation = v;
  }
  check_labels("fit", *train);
  if (validation) {
    if (validation->sample_shape() != *input_shape_)
      throw Error("fit: validation samples of shape " + to_string(validation->sample_shape()) +
                  " do not match the model's input " + to_string(*input_shape_));
    check_labels("fit (validation data)", *validation);
  }

  const uint64_t seed = options.seed.value_or(random_seed());
  data::Batches batches(train, options.batch_size, options.shuffle, seed);
  int first_epoch = options.initial_epoch;
  int64_t first_batch = 0;
  History history;
  if (options.resume) {
    const FitState& r = *options.resume;
    if (r.epoch < 0 || r.epoch > options.epochs || r.batch < 0 || r.batch > batches.num_batches())
      throw Error("fit: cannot resume at epoch " + std::to_string(r.epoch + 1) + ", batch " + std::to_string(r.batch) +
                  " of a run of " + std::to_string(options.epochs) + " epochs of " +
                  std::to_string(batches.num_batches()) + " batches");
    if (r.metric_sums.size() != metrics_.size())
      throw Error("fit: the state to resume has " + std::to_string(r.metric_sums.size()) + " metrics, the model " +
                  std::to_string(metrics_.size()));
    if (r.callback_states.size() != options.callbacks.size())
      throw Error("fit: the state to resume has " + std::to_string(r.callback_states.size()) +
                  " callbacks, this run " + std::to_string(options.callbacks.size()));
    for (size_t i = 0; i < options.callbacks.size(); ++i)
      if (r.callback_states[i].first != options.callbacks[i]->name())
        throw Error("fit: callback " + std::to_string(i + 1) + " of the state to resume is " + r.callback_states[i].first +
                    ", in this run " + options.callbacks[i]->name());
    first_epoch = r.epoch;
    first_batch = r.batch;
    history = r.history;
  }
  std::ostream& out = *options.out;
  const bool interactive = is_terminal(out);
  const int verbose = strategy.is_chief() ? options.verbose : 0;  // only rank 0 prints
  std::optional<distributed::DataParallel> parallel;
  if (strategy.size() > 1) {
    parallel.emplace(strategy);
    parallel->start(weights(), dropout_generators(layers_), *optimizer_, first_epoch, first_batch);
  }
  stop_training = false;
  Logs train_logs;
  fit_history_ = &history;
  fit_callbacks_ = &options.callbacks;
  fit_epoch_ = first_epoch;
  fit_batch_ = first_batch;
  // fit_state() must not point into this frame once it returns, exceptions included.
  struct Forget {
    Sequential* self;
    ~Forget() { self->fit_history_ = nullptr, self->fit_callbacks_ = nullptr; }
  } forget{this};
  for (auto& cb : options.callbacks) cb->model = this;
  for (auto& cb : options.callbacks) cb->on_train_begin(train_logs);
  if (options.resume)
    for (size_t i = 0; i < options.callbacks.size(); ++i) options.callbacks[i]->load_state(options.resume->callback_states[i].second);

  data::Batch batch;
  for (int epoch = first_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    Logs logs;
    fit_epoch_ = epoch;
    fit_batch_ = 0;
    for (auto& cb : options.callbacks) cb->on_epoch_begin(epoch, logs);
    if (verbose) out << "Epoch " << epoch + 1 << "/" << options.epochs << "\n" << std::flush;
    ProgressBar bar(batches.num_batches(), verbose, out, interactive);
    reset_metrics();
    int64_t step = 0;
    if (epoch == first_epoch && first_batch > 0) {
      // Mid-epoch: the same order from the same (seed, epoch), the batches already taken skipped, the running
      // figures as they were.
      batches.seek({epoch, first_batch});
      step = first_batch;
      running_loss_ = options.resume->loss_sum;
      running_count_ = options.resume->sample_count;
      for (size_t i = 0; i < metrics_.size(); ++i)
        metrics_[i].set_sums(options.resume->metric_sums[i].first, options.resume->metric_sums[i].second);
    } else {
      batches.start_epoch(epoch);
    }
    for (; batches.next(batch, strategy.rank(), strategy.size()); ++step) {
      Logs batch_logs;
      for (auto& cb : options.callbacks) cb->on_train_batch_begin(step, batch_logs);
      if (parallel)  // this rank's slice of the global batch, as Batches::next took it
        for (auto* dropout : dropout_layers(layers_))
          dropout->set_batch_slice(batch.begin, batch.x.dim(0), batch.whole);
      batch_logs = parallel ? train_step(batch.x, batch.y, *parallel) : train_step(batch.x, batch.y);
      fit_batch_ = step + 1;
      for (auto& cb : options.callbacks) cb->on_train_batch_end(step, batch_logs);
      bar.update(step + 1, batch_logs);
      if (parallel) stop_training = parallel->any(stop_training, "stop_training after a batch");
      if (stop_training) break;
    }
    if (parallel) {
      auto moving = non_trainable_weights();
      parallel->average(moving);
    }
    logs = running_logs();
    if (validation) {
      Evaluation v = evaluate_batches(validation, options.batch_size, parallel ? &*parallel : nullptr);
      logs.set("val_loss", v.loss);
      for (const auto& [name, value] : v.metrics.items()) logs.set("val_" + name, value);
    }
    bar.finish(logs);
    for (auto& cb : options.callbacks) cb->on_epoch_end(epoch, logs);
    if (parallel) stop_training = parallel->any(stop_training, "stop_training after an epoch");
    history.append(epoch, logs);
  }
  for (auto& cb : options.callbacks) cb->on_train_end(train_logs);
  return history;
}

FitState Sequential::fit_state() const {
  if (!fit_history_ || !fit_callbacks_) throw Error("fit_state: only available while fit() runs");
  FitState s;
  s.epoch = fit_epoch_;
  s.batch = fit_batch_;
  s.loss_sum = running_loss_;
  s.sample_count = running_count_;
  for (const auto& m : metrics_) s.metric_sums.push_back(m.sums());
  s.history = *fit_history_;
  for (const auto& cb : *fit_callbacks_) s.callback_states.emplace_back(cb->name(), cb->state());
  return s;
}

Logs Sequential::train_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("train_on_batch");
  if (x.rank() < 1 || y.rank() < 1 || x.dim(0) != y.dim(0))
    throw Error("train_on_batch: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                " must hold the same number of samples");
  reset_metrics();
  return train_step(x, y);
}

Logs Sequential::test_on_batch(const Tensor& x, const Tensor& y) {
  Evaluation e = evaluate(x, y, {.batch_size = static_cast<int>(std::max<int64_t>(1, x.rank() ? x.dim(0) : 1))});
  Logs logs;
  logs.set("loss", e.loss);
  for (const auto& [k, v] : e.metrics.items()) logs.set(k, v);
  return logs;
}

// ---- evaluation and prediction ----

Evaluation Sequential::evaluate_batches(std::shared_ptr<const data::Dataset> data, int batch_size,
                                        distributed::DataParallel* parallel) {
  NoGradGuard no_grad;
  reset_metrics();
  data::Batches batches(std::move(data), batch_size, /*shuffle=*/false);
  data::Batch batch;
  const int rank = parallel ? parallel->strategy().rank() : 0, ranks = parallel ? parallel->strategy().size() : 1;
  while (batches.next(batch, rank, ranks)) {
    if (batch.x.dim(0) == 0) continue;
    Tensor out = (*this)(batch.x, /*training=*/false);
    running_loss_ += static_cast<double>((*loss_)(out, batch.y).item()) * static_cast<double>(batch.x.dim(0));
    running_count_ += static_cast<double>(batch.x.dim(0));
    for (auto& m : metrics_) m.update(out, batch.y);
  }
  if (parallel) {  // each rank evaluated its slices: sum the figures
    std::vector<double> figures{running_loss_, running_count_};
    for (const auto& m : metrics_) figures.insert(figures.end(), {m.sums().first, m.sums().second});
    parallel->sum(figures, "the validation figures");
    running_loss_ = figures[0], running_count_ = figures[1];
    for (size_t i = 0; i < metrics_.size(); ++i) metrics_[i].set_sums(figures[2 + 2 * i], figures[3 + 2 * i]);
  }
  Evaluation e;
  e.loss = running_count_ > 0 ? running_loss_ / running_count_ : 0.0;
  for (const auto& m : metrics_) e.metrics.set(m.name(), m.result());
  reset_metrics();
  return e;
}

Evaluation Sequential::evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options) {
  if (x.rank() < 1 || y.rank() < 1 || x.dim(0) != y.dim(0))
    throw Error("evaluate: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                " must hold the same number of samples");
  return evaluate(data::TensorDataset(x, y), options);
}

Evaluation Sequential::evaluate(const data::Dataset& data, const EvaluateOptions& options) {
  require_compiled("evaluate");
  if (options.batch_size < 1)
    throw Error("evaluate: batch_size must be at least 1, got " + std::to_string(options.batch_size));
  if (data.size() == 0) throw Error("evaluate: the data set is empty");
  check_input("evaluate", data.sample_shape());
  check_labels("evaluate", data);
  // A non-owning handle: Batches wants shared ownership, `data` outlives this call.
  std::shared_ptr<const data::Dataset> view(&data, [](const data::Dataset*) {});
  Evaluation e = evaluate_batches(view, options.batch_size);
  if (options.verbose) {
    const int64_t steps = (data.size() + options.batch_size - 1) / options.batch_size;
    ProgressBar bar(steps, 1, *options.out, false);
    Logs logs;
    logs.set("loss", e.loss);
    for (const auto& [k, v] : e.metrics.items()) logs.set(k, v);
    bar.finish(logs);
  }
  return e;
}

Tensor Sequential::predict(const Tensor& x, const PredictOptions& options) {
  if (x.rank() < 1) throw Error("predict: input " + to_string(x.shape()) + " has no batch axis");
  return predict(data::TensorDataset(x, Tensor::zeros({x.dim(0)})), options);
}

Tensor Sequential::predict(const data::Dataset& data, const PredictOptions& options) {
  if (options.batch_size < 1)
    throw Error("predict: batch_size must be at least 1, got " + std::to_string(options.batch_size));
  check_input("predict", data.sample_shape());
  NoGradGuard no_grad;
  Shape out_shape = output_shape();
  out_shape.insert(out_shape.begin(), data.size());
  Tensor result(out_shape);
  const int64_t per_sample = data.size() ? result.size() / data.size() : 0;
  std::shared_ptr<const data::Dataset> view(&data, [](const data::Dataset*) {});
  data::Batches batches(view, options.batch_size, /*shuffle=*/false);
  data::Batch batch;
  for (int64_t offset = 0; batches.next(batch); offset += batch.x.dim(0)) {
    Tensor out = (*this)(batch.x, /*training=*/false);
    std::copy(out.data(), out.data() + out.size(), result.data() + offset * per_sample);
  }
  return result;
}

}  // namespace elucid
