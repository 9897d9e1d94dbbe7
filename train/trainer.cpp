// Trainer: compile, the training step over slices and ranks, fit's epochs and batches, evaluate and predict.
#include <elucid/train/trainer.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/format.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/parallel.hpp>
#include <elucid/core/random.hpp>
#include <elucid/data/tensor_dataset.hpp>
#include <elucid/distributed/data_parallel.hpp>
#include <elucid/train/interrupt.hpp>
#include <elucid/train/progress_bar.hpp>

#include <algorithm>
#include <cmath>
#include <exception>

namespace elucid::train {

double Evaluation::first_metric() const {
  if (metrics.empty()) throw Error("evaluate: the model was compiled without metrics, so there is only the loss");
  return metrics.items().front().second;
}

void StepFigures::add(const StepFigures& step) {
  loss_sum += step.loss_sum;
  sample_count += step.sample_count;
  for (size_t i = 0; i < metric_sums.size(); ++i) {
    metric_sums[i].first += step.metric_sums[i].first;
    metric_sums[i].second += step.metric_sums[i].second;
  }
}

namespace {
// Each figure summed over the ranks, in one allreduce: loss_sum, sample_count, then each metric's total and count.
void sum_over_ranks(distributed::DataParallel& parallel, StepFigures& figures, const char* what) {
  std::vector<double> flat{figures.loss_sum, figures.sample_count};
  for (const auto& [total, count] : figures.metric_sums) flat.insert(flat.end(), {total, count});
  parallel.sum(flat, what);
  figures.loss_sum = flat[0], figures.sample_count = flat[1];
  for (size_t i = 0; i < figures.metric_sums.size(); ++i) figures.metric_sums[i] = {flat[2 + 2 * i], flat[3 + 2 * i]};
}

double mean(double total, double count) { return count > 0 ? total / count : 0.0; }
}  // namespace

// ---- weights ----

std::vector<NamedTensor> Trainer::get_weights() const {
  auto all = weights();
  for (auto& w : all) w.tensor = w.tensor.clone();
  return all;
}

void Trainer::set_weights(const std::vector<NamedTensor>& new_weights) {
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

int64_t Trainer::count_params() const {
  int64_t n = 0;
  for (const auto& w : weights()) n += w.tensor.size();
  return n;
}

void Trainer::save(const std::string& path, const SaveOptions& options) const {
  write_file_atomically(path, file_bytes(options));
}

// ---- compile ----

void Trainer::compile(const optimizers::Optimizer& optimizer, const losses::Loss& loss,
                      std::vector<std::string> metric_names) {
  compile(optimizer, std::vector<losses::Loss>{loss}, {std::move(metric_names)});
}

void Trainer::compile(const std::string& optimizer, const std::string& loss, std::vector<std::string> metric_names) {
  compile(*optimizers::get(optimizer), losses::get(loss), std::move(metric_names));
}

void Trainer::compile(const optimizers::Optimizer& optimizer, std::vector<losses::Loss> losses,
                      std::vector<std::vector<std::string>> metric_names, std::vector<double> loss_weights) {
  const size_t outputs = output_count();
  // Each output's name; one layer giving two outputs names them "out" and "out_1", as tf.keras does.
  std::vector<std::string> given = output_names(), names;
  given.resize(outputs);
  for (size_t k = 0; k < outputs; ++k) {
    if (given[k].empty()) given[k] = "output_" + std::to_string(k);
    const auto earlier = std::count(given.begin(), given.begin() + static_cast<std::ptrdiff_t>(k), given[k]);
    names.push_back(earlier == 0 ? given[k] : given[k] + "_" + std::to_string(earlier));
  }
  auto count_error = [&](const char* what, size_t count) {
    return Error("compile: the model has " + std::to_string(outputs) + " output" + (outputs == 1 ? "" : "s") + ", " +
                 std::to_string(count) + " " + what + " given (one for every output, or one each)");
  };
  if (losses.size() == 1) losses.resize(outputs, losses[0]);
  if (losses.size() != outputs) throw count_error("losses", losses.size());
  if (metric_names.empty()) metric_names.emplace_back();
  if (metric_names.size() == 1) metric_names.resize(outputs, metric_names[0]);
  if (metric_names.size() != outputs) throw count_error("lists of metrics", metric_names.size());
  if (loss_weights.empty()) loss_weights.assign(outputs, 1.0);
  if (loss_weights.size() != outputs)
    throw Error("compile: the model has " + std::to_string(outputs) + " output" + (outputs == 1 ? "" : "s") + ", " +
                std::to_string(loss_weights.size()) + " loss_weights given");
  for (const double w : loss_weights)
    if (!std::isfinite(w) || w < 0) throw Error("compile: loss weight " + format_number(w) + " is not finite and >= 0");
  // Each output's figures are named after it when there are several ("digit_loss", "digit_accuracy"), as Keras 3.
  auto figure_name = [&](size_t k, const std::string& what) { return outputs == 1 ? what : names[k] + "_" + what; };
  std::vector<metrics::Metric> resolved;
  std::vector<size_t> metric_outputs;
  std::vector<std::string> figures;
  for (size_t k = 0; outputs > 1 && k < outputs; ++k) figures.push_back(figure_name(k, "loss"));
  for (size_t k = 0; k < outputs; ++k)
    for (const auto& name : metric_names[k]) {
      resolved.push_back(metrics::get(name, losses[k]));
      metric_outputs.push_back(k);
      figures.push_back(figure_name(k, resolved.back().name()));
    }
  optimizer_ = optimizer.clone();
  losses_ = std::move(losses);
  loss_weights_ = std::move(loss_weights);
  metric_names_ = std::move(metric_names);
  metrics_ = std::move(resolved);
  metric_outputs_ = std::move(metric_outputs);
  figure_names_ = std::move(figures);
  running_ = no_figures();  // one (total, count) per figure, as fit_state() and checkpoints expect
}

optimizers::Optimizer& Trainer::optimizer() {
  require_compiled("optimizer");
  return *optimizer_;
}

const optimizers::Optimizer& Trainer::optimizer() const {
  require_compiled("optimizer");
  return *optimizer_;
}

const losses::Loss& Trainer::loss() const {
  require_compiled("loss");
  if (losses_.size() != 1)
    throw Error("loss: the model has " + std::to_string(losses_.size()) + " outputs, each with its loss (losses())");
  return losses_[0];
}

const std::vector<std::string>& Trainer::metric_names() const {
  require_compiled("metric_names");
  if (metric_names_.size() != 1)
    throw Error("metric_names: the model has " + std::to_string(metric_names_.size()) +
                " outputs, each with its metrics (output_metric_names())");
  return metric_names_[0];
}

const std::vector<losses::Loss>& Trainer::losses() const {
  require_compiled("losses");
  return losses_;
}

const std::vector<double>& Trainer::loss_weights() const {
  require_compiled("loss_weights");
  return loss_weights_;
}

const std::vector<std::vector<std::string>>& Trainer::output_metric_names() const {
  require_compiled("output_metric_names");
  return metric_names_;
}

void Trainer::require_compiled(const char* who) const {
  if (!optimizer_) throw Error(std::string(who) + ": the model must be compiled first (call compile())");
}

// ---- the model through its hooks, as the data give it: one x and one y per sample ----

// Builds the model for these samples if it is not built yet (so before any thread runs a slice), then checks that
// it takes them.
void Trainer::check_input(const std::string& who, const Shape& sample_shape, const char* what) {
  check_inputs(who, {sample_shape}, what);
}

void Trainer::check_input(const std::string& who, const data::Dataset& data, const char* what) {
  check_inputs(who, data.input_shapes(), what);
}

void Trainer::check_inputs(const std::string& who, const std::vector<Shape>& given, const char* what) {
  const std::vector<Shape> takes = build_for(given);
  if (takes.size() != given.size())
    throw Error(who + ": the model takes " + std::to_string(takes.size()) + " input" + (takes.size() == 1 ? "" : "s") +
                "; the data give " + std::to_string(given.size()) + " per sample");
  const std::vector<std::string> names = input_names();
  for (size_t k = 0; k < takes.size(); ++k) {
    if (takes[k] == given[k]) continue;
    if (takes.size() == 1)
      throw Error(who + ": " + what + " of shape " + to_string(given[0]) + " do not match the model's input " +
                  to_string(takes[0]));
    const std::string input = "input " + std::to_string(k) + (k < names.size() ? " \"" + names[k] + "\"" : "");
    throw Error(who + ": " + what + ": " + input + " has shape " + to_string(given[k]) + "; the model takes " +
                to_string(takes[k]));
  }
}

namespace {
// packed (N, the sum of the shapes' sizes), each sample's parts one after another, as one tensor per shape
// (N, ...shape). One shape: packed itself, as the data gave it.
std::vector<Tensor> unpack(const Tensor& packed, std::span<const Shape> shapes) {
  if (shapes.size() == 1) return {packed};
  const int64_t n = packed.dim(0);
  const int64_t total = packed.size() / std::max<int64_t>(n, 1);
  std::vector<Tensor> parts;
  int64_t offset = 0;
  for (const Shape& shape : shapes) {
    Shape batch = {n};
    batch.insert(batch.end(), shape.begin(), shape.end());
    Tensor part(batch);
    const int64_t size = numel(shape);
    for (int64_t i = 0; i < n; ++i) std::copy_n(packed.data() + i * total + offset, size, part.data() + i * size);
    offset += size;
    parts.push_back(std::move(part));
  }
  return parts;
}
}  // namespace

std::vector<Tensor> Trainer::forward_packed(const Tensor& x, bool training) {
  return forward(unpack(x, input_shapes()), training);
}

std::vector<Tensor> Trainer::infer_packed(const Tensor& x) {
  const int64_t n = x.dim(0);
  const int64_t slices = std::max<int64_t>((n + kInferenceSliceSamples - 1) / kInferenceSliceSamples, 1);
  if (slices == 1) {
    NoGradGuard no_grad;
    return forward_packed(x, /*training=*/false);
  }
  std::vector<std::vector<Tensor>> outputs(static_cast<size_t>(slices));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(slices));
#pragma omp parallel for schedule(dynamic, 1) if (team_threads() > 1)
  for (int64_t s = 0; s < slices; ++s) {
    try {
      NoGradGuard no_grad;  // on this slice's thread
      outputs[s] = forward_packed(data::samples_of(x, data::part_of(n, s, slices)), /*training=*/false);
    } catch (...) {
      errors[s] = std::current_exception();
    }
  }
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  std::vector<Tensor> whole;
  for (size_t k = 0; k < outputs[0].size(); ++k) {
    Shape shape = outputs[0][k].shape();
    shape[0] = n;
    Tensor out = Tensor::empty(shape);
    float* to = out.data();
    for (const auto& slice : outputs) to = std::copy_n(slice[k].data(), slice[k].size(), to);
    whole.push_back(std::move(out));
  }
  return whole;
}

// Tensors by name (inputs or labels, `what` "input" or "output") in the order of `names`, the model's.
std::vector<Tensor> Trainer::ordered(const NamedInputs& x, const std::vector<std::string>& names, const char* what,
                                     const char* who) {
  if (names.empty())
    throw Error(std::string(who) + ": the model has no " + what + " names; give them as a list");
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::find(names.begin(), names.end(), x[i].first) == names.end())
      throw Error(std::string(who) + ": the model has no " + what + " named \"" + x[i].first + "\"; its first is \"" +
                  names[0] + "\" of " + std::to_string(names.size()));
    for (size_t j = 0; j < i; ++j)
      if (x[j].first == x[i].first)
        throw Error(std::string(who) + ": " + what + " \"" + x[i].first + "\" is given twice");
  }
  std::vector<Tensor> tensors;
  for (const std::string& name : names) {
    const auto it = std::find_if(x.begin(), x.end(), [&](const auto& named) { return named.first == name; });
    if (it == x.end())
      throw Error(std::string(who) + ": no " + what + " named \"" + name + "\" among the " + std::to_string(x.size()) +
                  " given");
    tensors.push_back(it->second);
  }
  return tensors;
}

