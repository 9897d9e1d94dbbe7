// Optimizer: the base of SGD, Adam, AdamW, RMSprop and Adagrad. It owns the step counter and the per-parameter
// slots (momentum, velocity, ...) keyed by parameter name, and runs one step in Keras 3's order (BaseOptimizer.apply):
// skip parameters without a gradient, clip the gradients, decay the weights, update each parameter, count the step.
//
// Each optimizer takes an options struct written with designated initializers, Adam({.learning_rate = 1e-3f,
// .amsgrad = true}). Every member has a default (`= {}` for the optional ones), so any may be left out without a
// -Wmissing-field-initializers warning. Hyperparameters are doubles, like Keras' Python floats.
#pragma once
#include <elucid/core/tensor.hpp>
#include <elucid/optim/learning_rate.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace elucid::optimizers {

// What a checkpoint keeps of an optimizer: plain values for model/ to write out.
struct OptimizerState {
  struct Slot {
    std::string name;           // parameter name + "/" + Keras slot name: "conv2d/kernel/momentum"
    std::vector<float> values;  // one per element of the parameter
  };
  int64_t iterations = 0;   // steps taken
  float learning_rate = 0;  // the current rate; load_state restores it unless the rate is a schedule
  std::vector<Slot> slots;  // parameters in the order the optimizer first saw them, each one's slots in Keras order
};

// The options every Keras optimizer takes (BaseOptimizer): the rate, decoupled weight decay, and at most one of the
// three gradient clippings.
// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct CommonOptions {
  LearningRate learning_rate;
  std::optional<float> weight_decay, clipnorm, clipvalue, global_clipnorm;
};

// Hyperparameters as key/values in Keras get_config order, for compile_config / to_json (booleans are 0 or 1).
using Config = std::vector<std::pair<std::string, double>>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::unique_ptr<Optimizer> clone() const = 0;  // a full copy, state included

  const std::string& name() const { return name_; }  // Keras class name: "Adam"

  // One update of every parameter that has a gradient (tensor.has_grad()), in place and without recording a graph;
  // then the step counter advances once. The first step creates each parameter's slots; a later step with a
  // parameter of another size is an error. An empty list does nothing (Keras too); a list in which no parameter has
  // a gradient is an error (Keras: "No gradients provided for any variable").
  void step(std::span<NamedTensor> params);

  float learning_rate() const { return learning_rate_.at(iterations_); }  // the rate the next step will use
  // Replaces a constant rate (ReduceLROnPlateau, LearningRateScheduler). An optimizer made with a schedule refuses,
  // as Keras does: its rate follows the schedule.
  void set_learning_rate(float learning_rate);
  const schedules::Schedule* learning_rate_schedule() const { return learning_rate_.schedule(); }  // null if constant
  int64_t iterations() const { return iterations_; }

  OptimizerState state() const;
  // The slots each parameter has, in Keras order (Adam: momentum, velocity): what a Keras 3 file's optimizer
  // variables hold per parameter after iterations and learning_rate.
  std::vector<std::string> state_slot_names() const { return slot_names(); }
  // Restores a state() of an optimizer of the same kind and options. Throws elucid::Error naming the slot that is
  // unknown, missing or of the wrong size, and leaves this optimizer unchanged.
  void load_state(const OptimizerState& state);

  // learning_rate (when constant), weight_decay and the clipping that are set, then the optimizer's own.
  Config config() const;

 protected:
  Optimizer(std::string name, CommonOptions options);
  Optimizer(const Optimizer&) = default;
  Optimizer& operator=(const Optimizer&) = default;

  // The per-parameter slots in Keras order ("momentum", "velocity"), created for each parameter on first sight.
  virtual std::vector<std::string> slot_names() const = 0;
  virtual float slot_initial_value() const { return 0.0f; }  // Adagrad starts its accumulator above zero
  // Updates one parameter: w and the (clipped) gradient g have the same size, slots[k] holds slot_names()[k].
  // `learning_rate` is the rate of this step; iterations() is still the number of steps taken before it.
  virtual void update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots,
                      float learning_rate) = 0;
  virtual Config own_config() const = 0;

 private:
  struct ParamSlots {
    std::string name;
    int64_t size = -1;  // -1: not known yet (restored without slots)
    std::vector<std::vector<float>> slots;
    uint64_t seen_in_call = 0;  // finds a name given twice in one step
  };
  size_t find_or_add(const std::string& name, int64_t size);
  float global_clip_scale(std::span<NamedTensor> params) const;
  std::span<const float> clipped_gradient(Tensor& param, float global_scale);

  std::string name_;
  LearningRate learning_rate_;
  std::optional<float> weight_decay_, clipnorm_, clipvalue_, global_clipnorm_;
  int64_t iterations_ = 0;
  std::vector<ParamSlots> params_;  // in first-seen order
  std::unordered_map<std::string, size_t> index_;
  uint64_t calls_ = 0;
  std::vector<size_t> resolved_;  // per step: params_ index of each given parameter (reused, no allocation)
  std::vector<float> scratch_;    // the clipped gradient of one parameter (reused)
};

}  // namespace elucid::optimizers
