// The optimizer step shared by all optimizers (clipping, weight decay, step counter) and state save/restore.
// Order and formulas follow keras/src/optimizers/base_optimizer.py (Keras 3): _clip_gradients, then
// _apply_weight_decay, then update_step per variable, then iterations += 1; the rate is the schedule's value at the
// iterations counted before the step.
#include <elucid/optim/optimizer.hpp>

#include <elucid/core/error.hpp>
#include <elucid/optim/check_option.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace elucid::optimizers {

namespace {
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string join(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

// Sum of squares in double, so the norm does not depend on how a large tensor's sum would round in float.
double sum_of_squares(std::span<const float> g) {
  double sum = 0;
  for (float x : g) sum += static_cast<double>(x) * x;
  return sum;
}
}  // namespace

Optimizer::Optimizer(std::string name, CommonOptions options)
    : name_(std::move(name)),
      learning_rate_(std::move(options.learning_rate)),
      weight_decay_(options.weight_decay),
      clipnorm_(options.clipnorm),
      clipvalue_(options.clipvalue),
      global_clipnorm_(options.global_clipnorm) {
  if (learning_rate_.is_constant()) {
    const float lr = learning_rate_.constant();
    check_option(lr >= 0 && std::isfinite(lr), name_, "learning_rate", lr, ">= 0");
  }
  if (weight_decay_)
    check_option(*weight_decay_ >= 0 && std::isfinite(*weight_decay_), name_, "weight_decay", *weight_decay_, ">= 0");
  // Keras ignores a clipping <= 0; here it is an error, as it is almost surely a mistake.
  const std::pair<const char*, const std::optional<float>*> clips[] = {
      {"clipnorm", &clipnorm_}, {"clipvalue", &clipvalue_}, {"global_clipnorm", &global_clipnorm_}};
  std::string set;
  for (auto [option, value] : clips) {
    if (!*value) continue;
    check_option(**value > 0 && std::isfinite(**value), name_, option, **value, "> 0");
    set += (set.empty() ? "" : " and ") + std::string(option) + "=" + format_number(**value);
  }
  if ((clipnorm_.has_value() + clipvalue_.has_value() + global_clipnorm_.has_value()) > 1)
    throw Error(name_ + ": only one of clipnorm, clipvalue and global_clipnorm can be set, got " + set);
}

void Optimizer::set_learning_rate(float learning_rate) {
  if (!learning_rate_.is_constant())
    throw Error(name_ + ": the learning rate follows a " + learning_rate_.schedule()->name() +
                " schedule and cannot be set; give the optimizer a constant learning_rate to change it while "
                "training");
  check_option(learning_rate >= 0 && std::isfinite(learning_rate), name_, "learning_rate", learning_rate, ">= 0");
  learning_rate_ = LearningRate(learning_rate);
}

size_t Optimizer::find_or_add(const std::string& name, int64_t size) {
  auto it = index_.find(name);
  if (it == index_.end()) {
    const size_t index = params_.size();
    const std::vector<float> init(static_cast<size_t>(size), slot_initial_value());
    params_.push_back({name, size, std::vector<std::vector<float>>(slot_names().size(), init), 0});
    index_.emplace(name, index);
    return index;
  }
  ParamSlots& p = params_[it->second];
  if (p.size >= 0 && p.size != size)
    throw Error(name_ + ".step: parameter " + quoted(name) + " has " + std::to_string(size) + " values, but the " +
                "optimizer's state was made for " + std::to_string(p.size) + " (a changed model, or a state restored " +
                "from another one?)");
  p.size = size;
  return it->second;
}

// Keras clip_by_global_norm: scale = clipnorm * min(1 / norm, 1 / clipnorm) + (norm - norm), the last term making
// every gradient NaN when the norm is not finite.
float Optimizer::global_clip_scale(std::span<NamedTensor> params) const {
  double sum = 0;
  for (auto& p : params)
    if (p.tensor.has_grad()) sum += sum_of_squares({p.tensor.grad_data(), static_cast<size_t>(p.tensor.size())});
  const float norm = std::sqrt(static_cast<float>(sum));
  const float clip = *global_clipnorm_;
  const float inverse_norm = norm > 0 ? 1.0f / norm : std::numeric_limits<float>::infinity();
  return clip * std::min(inverse_norm, 1.0f / clip) + (norm - norm);
}

// The gradient to use: the parameter's own, or a clipped copy in scratch_ (the tensor's gradient is left as it is).
std::span<const float> Optimizer::clipped_gradient(Tensor& param, float global_scale) {
  const size_t n = static_cast<size_t>(param.size());
  const float* g = param.grad_data();
  if (!clipnorm_ && !clipvalue_ && !global_clipnorm_) return {g, n};
  if (scratch_.size() < n) scratch_.resize(n);
  float* out = scratch_.data();
  if (clipnorm_) {
    // Keras _clip_by_norm: g * clipnorm / max(l2norm(g), clipnorm); an all-zero gradient stays zero.
    const float clip = *clipnorm_;
    const float denominator = std::max(std::sqrt(static_cast<float>(sum_of_squares({g, n}))), clip);
    for (size_t i = 0; i < n; ++i) out[i] = g[i] * clip / denominator;
  } else if (global_clipnorm_) {
    for (size_t i = 0; i < n; ++i) out[i] = g[i] * global_scale;
  } else {
    // Keras ops.clip(g, -clipvalue, clipvalue).
    const float v = *clipvalue_;
    for (size_t i = 0; i < n; ++i) out[i] = std::clamp(g[i], -v, v);
  }
  return {out, n};
}

void Optimizer::step(std::span<NamedTensor> params) {
  if (params.empty()) return;
  // Check every parameter (and create missing slots) before changing any weight.
  ++calls_;
  resolved_.clear();
  bool any_gradient = false;
  for (auto& p : params) {
    if (!p.tensor.defined()) throw Error(name_ + ".step: parameter " + quoted(p.name) + " is an undefined tensor");
    const size_t index = find_or_add(p.name, p.tensor.size());
    if (params_[index].seen_in_call == calls_)
      throw Error(name_ + ".step: parameter " + quoted(p.name) + " is given twice");
    params_[index].seen_in_call = calls_;
    resolved_.push_back(index);
    any_gradient = any_gradient || p.tensor.has_grad();
  }
  if (!any_gradient)
    throw Error(name_ + ".step: none of the " + std::to_string(params.size()) + " parameters (" +
                quoted(params[0].name) + ", ...) has a gradient; was backward() called on the loss?");

  NoGradGuard no_grad;
  const float lr = learning_rate();
  const float global_scale = global_clipnorm_ ? global_clip_scale(params) : 1.0f;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor& param = params[i].tensor;
    if (!param.has_grad()) continue;
    std::span<const float> g = clipped_gradient(param, global_scale);
    std::span<float> w = param.values();
    if (weight_decay_) {
      // Keras _apply_weight_decay (decoupled, before the update): w = w - w * weight_decay * lr.
      const float wd = *weight_decay_;
      for (float& x : w) x = x - x * wd * lr;
    }
    update(w, g, params_[resolved_[i]].slots, lr);
  }
  ++iterations_;  // once per step, however many tensors (tiny-dnn's adam counted per tensor)
}