Shape Trainer::single_output_shape() const {
  const std::vector<Shape> shapes = output_shapes();
  if (shapes.size() != 1)
    throw Error("predict: the model gives " + std::to_string(shapes.size()) + " outputs; predict_outputs gives each");
  return shapes[0];
}

Shape Trainer::input_shape() const {
  const std::vector<Shape> shapes = input_shapes();
  if (shapes.size() != 1) throw Error("the model takes " + std::to_string(shapes.size()) + " inputs, not one");
  return shapes[0];
}

Shape Trainer::output_shape() const {
  const std::vector<Shape> shapes = output_shapes();
  if (shapes.size() != 1) throw Error("the model gives " + std::to_string(shapes.size()) + " outputs, not one");
  return shapes[0];
}

size_t Trainer::output_count() const { return built() ? output_shapes().size() : 1; }

std::vector<Shape> Trainer::label_shapes() const {
  const std::vector<Shape> outputs = output_shapes();
  std::vector<Shape> shapes;
  for (size_t k = 0; k < outputs.size(); ++k)
    shapes.push_back(losses_[k].kind() == losses::Loss::Kind::SparseCategoricalCrossentropy ? Shape{} : outputs[k]);
  return shapes;
}

void Trainer::check_labels(const std::string& who, const data::Dataset& data) {
  if (losses_.empty()) return;
  const std::vector<Shape> outputs = output_shapes(), given = data.label_shapes();
  const std::vector<std::string> names = output_names();
  if (given.size() != outputs.size())
    throw Error(who + ": the model gives " + std::to_string(outputs.size()) + " output" +
                (outputs.size() == 1 ? "" : "s") + "; the data hold " + std::to_string(given.size()) + " label" +
                (given.size() == 1 ? "" : "s") + " per sample");
  // Several labels are unpacked by the shapes the losses take: each must have as many numbers.
  const std::vector<Shape> takes = label_shapes();
  for (size_t k = 0; outputs.size() > 1 && k < outputs.size(); ++k)
    if (numel(given[k]) != numel(takes[k]))
      throw Error(who + ": label " + std::to_string(k) + " has shape " + to_string(given[k]) + "; output " +
                  std::to_string(k) + (k < names.size() ? " \"" + names[k] + "\"" : "") + " with " +
                  losses_[k].name() + " takes " + to_string(takes[k]));
  using Kind = losses::Loss::Kind;
  bool classes_to_check = false;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const Kind kind = losses_[k].kind();
    if (kind == Kind::SparseCategoricalCrossentropy && outputs.size() == 1 && !given[k].empty())
      throw Error(who + ": sparse_categorical_crossentropy needs one class index per sample, labels have shape " +
                  to_string(given[k]));
    classes_to_check = classes_to_check || kind == Kind::SparseCategoricalCrossentropy ||
                       kind == Kind::CategoricalCrossentropy;
  }
  if (!classes_to_check) return;
  // Labels are checked before the first step so that a bad file fails at once, not hours in. Reading them is the
  // check of one-hot labels made from class indices (data::one_hot throws on an index out of range).
  const int64_t sample = numel(data.sample_shape()), label = numel(data.label_shape());
  const int64_t chunk = 1024;
  std::vector<float> x(static_cast<size_t>(chunk * sample)), y(static_cast<size_t>(chunk * label));
  std::vector<int64_t> indices;
  for (int64_t begin = 0; begin < data.size(); begin += chunk) {
    const int64_t end = std::min(data.size(), begin + chunk);
    indices.clear();
    for (int64_t i = begin; i < end; ++i) indices.push_back(i);
    data.fill(indices, x.data(), y.data());
    int64_t offset = 0;  // of output k's label within a sample's labels
    for (size_t k = 0; k < outputs.size(); offset += numel(given[k]), ++k) {
      if (losses_[k].kind() != Kind::SparseCategoricalCrossentropy) continue;
      const int64_t classes = outputs[k].empty() ? 1 : outputs[k].back();
      const std::string of_output = outputs.size() == 1 ? "" : " for output " + std::to_string(k);
      for (int64_t i = begin; i < end; ++i) {
        const float index = y[static_cast<size_t>((i - begin) * label + offset)];
        if (!(index >= 0 && index < static_cast<float>(classes)) || index != std::floor(index))
          throw Error(who + ": label " + format_number(index) + " of sample " + std::to_string(i) + of_output +
                      " is not a class index in [0, " + std::to_string(classes) + ") for the model's " +
                      std::to_string(classes) + " outputs");
      }
    }
    for (size_t j = 0; j < static_cast<size_t>((end - begin) * sample); ++j)
      if (!std::isfinite(x[j]))
        throw Error(who + ": input of sample " + std::to_string(begin + static_cast<int64_t>(j) / sample) + " holds " +
                    format_number(x[j]) + " at element " + std::to_string(static_cast<int64_t>(j) % sample));
  }
}

