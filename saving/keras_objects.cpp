// Keras' serialized objects: each reader checks types and refuses a set-but-unsupported option by name; each
// writer gives tf.keras 2.x's layout.
#include <elucid/saving/keras_objects.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/format.hpp>
#include <elucid/model/sequential.hpp>
#include <elucid/optim/optimizers.hpp>
#include <elucid/optim/schedules.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <regex>

namespace elucid::keras {

using json::Json;
using json::Value;

namespace {
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// {"class_name": X, "config": {...}} (Keras 3 adds "module" and "registered_name"): the class name and the config,
// which may be absent (an empty config stands in for it).
struct Serialized {
  std::string class_name;
  Value config;
};

const Json& empty_object() {
  static const Json empty = Json::object();
  return empty;
}

Serialized split(const Value& v) {
  v.require_object();
  Value config = v.has("config") ? v.at("config") : Value(empty_object(), v.source(), v.path() + ".config");
  config.require_object();
  return {v.at("class_name").as_string(), config};
}

// Runs `make`, turning an elucid::Error from a constructor (which knows no path) into one that names `v`; errors
// from reading `v`'s members name their path already and go on unchanged.
template <class F>
auto with_path(const Value& v, F make) {
  try {
    return make();
  } catch (const Error& e) {
    v.fail(e);
  }
}

std::optional<float> optional_float(const Value& config, const std::string& key) {
  if (!config.has(key)) return std::nullopt;
  return static_cast<float>(config.at(key).as_number());
}

// A key Keras writes with a "not used" value (null, false, 0); any other value is a feature elucid lacks.
void require_unset(const Value& config, const std::string& key, const std::string& feature) {
  if (!config.has(key)) return;
  const Json& j = config.at(key).json();
  if ((j.is_boolean() && !j.get<bool>()) || (j.is_number() && j.get<double>() == 0)) return;
  config.at(key).fail(feature + " is not supported");
}

// ---- learning-rate schedules ----

std::shared_ptr<const optimizers::schedules::Schedule> schedule_from_json(const Value& v) {
  using namespace optimizers::schedules;
  const Serialized s = split(v);
  const Value& c = s.config;
  if (s.class_name == "ExponentialDecay")
    return with_path(v, [&]() -> std::shared_ptr<const Schedule> {
      return std::make_shared<ExponentialDecay>(static_cast<float>(c.at("initial_learning_rate").as_number()),
                                                c.at("decay_steps").as_int(1, kMaxInt),
                                                static_cast<float>(c.at("decay_rate").as_number()),
                                                c.get_bool("staircase", false));
    });
  if (s.class_name == "PiecewiseConstantDecay")
    return with_path(v, [&]() -> std::shared_ptr<const Schedule> {
      std::vector<int64_t> boundaries;
      std::vector<float> values;
      for (const auto& b : c.at("boundaries").as_array()) boundaries.push_back(b.as_int(0, kMaxInt));
      for (const auto& x : c.at("values").as_array()) values.push_back(static_cast<float>(x.as_number()));
      return std::make_shared<PiecewiseConstantDecay>(boundaries, values);
    });
  if (s.class_name == "CosineDecay")
    return with_path(v, [&]() -> std::shared_ptr<const Schedule> {
      std::optional<float> target;
      if (c.has("warmup_target")) target = static_cast<float>(c.at("warmup_target").as_number());
      return std::make_shared<CosineDecay>(static_cast<float>(c.at("initial_learning_rate").as_number()),
                                           c.at("decay_steps").as_int(1, kMaxInt), c.get_number("alpha", 0.0), target,
                                           c.get_int("warmup_steps", 0, 0, kMaxInt));
    });
  v.fail("learning-rate schedule \"" + s.class_name +
         "\" is not supported; supported: ExponentialDecay, PiecewiseConstantDecay, CosineDecay");
}

Json schedule_to_json(const optimizers::schedules::Schedule& schedule) {
  using namespace optimizers::schedules;
  Json config = Json::object();
  if (auto* e = dynamic_cast<const ExponentialDecay*>(&schedule)) {
    config["initial_learning_rate"] = as_written(e->initial_learning_rate());
    config["decay_steps"] = e->decay_steps();
    config["decay_rate"] = as_written(e->decay_rate());
    config["staircase"] = e->staircase();
  } else if (auto* p = dynamic_cast<const PiecewiseConstantDecay*>(&schedule)) {
    config["boundaries"] = p->boundaries();
    Json values = Json::array();
    for (float x : p->values()) values.push_back(as_written(x));
    config["values"] = values;
  } else if (auto* c = dynamic_cast<const CosineDecay*>(&schedule)) {
    config["initial_learning_rate"] = as_written(c->initial_learning_rate());
    config["decay_steps"] = c->decay_steps();
    config["alpha"] = c->alpha();
    config["warmup_target"] = c->warmup_target() ? Json(as_written(*c->warmup_target())) : Json();
    config["warmup_steps"] = c->warmup_steps();
  } else {
    throw Error("learning-rate schedule " + schedule.name() + " cannot be written to JSON");
  }
  return Json{{"class_name", schedule.name()}, {"config", config}};
}

}  // namespace

// ---- initializers ----

initializers::Initializer initializer_from_json(const Value& v, const std::string& who) {
  using namespace initializers;
  if (v.is_string())
    return with_path(v, [&] { return Initializer(v.as_string()); });
  const Serialized s = split(v);
  const Value& c = s.config;
  std::optional<uint64_t> seed;
  if (c.has("seed")) seed = static_cast<uint64_t>(c.at("seed").as_int(0, kMaxInt));
  if (s.class_name == "VarianceScaling") {
    const double scale = c.get_number("scale", 1.0);
    const std::string mode = c.get_string("mode", "fan_in"), distribution = c.get_string("distribution", "truncated_normal");
    const bool uniform = distribution == "uniform", truncated = distribution == "truncated_normal";
    if (scale == 1.0 && mode == "fan_avg" && uniform) return glorot_uniform(seed);
    if (scale == 1.0 && mode == "fan_avg" && truncated) return glorot_normal(seed);
    if (scale == 2.0 && mode == "fan_in" && truncated) return he_normal(seed);
    if (scale == 2.0 && mode == "fan_in" && uniform) return he_uniform(seed);
    if (scale == 1.0 && mode == "fan_in" && truncated) return lecun_normal(seed);
    v.fail(who + ": VarianceScaling(scale=" + format_number(scale) + ", mode=" + mode + ", distribution=" +
           distribution + ") is not supported; supported: the Glorot, He and LeCun normal forms");
  }
  const Initializer base = with_path(v, [&] { return Initializer(s.class_name); });
  switch (base.kind()) {
    case Kind::RandomNormal:
      return random_normal(c.get_number("mean", 0.0), c.get_number("stddev", 0.05), seed);
    case Kind::RandomUniform:
      return random_uniform(c.get_number("minval", -0.05), c.get_number("maxval", 0.05), seed);
    case Kind::GlorotUniform: return glorot_uniform(seed);
    case Kind::GlorotNormal: return glorot_normal(seed);
    case Kind::HeNormal: return he_normal(seed);
    case Kind::HeUniform: return he_uniform(seed);
    case Kind::LecunNormal: return lecun_normal(seed);
    default: return base;  // Zeros, Ones
  }
}

Json initializer_to_json(const initializers::Initializer& init) {
  using initializers::Kind;
  const Json seed = init.seed() ? Json(*init.seed()) : Json();
  Json config = Json::object();
  switch (init.kind()) {
    case Kind::Zeros:
    case Kind::Ones: break;
    case Kind::RandomNormal:
      config["mean"] = init.mean();
      config["stddev"] = init.stddev();
      config["seed"] = seed;
      break;
    case Kind::RandomUniform:
      config["minval"] = init.minval();
      config["maxval"] = init.maxval();
      config["seed"] = seed;
      break;
    default: config["seed"] = seed;
  }
  return Json{{"class_name", init.class_name()}, {"config", config}};
}

// ---- activations ----

activations::Activation activation_from_json(const Value& v, const std::string& who) {
  (void)who;
  if (v.is_null()) return activations::linear();
  std::string name;
  if (v.is_object()) {
    // Keras 3 writes a plain function as {"module": "keras.activations", "class_name": "function", "config": "elu"}.
    const Value config = v.at("config");
    if (!config.is_string()) v.fail("an activation object is not supported; give the activation by name");
    name = config.as_string();
  } else {
    name = v.as_string();
  }
  return with_path(v, [&] { return activations::Activation(name); });
}

Json activation_to_json(const activations::Activation& a, const std::string& who) {
  if (a.kind() == activations::Kind::Elu && a.alpha() != 1.0)
    throw Error(who + ": activation elu with alpha " + format_number(a.alpha()) +
                " has no Keras JSON form (Keras names activations only); use an ELU layer instead");
  return a.name();
}

// ---- optimizers ----

std::shared_ptr<optimizers::Optimizer> optimizer_from_json(const Value& v, bool strict) {
  using namespace optimizers;
  std::string kind;
  Value c(empty_object(), v.source(), v.path() + ".config");
  if (v.is_string()) {
    kind = v.as_string();
  } else {
    const Serialized s = split(v);
    kind = s.class_name;
    c = s.config;
  }
  const std::string key = lower(kind);
  std::vector<std::string> known = {"name", "learning_rate", "weight_decay", "clipnorm", "clipvalue",
                                    "global_clipnorm", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                                    "jit_compile", "is_legacy_optimizer", "loss_scale_factor",
                                    "gradient_accumulation_steps", "decay"};
  const std::vector<std::string> own = key == "adam" || key == "adamw" ? std::vector<std::string>{"beta_1", "beta_2", "epsilon", "amsgrad"}
                                       : key == "sgd"                  ? std::vector<std::string>{"momentum", "nesterov"}
                                       : key == "rmsprop"              ? std::vector<std::string>{"rho", "momentum", "epsilon", "centered"}
                                       : key == "adagrad" ? std::vector<std::string>{"initial_accumulator_value", "epsilon"}
                                                          : std::vector<std::string>{};
  if (own.empty())
    v.fail("optimizer \"" + kind + "\" is not supported; supported: SGD, Adam, AdamW, RMSprop, Adagrad");
  known.insert(known.end(), own.begin(), own.end());
  if (strict) c.check_keys(known);
  require_unset(c, "use_ema", "use_ema (exponential moving average of the weights)");
  require_unset(c, "loss_scale_factor", "loss_scale_factor");
  require_unset(c, "gradient_accumulation_steps", "gradient_accumulation_steps");
  require_unset(c, "decay", "the legacy decay option (use a learning-rate schedule)");

  auto rate = [&](LearningRate fallback) -> LearningRate {
    if (!c.has("learning_rate")) return fallback;
    const Value lr = c.at("learning_rate");
    if (lr.is_object()) return LearningRate(schedule_from_json(lr));
    const double x = lr.as_number();
    if (!(x >= 0)) lr.fail("the learning rate must be 0 or more, got " + format_number(x));
    return static_cast<float>(x);
  };
  const auto weight_decay = optional_float(c, "weight_decay"), clipnorm = optional_float(c, "clipnorm"),
             clipvalue = optional_float(c, "clipvalue"), global_clipnorm = optional_float(c, "global_clipnorm");
  return with_path(v, [&]() -> std::shared_ptr<Optimizer> {
    if (key == "adam") {
      AdamOptions o;
      return std::make_shared<Adam>(AdamOptions{rate(o.learning_rate), c.get_number("beta_1", o.beta_1),
                                                c.get_number("beta_2", o.beta_2), c.get_number("epsilon", o.epsilon),
                                                c.get_bool("amsgrad", o.amsgrad), weight_decay, clipnorm, clipvalue,
                                                global_clipnorm});
    }
    if (key == "adamw") {
      AdamWOptions o;
      return std::make_shared<AdamW>(AdamWOptions{rate(o.learning_rate), weight_decay.value_or(o.weight_decay),
                                                  c.get_number("beta_1", o.beta_1), c.get_number("beta_2", o.beta_2),
                                                  c.get_number("epsilon", o.epsilon), c.get_bool("amsgrad", o.amsgrad),
                                                  clipnorm, clipvalue, global_clipnorm});
    }
    if (key == "sgd") {
      SGDOptions o;
      return std::make_shared<SGD>(SGDOptions{rate(o.learning_rate), c.get_number("momentum", o.momentum),
                                              c.get_bool("nesterov", o.nesterov), weight_decay, clipnorm, clipvalue,
                                              global_clipnorm});
    }
    if (key == "rmsprop") {
      RMSpropOptions o;
      return std::make_shared<RMSprop>(RMSpropOptions{rate(o.learning_rate), c.get_number("rho", o.rho),
                                                      c.get_number("momentum", o.momentum),
                                                      c.get_number("epsilon", o.epsilon),
                                                      c.get_bool("centered", o.centered), weight_decay, clipnorm,
                                                      clipvalue, global_clipnorm});
    }
    AdagradOptions o;
    return std::make_shared<Adagrad>(AdagradOptions{rate(o.learning_rate),
                                                    c.get_number("initial_accumulator_value", o.initial_accumulator_value),
                                                    c.get_number("epsilon", o.epsilon), weight_decay, clipnorm,
                                                    clipvalue, global_clipnorm});
  });
}

Json optimizer_to_json(const optimizers::Optimizer& optimizer) {
  Json config = Json::object();
  if (auto* schedule = optimizer.learning_rate_schedule()) config["learning_rate"] = schedule_to_json(*schedule);
  for (const auto& [key, value] : optimizer.config()) {
    if (key == "amsgrad" || key == "nesterov" || key == "centered") config[key] = value != 0;
    else config[key] = value;
  }
  return Json{{"class_name", optimizer.name()}, {"config", config}};
}

// ---- losses and metrics ----

losses::Loss loss_from_json(const Value& v, bool strict) {
  if (v.is_string()) return with_path(v, [&] { return losses::get(v.as_string()); });
  const Serialized s = split(v);
  const Value& c = s.config;
  if (strict) c.check_keys({"from_logits", "reduction", "name", "label_smoothing", "ignore_class", "axis"});
  const std::string reduction = c.get_string("reduction", "auto");
  if (reduction != "auto" && reduction != "sum_over_batch_size")
    c.at("reduction").fail("reduction \"" + reduction + "\" is not supported; elucid takes the batch mean");
  require_unset(c, "label_smoothing", "label_smoothing");
  require_unset(c, "ignore_class", "ignore_class");
  if (c.has("axis") && c.at("axis").as_int(-kMaxInt, kMaxInt) != -1) c.at("axis").fail("only axis -1 is supported");
  const bool from_logits = c.get_bool("from_logits", false);
  return with_path(v, [&] { return losses::get(s.class_name, {.from_logits = from_logits}); });
}

Json loss_to_json(const losses::Loss& loss) {
  Json config = Json::object();
  using K = losses::Loss::Kind;
  if (loss.kind() != K::MeanSquaredError && loss.kind() != K::MeanAbsoluteError) config["from_logits"] = loss.from_logits();
  return Json{{"class_name", loss.class_name()}, {"config", config}};
}

namespace {
// "accuracy", or {"class_name": "SparseCategoricalAccuracy", ...} -> "sparse_categorical_accuracy".
std::string metric_name(const Value& m) { return m.is_string() ? m.as_string() : snake_case(split(m).class_name); }
}  // namespace

// ---- compile config ----

namespace {
// Keras' dict by output name, {"digit": ..., "size": ...}, as against a serialized object (which has a class_name).
bool by_output_name(const Value& v) { return v.is_object() && !v.json().contains("class_name"); }

// A dict's entries, in the file's order: its keys (output names) and values.
std::vector<std::pair<std::string, Value>> entries_of(const Value& v) {
  std::vector<std::pair<std::string, Value>> entries;
  for (const auto& item : v.json().items()) entries.emplace_back(item.key(), v.at(item.key()));
  return entries;
}
}  // namespace

// "loss": one loss (a name or a serialized loss), a list of them, one per output, or a dict by output name.
// "metrics": a list of metrics for every output, a list of lists, one per output (an entry that is not a list is
// then a list of one, null a list of none), as tf.keras reads them, or a dict by output name.
// "loss_weights": a list, one per output, or a dict by output name.
CompileConfig compile_config_from_json(const Value& v, bool strict) {
  v.require_object();
  if (strict) v.check_keys({"optimizer", "loss", "metrics", "loss_weights"});
  if (v.has("weighted_metrics") && !v.at("weighted_metrics").json().empty())
    v.at("weighted_metrics").fail("weighted_metrics is not supported");
  CompileConfig config;
  if (v.has("optimizer")) config.optimizer = optimizer_from_json(v.at("optimizer"), strict);
  if (v.has("loss") && by_output_name(v.at("loss"))) {
    for (const auto& [output, loss] : entries_of(v.at("loss"))) {
      config.loss_outputs.push_back(output);
      config.losses.push_back(loss_from_json(loss, strict));
    }
  } else if (v.has("loss") && v.at("loss").is_array()) {
    for (const Value& loss : v.at("loss").as_array()) config.losses.push_back(loss_from_json(loss, strict));
  } else if (v.has("loss")) {
    config.losses.push_back(loss_from_json(v.at("loss"), strict));
  }
  if (v.has("loss") && config.losses.empty()) v.at("loss").fail("expected a loss, a list or a dict of them, got none");
  if (v.has("loss_weights") && by_output_name(v.at("loss_weights"))) {
    for (const auto& [output, weight] : entries_of(v.at("loss_weights"))) {
      config.loss_weight_outputs.push_back(output);
      config.loss_weights.push_back(weight.as_number());
    }
  } else if (v.has("loss_weights")) {
    for (const Value& w : v.at("loss_weights").as_array()) config.loss_weights.push_back(w.as_number());
  }
  // Each list of metrics (for every output, or one output's) with the values it came from, for their paths in errors.
  std::vector<std::vector<Value>> given;
  auto list_of = [](const Value& m) {  // an entry of a list or dict by output: a list, one metric, or none
    return m.is_array() ? m.as_array() : m.is_null() ? std::vector<Value>{} : std::vector<Value>{m};
  };
  if (v.has("metrics") && by_output_name(v.at("metrics"))) {
    for (const auto& [output, m] : entries_of(v.at("metrics"))) {
      config.metric_outputs.push_back(output);
      given.push_back(list_of(m));
    }
  } else if (v.has("metrics")) {
    const std::vector<Value> entries = v.at("metrics").as_array();
    const bool per_output = std::any_of(entries.begin(), entries.end(), [](const Value& m) { return m.is_array(); });
    if (!per_output) given.push_back(entries);
    for (size_t k = 0; per_output && k < entries.size(); ++k) given.push_back(list_of(entries[k]));
  }
  // The loss metric list k follows: the same output's, by name or by place, or the one loss for every output.
  auto loss_for = [&](size_t k) -> const losses::Loss& {
    if (!config.metric_outputs.empty() && !config.loss_outputs.empty())
      for (size_t i = 0; i < config.loss_outputs.size(); ++i)
        if (config.loss_outputs[i] == config.metric_outputs[k]) return config.losses[i];
    return config.losses[std::min(k, config.losses.size() - 1)];
  };
  for (size_t k = 0; k < given.size(); ++k) {
    config.metrics.emplace_back();
    for (const Value& m : given[k]) {
      config.metrics[k].push_back(metric_name(m));
      // Resolved now, so that a typo is reported with its path rather than at compile time.
      if (!config.losses.empty()) with_path(m, [&] { return metrics::get(config.metrics[k].back(), loss_for(k)); });
    }
  }
  return config;
}

// One loss and metrics for every output, as a model of one output has them; else a list of each, one per output.
Json compile_config_to_json(const CompileConfig& config) {
  Json j = Json::object();
  j["optimizer"] = config.optimizer ? optimizer_to_json(*config.optimizer) : Json("rmsprop");
  const bool one = config.losses.size() <= 1 && config.metrics.size() <= 1 &&
                   std::all_of(config.loss_weights.begin(), config.loss_weights.end(), [](double w) { return w == 1; });
  if (one) {
    j["loss"] = config.losses.empty() ? Json() : loss_to_json(config.losses[0]);
    j["metrics"] = config.metrics.empty() ? std::vector<std::string>{} : config.metrics[0];
    return j;
  }
  j["loss"] = Json::array();
  for (const losses::Loss& loss : config.losses) j["loss"].push_back(loss_to_json(loss));
  j["metrics"] = config.metrics;
  j["loss_weights"] = config.loss_weights;
  return j;
}

CompileConfig compile_config_of(const train::Trainer& model) {
  return {model.optimizer().clone(), model.losses(), model.output_metric_names(), model.loss_weights()};
}

Json compile_config_to_json(const train::Trainer& model) {
  // A non-owning handle to the optimizer: no copy of its state, the config lives only in this call.
  return compile_config_to_json(
      CompileConfig{std::shared_ptr<const optimizers::Optimizer>(&model.optimizer(), [](const optimizers::Optimizer*) {}),
                    model.losses(), model.output_metric_names(), model.loss_weights()});
}

namespace {
// A loss as Keras 3 serializes it: {"module": "keras.losses", "class_name": ..., "config": {name, reduction, ...}}.
Json loss_to_keras3_json(const losses::Loss& loss) {
  Json config = Json::object();
  using K = losses::Loss::Kind;
  config["name"] = loss.name();
  config["reduction"] = "sum_over_batch_size";
  if (loss.kind() != K::MeanSquaredError && loss.kind() != K::MeanAbsoluteError) config["from_logits"] = loss.from_logits();
  if (loss.kind() == K::SparseCategoricalCrossentropy) config["ignore_class"] = nullptr;
  if (loss.kind() == K::CategoricalCrossentropy || loss.kind() == K::BinaryCrossentropy) {
    config["label_smoothing"] = 0.0;
    config["axis"] = -1;
  }
  return Json{{"module", "keras.losses"}, {"class_name", loss.class_name()}, {"config", config},
              {"registered_name", nullptr}};
}
}  // namespace

Json compile_config_to_keras3_json(const train::Trainer& model) {
  const optimizers::Optimizer& optimizer = model.optimizer();
  // Keras 3's base optimizer keys in its order, null when unset; then the optimizer's own (beta_1, momentum, ...).
  Json config = Json::object();
  config["name"] = snake_case(optimizer.name());  // Keras' default name: "adam", "sgd", "rm_sprop"
  config["learning_rate"] = nullptr;
  for (const char* key : {"weight_decay", "clipnorm", "global_clipnorm", "clipvalue"}) config[key] = nullptr;
  config["use_ema"] = false;
  config["ema_momentum"] = 0.99;
  for (const char* key : {"ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"})
    config[key] = nullptr;
  if (auto* schedule = optimizer.learning_rate_schedule()) {
    const Json tf2 = schedule_to_json(*schedule);
    config["learning_rate"] = Json{{"module", "keras.optimizers.schedules"}, {"class_name", tf2.at("class_name")},
                                   {"config", tf2.at("config")}, {"registered_name", nullptr}};
  }
  for (const auto& [key, value] : optimizer.config()) {
    if (key == "amsgrad" || key == "nesterov" || key == "centered") config[key] = value != 0;
    else config[key] = value;
  }
  Json j = Json::object();
  j["optimizer"] = Json{{"module", "keras.optimizers"}, {"class_name", optimizer.name()}, {"config", config},
                        {"registered_name", nullptr}};
  // One loss and one list of metrics when the model has one output, else a list of each.
  const std::vector<losses::Loss>& losses = model.losses();
  const std::vector<double>& weights = model.loss_weights();
  if (losses.size() == 1) {
    j["loss"] = loss_to_keras3_json(losses[0]);
    j["loss_weights"] = weights[0] == 1 ? Json() : Json(weights);
    j["metrics"] = model.output_metric_names()[0];
  } else {
    j["loss"] = Json::array();
    for (const losses::Loss& loss : losses) j["loss"].push_back(loss_to_keras3_json(loss));
    j["loss_weights"] = weights;
    j["metrics"] = model.output_metric_names();
  }
  j["weighted_metrics"] = nullptr;
  j["run_eagerly"] = false;
  j["steps_per_execution"] = 1;
  j["jit_compile"] = false;
  return j;
}

std::vector<std::shared_ptr<layers::Layer>> keras_layers(const train::Trainer& model) {
  if (const auto* functional = dynamic_cast<const Functional*>(&model)) return functional->layers();
  std::vector<std::shared_ptr<layers::Layer>> out;
  for (const auto& layer : dynamic_cast<const Sequential&>(model).layers())
    if (layer->class_name() != "InputLayer") out.push_back(layer);
  return out;
}

std::string snake_case(const std::string& name) {
  // The three substitutions of keras/src/utils/naming.py, in order.
  std::string s = std::regex_replace(name, std::regex(R"(\W+)"), "");
  s = std::regex_replace(s, std::regex("(.)([A-Z][a-z]+)"), "$1_$2");
  s = std::regex_replace(s, std::regex("([a-z])([A-Z])"), "$1_$2");
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace elucid::keras

namespace elucid {

namespace {
// values[i] is for output keys[i] (a Keras dict): the values in the order of the model's outputs, `missing` for an
// output the dict leaves out (or an error naming it when there is no such default).
template <class T>
std::vector<T> in_output_order(const std::vector<T>& values, const std::vector<std::string>& keys,
                               const std::vector<std::string>& outputs, const char* what, const std::optional<T>& missing) {
  if (keys.empty()) return values;
  for (const std::string& key : keys)
    if (std::find(outputs.begin(), outputs.end(), key) == outputs.end()) {
      std::string names;
      for (const std::string& name : outputs) names += (names.empty() ? "\"" : ", \"") + name + "\"";
      throw Error(std::string("compile: ") + what + " names output \"" + key + "\"; the model's outputs are " +
                  (names.empty() ? "unnamed" : names));
    }
  std::vector<T> ordered;
  for (const std::string& output : outputs) {
    const auto found = std::find(keys.begin(), keys.end(), output);
    if (found != keys.end()) ordered.push_back(values[static_cast<size_t>(found - keys.begin())]);
    else if (missing) ordered.push_back(*missing);
    else throw Error(std::string("compile: ") + what + " has no entry for output \"" + output + "\"");
  }
  return ordered;
}
}  // namespace

void CompileConfig::apply(train::Trainer& model) const {
  if (losses.empty()) throw Error("compile: no loss given");
  const std::vector<std::string> outputs = model.output_names();
  model.compile(optimizer ? *optimizer : *optimizers::get("rmsprop"),
                in_output_order<losses::Loss>(losses, loss_outputs, outputs, "loss", std::nullopt),
                in_output_order<std::vector<std::string>>(metrics, metric_outputs, outputs, "metrics",
                                                          std::vector<std::string>{}),
                in_output_order<double>(loss_weights, loss_weight_outputs, outputs, "loss_weights", 1.0));
}

}  // namespace elucid