OptimizerState Optimizer::state() const {
  OptimizerState state{iterations_, learning_rate(), {}};
  const std::vector<std::string> names = slot_names();
  for (const auto& p : params_)
    for (size_t k = 0; k < names.size(); ++k) state.slots.push_back({p.name + "/" + names[k], p.slots[k]});
  return state;
}

void Optimizer::load_state(const OptimizerState& state) {
  const std::string where = name_ + ".load_state: ";
  if (state.iterations < 0) throw Error(where + "iterations must be >= 0, got " + std::to_string(state.iterations));
  if (learning_rate_.is_constant() && !(state.learning_rate >= 0 && std::isfinite(state.learning_rate)))
    throw Error(where + "learning_rate must be >= 0, got " + format_number(state.learning_rate));

  // Group the slots by parameter: "conv2d/kernel/momentum" is slot "momentum" of parameter "conv2d/kernel".
  const std::vector<std::string> names = slot_names();
  std::vector<ParamSlots> params;
  std::vector<std::vector<bool>> filled;
  std::unordered_map<std::string, size_t> index;
  for (const auto& slot : state.slots) {
    const size_t cut = slot.name.rfind('/');
    const auto k = cut == std::string::npos
                       ? names.end()
                       : std::find(names.begin(), names.end(), slot.name.substr(cut + 1));
    if (k == names.end())
      throw Error(where + "slot " + quoted(slot.name) + " is not one of " + name_ + "'s slots (" + join(names) + ")");
    const std::string param = slot.name.substr(0, cut);
    const auto size = static_cast<int64_t>(slot.values.size());
    auto [it, added] = index.try_emplace(param, params.size());
    if (added) {
      params.push_back({param, size, std::vector<std::vector<float>>(names.size()), 0});
      filled.emplace_back(names.size(), false);
    }
    ParamSlots& p = params[it->second];
    const size_t s = static_cast<size_t>(k - names.begin());
    if (filled[it->second][s]) throw Error(where + "slot " + quoted(slot.name) + " appears twice");
    if (size != p.size)
      throw Error(where + "slot " + quoted(slot.name) + " holds " + std::to_string(size) + " values but the other " +
                  "slots of " + quoted(param) + " hold " + std::to_string(p.size));
    p.slots[s] = slot.values;
    filled[it->second][s] = true;
  }
  for (size_t i = 0; i < params.size(); ++i)
    for (size_t s = 0; s < names.size(); ++s)
      if (!filled[i][s]) throw Error(where + "slot " + quoted(params[i].name + "/" + names[s]) + " is missing");

  // An optimizer that has already stepped must get back the same parameters, of the same sizes.
  if (!params_.empty() && !names.empty()) {
    for (const auto& mine : params_) {
      auto it = index.find(mine.name);
      if (it == index.end()) throw Error(where + "the state has no slots for parameter " + quoted(mine.name));
      if (mine.size >= 0 && params[it->second].size != mine.size)
        throw Error(where + "slot " + quoted(mine.name + "/" + names[0]) + " holds " +
                    std::to_string(params[it->second].size) + " values but parameter " + quoted(mine.name) +
                    " has " + std::to_string(mine.size));
    }
    for (const auto& theirs : params)
      if (!index_.count(theirs.name))
        throw Error(where + "the state has slots for parameter " + quoted(theirs.name) +
                    ", which this optimizer has not seen");
  }

  params_ = std::move(params);
  index_ = std::move(index);
  iterations_ = state.iterations;
  if (learning_rate_.is_constant()) learning_rate_ = LearningRate(state.learning_rate);
}

Config Optimizer::config() const {
  Config config;
  if (learning_rate_.is_constant()) config.push_back({"learning_rate", as_written(learning_rate_.constant())});
  if (weight_decay_) config.push_back({"weight_decay", as_written(*weight_decay_)});
  if (clipnorm_) config.push_back({"clipnorm", as_written(*clipnorm_)});
  if (global_clipnorm_) config.push_back({"global_clipnorm", as_written(*global_clipnorm_)});
  if (clipvalue_) config.push_back({"clipvalue", as_written(*clipvalue_)});
  for (auto& entry : own_config()) config.push_back(std::move(entry));
  return config;
}

}  // namespace elucid::optimizers