RunFigures Trainer::run_figures(bool validation) const {
  RunFigures figures;
  figures.batch.push_back("loss");
  for (const auto& name : figure_names_) figures.batch.push_back(name);
  figures.epoch = figures.batch;
  if (validation)
    for (const auto& name : figures.batch) figures.epoch.push_back("val_" + name);
  return figures;
}

// ---- the training step ----

StepFigures Trainer::no_figures() const {
  return {0.0, 0.0, std::vector<std::pair<double, double>>(figure_names_.size(), {0.0, 0.0})};
}

Logs Trainer::logs_of(const StepFigures& figures) const {
  Logs logs;
  logs.set("loss", mean(figures.loss_sum, figures.sample_count));
  for (size_t i = 0; i < figure_names_.size(); ++i)
    logs.set(figure_names_[i], mean(figures.metric_sums[i].first, figures.metric_sums[i].second));
  return logs;
}

Tensor Trainer::total_loss(const std::vector<Tensor>& outputs, const std::vector<Tensor>& labels,
                           StepFigures& figures) const {
  if (outputs.size() != losses_.size())
    throw Error("the model gave " + std::to_string(outputs.size()) + " outputs, compiled with " +
                std::to_string(losses_.size()) + " losses");
  const auto n = static_cast<double>(outputs[0].dim(0));
  Tensor total;
  for (size_t k = 0; k < outputs.size(); ++k) {
    Tensor loss = losses_[k](outputs[k], labels[k]);
    if (loss_weights_[k] != 1.0) loss = ops::mul_scalar(loss, static_cast<float>(loss_weights_[k]));
    if (outputs.size() > 1) {  // each output's weighted loss, as Keras 3 logs it
      figures.metric_sums[k].first += static_cast<double>(loss.item()) * n;
      figures.metric_sums[k].second += n;
    }
    total = k == 0 ? loss : ops::add(total, loss);
  }
  return total;
}

