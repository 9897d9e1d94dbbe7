// DataParallel: what fit() does with a Strategy of several ranks (distributed/strategy.hpp): start every rank from rank
// 0's model and optimizer, average the gradients of each global batch, sum the figures shown and recorded.
// One per fit() call; it keeps its exchange buffer from step to step.
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/distributed/strategy.hpp>
#include <elucid/optim/optimizer.hpp>

#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace elucid::distributed {

class DataParallel {
 public:
  explicit DataParallel(Strategy& strategy) : strategy_(strategy) {}
  Strategy& strategy() { return strategy_; }

  // Checks that every rank holds the same model (weight names and shapes; `architecture`, the model's Keras JSON,
  // which also covers layers without weights and their settings, such as a rate or a seed) and starts at the same
  // (epoch, batch), then copies rank 0's weights (all of them, trainable or not) and its optimizer state (step
  // count, slots, rate) to every rank: at the start of fit(), and so also when a run resumes from a checkpoint only
  // rank 0 could read. Nothing else: a layer that draws in training keys its draws by the step count and the global
  // sample index (core/random.hpp), which every rank then shares.
  void start(const std::vector<NamedTensor>& weights, std::string_view architecture, optimizers::Optimizer& optimizer,
             int64_t epoch, int64_t batch);

  // Turns each parameter's gradient, the mean over this rank's `count` samples, into the mean over the `total`
  // samples of the global batch: one allreduce of (gradient * count) for every parameter, packed into one buffer in
  // the order of `params`, then divided by total. A parameter that has a gradient on no rank is left without one
  // (the optimizer skips it, as in one process); one that has it on some ranks counts zeros for the others.
  void average_gradients(std::span<NamedTensor> params, int64_t count, int64_t total);

  // Averages these weights across ranks: BatchNormalization's moving statistics, which each rank updates from its
  // own slices, at the end of each epoch.
  void average(std::span<NamedTensor> weights);

  void sum(std::span<double> figures, const char* what) { strategy_.allreduce_sum(figures, what); }
  bool any(bool flag, const char* what);  // true on every rank when it is true on one

  // Floats sent by average_gradients for these parameters: their values plus one has-gradient flag each.
  static int64_t gradient_floats(std::span<const NamedTensor> params);

 private:
  Strategy& strategy_;
  std::vector<float> buffer_;
};

}  // namespace elucid::distributed