void Trainer::update_metrics(const std::vector<Tensor>& outputs, const std::vector<Tensor>& labels) {
  for (size_t i = 0; i < metrics_.size(); ++i) metrics_[i].update(outputs[metric_outputs_[i]], labels[metric_outputs_[i]]);
}

void Trainer::take_metric_sums(StepFigures& figures) const {
  const size_t losses = figure_names_.size() - metrics_.size();  // each output's loss first, when there are several
  for (size_t i = 0; i < metrics_.size(); ++i) figures.metric_sums[losses + i] = metrics_[i].sums();
}

// The forward and backward of a batch (under data-parallel training, this rank's part of the global batch): leaves
// in each trainable weight's gradient that of the mean loss over x's samples, and returns the step's figures over
// these samples. A batch large enough is cut into slices run at once on the thread team (train/batch_split.hpp)
// unless the model cannot train in slices (BatchNormalization: its statistics are the whole batch's); each slice's
// loss, its mean, is weighed by its share of the samples. The model is built already (check_input).
// x's samples start at `first_sample` of the global batch: each forward pass runs with the RunPosition of its
// samples and of this step (the optimizer's count of steps taken), which keys the draws of the layers that draw
// random numbers in training (core/random.hpp). y holds each sample's labels, one after another when the model has
// several outputs (Dataset::label_shapes).
StepFigures Trainer::forward_backward(const Tensor& x, const Tensor& y, int64_t first_sample) {
  StepFigures figures = no_figures();
  const int64_t n = x.dim(0);
  if (n == 0) return figures;
  const bool sliceable = y.rank() >= 1 && y.dim(0) == n;  // else the loss names the mismatch, unsliced
  // A model with BatchNormalization: the slices meet at it for the batch's statistics (core/slice_group.hpp).
  const bool meet = needs_whole_batch();
  int64_t slices = sliceable ? BatchSplit::slices_for(n, count_params(), meet) : 1;
  if (meet && !BatchSplit::can_meet(slices)) slices = 1;
  const std::vector<Shape> label_shapes = this->label_shapes();
  std::vector<std::vector<Tensor>> outputs(slices), labels(slices);
  std::vector<StepFigures> slice_figures(slices, no_figures());
  const auto training_step = static_cast<uint64_t>(optimizer_->iterations());
  auto step = [&](int64_t s, int64_t begin, const Tensor& xs, const Tensor& ys) {
    const RunPosition::Scope position({training_step, first_sample + begin});  // on this slice's thread
    outputs[s] = forward_packed(xs, /*training=*/true);
    labels[s] = unpack(ys, label_shapes);
    Tensor loss = total_loss(outputs[s], labels[s], slice_figures[s]);
    slice_figures[s].loss_sum = static_cast<double>(loss.item()) * static_cast<double>(xs.dim(0));
    if (slices > 1) loss = ops::mul_scalar(loss, static_cast<float>(xs.dim(0)) / static_cast<float>(n));
    loss.backward();
  };
  if (slices == 1) {
    step(0, 0, x, y);
  } else {
    std::vector<Tensor> leaves;
    for (const auto& w : weights())
      if (w.tensor.requires_grad()) leaves.push_back(w.tensor);
    batch_split_.run(x, y, slices, meet, leaves, [&](int64_t s, data::Part part, const Tensor& xs, const Tensor& ys) {
      step(s, part.begin, xs, ys);
    });
  }
  for (int64_t s = 0; s < slices; ++s) figures.add(slice_figures[s]);  // in slice order: the same bits at any count
  figures.sample_count = static_cast<double>(n);
  for (auto& m : metrics_) m.reset();
  for (int64_t s = 0; s < slices; ++s) update_metrics(outputs[s], labels[s]);
  take_metric_sums(figures);
  return figures;
}

// One optimizer step. Under data-parallel training x and y are this rank's part of the global batch (perhaps
// empty), from its sample `first_sample`: the ranks' figures are summed first, which gives the global batch's size
// for the gradient average; then every rank takes the same optimizer step and adds the same global figures.
Logs Trainer::train_step(const Tensor& x, const Tensor& y, distributed::DataParallel* parallel, int64_t first_sample) {
  StepFigures figures = forward_backward(x, y, first_sample);
  auto params = trainable_weights();
  if (parallel) {
    sum_over_ranks(*parallel, figures, "the loss and metrics of a step");
    parallel->average_gradients(params, x.dim(0), static_cast<int64_t>(figures.sample_count));
  }
  optimizer_->step(params);
  for (auto& p : params) p.tensor.zero_grad();
  running_.add(figures);
  return logs_of(running_);
}

Logs Trainer::train_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("train_on_batch");
  if (x.rank() < 1 || y.rank() < 1 || x.dim(0) != y.dim(0))
    throw Error("train_on_batch: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                " must hold the same number of samples");
  check_input("train_on_batch", Shape(x.shape().begin() + 1, x.shape().end()));
  if (output_count() != 1)
    throw Error("train_on_batch: the model gives " + std::to_string(output_count()) +
                " outputs; it takes one label tensor (fit takes a label per output)");
  running_ = no_figures();
  return train_step(x, y, nullptr, 0);
}

Logs Trainer::test_on_batch(const Tensor& x, const Tensor& y) {
  Evaluation e = evaluate(x, y, {.batch_size = static_cast<int>(std::max<int64_t>(1, x.rank() ? x.dim(0) : 1))});
  Logs logs;
  logs.set("loss", e.loss);
  for (const auto& [k, v] : e.metrics.items()) logs.set(k, v);
  return logs;
}

// ---- fit ----

// One fit() call: what it trains on and how, and where it stands (what fit_state() reads).
struct Trainer::Run {
  const FitOptions& options;
  distributed::Strategy& strategy;
  std::shared_ptr<const data::Dataset> validation;
  data::Batches batches;
  std::optional<distributed::DataParallel> parallel = {};
  int verbose = 0;           // options.verbose on rank 0, 0 on the others: only rank 0 prints
  bool interactive = false;  // the progress bar redraws one line
  History history = {};
  int epoch = 0;             // the epoch under way
  int64_t batch = 0;         // its batches taken
  data::Batch data = {};     // the batch in hand, its buffers kept from batch to batch
};

History Trainer::fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  if (x.rank() < 1 || y.rank() < 1 || x.dim(0) != y.dim(0))
    throw Error("fit: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                " must hold the same number of samples");
  return fit(std::make_shared<data::TensorDataset>(x, y), options);
}

History Trainer::fit(const Inputs& x, const Tensor& y, const FitOptions& options) {
  return fit(std::make_shared<data::TensorDataset>(x, y), options);
}

History Trainer::fit(const NamedInputs& x, const Tensor& y, const FitOptions& options) {
  return fit(ordered(x, input_names(), "input", "fit"), y, options);
}

History Trainer::fit(const Tensor& x, const Labels& y, const FitOptions& options) {
  return fit(Inputs{x}, y, options);
}

History Trainer::fit(const Inputs& x, const Labels& y, const FitOptions& options) {
  return fit(std::make_shared<data::TensorDataset>(x, y), options);
}

History Trainer::fit(const NamedInputs& x, const Labels& y, const FitOptions& options) {
  return fit(ordered(x, input_names(), "input", "fit"), y, options);
}

History Trainer::fit(const Tensor& x, const NamedLabels& y, const FitOptions& options) {
  return fit(x, ordered(y, output_names(), "output", "fit"), options);
}

History Trainer::fit(const Inputs& x, const NamedLabels& y, const FitOptions& options) {
  return fit(x, ordered(y, output_names(), "output", "fit"), options);
}

History Trainer::fit(const NamedInputs& x, const NamedLabels& y, const FitOptions& options) {
  return fit(x, ordered(y, output_names(), "output", "fit"), options);
}

History Trainer::fit(const std::shared_ptr<const data::Dataset>& all, const FitOptions& options) {
  distributed::SingleProcess single;
  distributed::Strategy& strategy = options.strategy ? *options.strategy : single;
  if (strategy.size() == 1) return run_fit(all, options, strategy);
  // With several ranks an error on one of them (a file it cannot write, a rank that died) would leave the others
  // waiting in the next collective: every error ends the whole job, with its message.
  try {
    return run_fit(all, options, strategy);
  } catch (const Interrupted& e) {  // Ctrl-C: rank 0 wrote its checkpoint (the elucid command's status 130)
    strategy.abort(e.what(), 130);
  } catch (const std::exception& e) {
    strategy.abort(e.what());  // does not return
  }
  return {};
}

void Trainer::check_fit(const std::shared_ptr<const data::Dataset>& data, const FitOptions& options) {
  check_run(data, options);
}

// check_fit_options, then each callback's figures.
std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> Trainer::check_run(
    const std::shared_ptr<const data::Dataset>& all, const FitOptions& options) {
  auto sets = check_fit_options(all, options);
  RunFigures figures = run_figures(sets.second != nullptr);
  for (const auto& cb : options.callbacks)
    if (cb) cb->check_figures(figures);
  return sets;
}

History Trainer::run_fit(const std::shared_ptr<const data::Dataset>& all, const FitOptions& options,
                         distributed::Strategy& strategy) {
  const auto [train, validation] = check_run(all, options);
  if (class_names.empty()) class_names = train->class_names();
  Run run{options, strategy, validation,
          data::Batches(train, options.batch_size, options.shuffle, options.seed.value_or(random_seed()))};
  const FitState start = resume_from(options, run.batches.num_batches());
  run.history = start.history;
  run.epoch = start.epoch;
  run.batch = start.batch;
  run.verbose = strategy.is_chief() ? options.verbose : 0;
  run.interactive = is_terminal(*options.out);
  if (strategy.size() > 1) {
    run.parallel.emplace(strategy);
    run.parallel->start(weights(), to_json(), *optimizer_, start.epoch, start.batch);
  }
  stop_training = false;
  // fit_state() must not point into this frame once it returns, exceptions included.
  run_ = &run;
  struct Forget {
    const Run*& run;
    ~Forget() { run = nullptr; }
  } forget{run_};
  Logs train_logs;
  for (auto& cb : options.callbacks) {
    cb->model = this;
    cb->params = {.epochs = options.epochs, .steps = run.batches.num_batches()};
  }
  for (auto& cb : options.callbacks) cb->on_train_begin(train_logs);
  if (options.resume)
    for (size_t i = 0; i < options.callbacks.size(); ++i) options.callbacks[i]->load_state(start.callback_states[i].second);
  for (int epoch = start.epoch; epoch < options.epochs && !stop_training; ++epoch)
    run_epoch(run, epoch, epoch == start.epoch && start.batch > 0 ? &start : nullptr);
  for (auto& cb : options.callbacks) cb->on_train_end(train_logs);
  return run.history;
}

// Every option and the data, checked before the first step so that a bad run fails at once and not hours in.
// Returns the training and validation sets: validation_split takes the last samples, before shuffling (as Keras).
std::pair<std::shared_ptr<const data::Dataset>, std::shared_ptr<const data::Dataset>> Trainer::check_fit_options(
    const std::shared_ptr<const data::Dataset>& all, const FitOptions& options) {
  require_compiled("fit");
  if (!all) throw Error("fit: the data set is null");
  if (options.batch_size < 1) throw Error("fit: batch_size must be at least 1, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw Error("fit: epochs must be 0 or more, got " + std::to_string(options.epochs));
  if (options.initial_epoch < 0 || options.initial_epoch > options.epochs)
    throw Error("fit: initial_epoch " + std::to_string(options.initial_epoch) + " is outside [0, epochs = " +
                std::to_string(options.epochs) + "]");
  if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
    throw Error("fit: validation_split must be in [0, 1), got " + format_number(options.validation_split));
  if (all->size() == 0) throw Error("fit: the training data set is empty");
  check_input("fit", *all);

  std::shared_ptr<const data::Dataset> train = all, validation = options.validation_data;
  if (options.validation_split > 0) {
    if (validation) throw Error("fit: give validation_split or validation_data, not both");
    auto [t, v] = data::split_last(all, options.validation_split);
    train = t;
    validation = v;
  }
  check_labels("fit", *train);
  if (validation) {
    check_input("fit", *validation, "validation samples");
    check_labels("fit (validation data)", *validation);
  }
  return {train, validation};
}

// Where the run starts: options.resume, once it is known to fit this run (its epochs and batches, the compiled
// metrics, the callbacks by kind and order), or else the start of initial_epoch.
FitState Trainer::resume_from(const FitOptions& options, int64_t batches_per_epoch) const {
  if (!options.resume) {
    FitState start = {};
    static_cast<StepFigures&>(start) = no_figures();
    start.epoch = options.initial_epoch;
    return start;
  }
  const FitState& r = *options.resume;
  if (r.epoch < 0 || r.epoch > options.epochs || r.batch < 0 || r.batch > batches_per_epoch)
    throw Error("fit: cannot resume at epoch " + std::to_string(r.epoch + 1) + ", batch " + std::to_string(r.batch) +
                " of a run of " + std::to_string(options.epochs) + " epochs of " + std::to_string(batches_per_epoch) +
                " batches");
  if (r.metric_sums.size() != figure_names_.size())
    throw Error("fit: the state to resume has " + std::to_string(r.metric_sums.size()) + " metrics, the model " +
                std::to_string(figure_names_.size()));
  if (r.callback_states.size() != options.callbacks.size())
    throw Error("fit: the state to resume has " + std::to_string(r.callback_states.size()) + " callbacks, this run " +
                std::to_string(options.callbacks.size()));
  for (size_t i = 0; i < options.callbacks.size(); ++i)
    if (r.callback_states[i].first != options.callbacks[i]->name())
      throw Error("fit: callback " + std::to_string(i + 1) + " of the state to resume is " + r.callback_states[i].first +
                  ", in this run " + options.callbacks[i]->name());
  return r;
}

// One epoch: its batches, the moving statistics averaged over the ranks, the validation, the history. `resume` is
// the state of a run stopped inside this epoch: the same order from the same (seed, epoch), the batches already
// taken skipped, the running figures as they were.
void Trainer::run_epoch(Run& run, int epoch, const FitState* resume) {
  const FitOptions& options = run.options;
  std::ostream& out = *options.out;
  Logs logs;
  run.epoch = epoch;
  run.batch = 0;
  for (auto& cb : options.callbacks) cb->on_epoch_begin(epoch, logs);
  if (run.verbose) out << "Epoch " << epoch + 1 << "/" << options.epochs << "\n" << std::flush;
  ProgressBar bar(run.batches.num_batches(), run.verbose, out, run.interactive);
  running_ = no_figures();
  int64_t step = 0;
  if (resume) {
    run.batches.seek({epoch, resume->batch});
    step = resume->batch;
    running_ = *resume;  // its StepFigures
  } else {
    run.batches.start_epoch(epoch);
  }
  distributed::DataParallel* parallel = run.parallel ? &*run.parallel : nullptr;
  for (; run.batches.next(run.data, run.strategy.rank(), run.strategy.size()); ++step) {
    Logs batch_logs;
    for (auto& cb : options.callbacks) cb->on_train_batch_begin(step, batch_logs);
    follow_free_cores();  // this batch's team: the cores other processes leave free (core/parallel.hpp)
    // This rank's part of the global batch, as Batches::next took it: samples [begin, begin + its size).
    batch_logs = train_step(run.data.x, run.data.y, parallel, run.data.begin);
    run.batch = step + 1;
    for (auto& cb : options.callbacks) cb->on_train_batch_end(step, batch_logs);
    bar.update(step + 1, batch_logs);
    // Every rank must leave the loop after the same batch, or the others would wait in its next collective.
    if (parallel) stop_training = parallel->any(stop_training, "stop_training after a batch");
    if (stop_training) break;
  }
  if (parallel) {  // each rank updated its moving statistics from its own parts of the batches
    auto moving = non_trainable_weights();
    parallel->average(moving);
  }
  logs = logs_of(running_);
  if (run.validation) {
    Evaluation v = evaluate_batches(run.validation, options.batch_size, parallel);
    logs.set("val_loss", v.loss);
    for (const auto& [name, value] : v.metrics.items()) logs.set("val_" + name, value);
  }
  bar.finish(logs);
  for (auto& cb : options.callbacks) cb->on_epoch_end(epoch, logs);
  if (parallel) stop_training = parallel->any(stop_training, "stop_training after an epoch");
  run.history.append(epoch, logs);
}

FitState Trainer::fit_state() const {
  if (!run_) throw Error("fit_state: only available while fit() runs");
  FitState s;
  static_cast<StepFigures&>(s) = running_;
  s.epoch = run_->epoch;
  s.batch = run_->batch;
  s.history = run_->history;
  for (const auto& cb : run_->options.callbacks) s.callback_states.emplace_back(cb->name(), cb->state());
  return s;
}

// ---- evaluation and prediction ----

Evaluation Trainer::evaluate_batches(std::shared_ptr<const data::Dataset> data, int batch_size,
                                     distributed::DataParallel* parallel) {
  NoGradGuard no_grad;
  StepFigures figures = no_figures();
  for (auto& m : metrics_) m.reset();
  data::Batches batches(std::move(data), batch_size, /*shuffle=*/false);
  data::Batch batch;
  const std::vector<Shape> label_shapes = this->label_shapes();
  const int rank = parallel ? parallel->strategy().rank() : 0, ranks = parallel ? parallel->strategy().size() : 1;
  while (batches.next(batch, rank, ranks)) {
    if (batch.x.dim(0) == 0) continue;
    follow_free_cores();
    const std::vector<Tensor> outputs = infer_packed(batch.x);
    const std::vector<Tensor> labels = unpack(batch.y, label_shapes);
    const Tensor loss = total_loss(outputs, labels, figures);
    figures.loss_sum += static_cast<double>(loss.item()) * static_cast<double>(batch.x.dim(0));
    figures.sample_count += static_cast<double>(batch.x.dim(0));
    update_metrics(outputs, labels);
  }
  take_metric_sums(figures);
  if (parallel) sum_over_ranks(*parallel, figures, "the validation figures");  // each rank evaluated its parts
  Evaluation e;
  e.loss = mean(figures.loss_sum, figures.sample_count);
  for (size_t i = 0; i < figure_names_.size(); ++i)
    e.metrics.set(figure_names_[i], mean(figures.metric_sums[i].first, figures.metric_sums[i].second));
  return e;
}

Evaluation Trainer::evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options) {
  if (x.rank() < 1 || y.rank() < 1 || x.dim(0) != y.dim(0))
    throw Error("evaluate: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                " must hold the same number of samples");
  return evaluate(data::TensorDataset(x, y), options);
}

Evaluation Trainer::evaluate(const Inputs& x, const Tensor& y, const EvaluateOptions& options) {
  return evaluate(data::TensorDataset(x, y), options);
}

Evaluation Trainer::evaluate(const NamedInputs& x, const Tensor& y, const EvaluateOptions& options) {
  return evaluate(ordered(x, input_names(), "input", "evaluate"), y, options);
}

Evaluation Trainer::evaluate(const Tensor& x, const Labels& y, const EvaluateOptions& options) {
  return evaluate(Inputs{x}, y, options);
}

Evaluation Trainer::evaluate(const Inputs& x, const Labels& y, const EvaluateOptions& options) {
  return evaluate(data::TensorDataset(x, y), options);
}

Evaluation Trainer::evaluate(const NamedInputs& x, const Labels& y, const EvaluateOptions& options) {
  return evaluate(ordered(x, input_names(), "input", "evaluate"), y, options);
}

Evaluation Trainer::evaluate(const Tensor& x, const NamedLabels& y, const EvaluateOptions& options) {
  return evaluate(x, ordered(y, output_names(), "output", "evaluate"), options);
}

Evaluation Trainer::evaluate(const Inputs& x, const NamedLabels& y, const EvaluateOptions& options) {
  return evaluate(x, ordered(y, output_names(), "output", "evaluate"), options);
}

Evaluation Trainer::evaluate(const NamedInputs& x, const NamedLabels& y, const EvaluateOptions& options) {
  return evaluate(x, ordered(y, output_names(), "output", "evaluate"), options);
}

Evaluation Trainer::evaluate(const data::Dataset& data, const EvaluateOptions& options) {
  require_compiled("evaluate");
  if (options.batch_size < 1)
    throw Error("evaluate: batch_size must be at least 1, got " + std::to_string(options.batch_size));
  if (data.size() == 0) throw Error("evaluate: the data set is empty");
  check_input("evaluate", data);
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

Evaluation Trainer::evaluate(const std::shared_ptr<const data::Dataset>& data, const EvaluateOptions& options) {
  if (!data) throw Error("evaluate: the data set is null");
  return evaluate(*data, options);
}

Tensor Trainer::predict(const Tensor& x, const PredictOptions& options) {
  if (x.rank() < 1) throw Error("predict: input " + to_string(x.shape()) + " has no batch axis");
  return predict(data::TensorDataset(x, Tensor::zeros({x.dim(0)})), options);
}

Tensor Trainer::predict(const Inputs& x, const PredictOptions& options) {
  if (x.empty() || x[0].rank() < 1) throw Error("predict: no inputs, or an input without a batch axis");
  return predict(data::TensorDataset(x, Tensor::zeros({x[0].dim(0)})), options);
}

Tensor Trainer::predict(const NamedInputs& x, const PredictOptions& options) {
  return predict(ordered(x, input_names(), "input", "predict"), options);
}

Tensor Trainer::predict(const data::Dataset& data, const PredictOptions& options) {
  check_input("predict", data);
  single_output_shape();  // a model of several outputs: predict_outputs
  return std::move(predict_outputs(data, options)[0]);
}

std::vector<Tensor> Trainer::predict_outputs(const Tensor& x, const PredictOptions& options) {
  return predict_outputs(Inputs{x}, options);
}

std::vector<Tensor> Trainer::predict_outputs(const Inputs& x, const PredictOptions& options) {
  if (x.empty() || x[0].rank() < 1) throw Error("predict: no inputs, or an input without a batch axis");
  return predict_outputs(data::TensorDataset(x, Tensor::zeros({x[0].dim(0)})), options);
}

std::vector<Tensor> Trainer::predict_outputs(const NamedInputs& x, const PredictOptions& options) {
  return predict_outputs(ordered(x, input_names(), "input", "predict"), options);
}

std::vector<Tensor> Trainer::predict_outputs(const data::Dataset& data, const PredictOptions& options) {
  if (options.batch_size < 1)
    throw Error("predict: batch_size must be at least 1, got " + std::to_string(options.batch_size));
  check_input("predict", data);
  NoGradGuard no_grad;
  std::vector<Tensor> results;
  for (Shape shape : output_shapes()) {
    shape.insert(shape.begin(), data.size());
    results.emplace_back(shape);
  }
  std::shared_ptr<const data::Dataset> view(&data, [](const data::Dataset*) {});
  data::Batches batches(view, options.batch_size, /*shuffle=*/false);
  data::Batch batch;
  for (int64_t offset = 0; batches.next(batch); offset += batch.x.dim(0)) {
    follow_free_cores();
    const std::vector<Tensor> outputs = infer_packed(batch.x);
    for (size_t k = 0; k < outputs.size(); ++k) {
      const int64_t per_sample = outputs[k].size() / std::max<int64_t>(batch.x.dim(0), 1);
      std::copy(outputs[k].data(), outputs[k].data() + outputs[k].size(), results[k].data() + offset * per_sample);
    }
  }
  return results;
}

Tensor Trainer::predict(const std::shared_ptr<const data::Dataset>& data, const PredictOptions& options) {
  if (!data) throw Error("predict: the data set is null");
  return predict(*data, options);
}

}  // namespace elucid::train
