// Keras' serialized objects in JSON, both ways (internal: includes saving/json.hpp): initializers, activations,
// optimizers with their learning-rate schedules, losses, metrics and the compile config. Reading accepts the
// tf.keras 2.x form ({"class_name", "config"}) and Keras 3's (with "module" and "registered_name"), and plain names.
#pragma once
#include <elucid/layers/activations.hpp>
#include <elucid/layers/initializers.hpp>
#include <elucid/train/compile_config.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/model/functional.hpp>
#include <elucid/model/sequential.hpp>

#include <optional>

namespace elucid::keras {

// "glorot_uniform", {"class_name": "GlorotUniform", "config": {"seed": null}}, or a VarianceScaling config that
// is one of the named ones. `who` names the layer for messages.
initializers::Initializer initializer_from_json(const json::Value& v, const std::string& who);
json::Json initializer_to_json(const initializers::Initializer& init);  // tf.keras 2.x form

// "elu", null (linear), or Keras 3's {"class_name": "function", "config": "elu"}.
activations::Activation activation_from_json(const json::Value& v, const std::string& who);
// The Keras name; an activation Keras cannot name (ELU with alpha != 1) throws naming `who`.
json::Json activation_to_json(const activations::Activation& a, const std::string& who);

// "adam" or {"class_name": "Adam", "config": {...}}. With `strict`, a config key that no Keras optimizer of this
// kind takes is an error with the nearest known key (recipes); without, it is ignored (Keras JSON).
std::shared_ptr<optimizers::Optimizer> optimizer_from_json(const json::Value& v, bool strict);
json::Json optimizer_to_json(const optimizers::Optimizer& optimizer);

losses::Loss loss_from_json(const json::Value& v, bool strict);
json::Json loss_to_json(const losses::Loss& loss);

// {"optimizer": ..., "loss": ..., "metrics": [...]} plus Keras 3's other compile_config keys (ignored when unset).
// A model of several outputs: "loss": [...] one per output, "metrics": [[...], [...]], "loss_weights": [...].
CompileConfig compile_config_from_json(const json::Value& v, bool strict);
json::Json compile_config_to_json(const CompileConfig& config);
// The compile settings of a compiled model: a copy of its optimizer, its losses, metrics and loss weights.
CompileConfig compile_config_of(const train::Trainer& model);
json::Json compile_config_to_json(const train::Trainer& model);  // as compile_config_to_json(compile_config_of(model))

// Keras 3's compile_config of a compiled model: {"optimizer": {"module": "keras.optimizers", ...}, "loss": {"module":
// "keras.losses", ...}, "loss_weights": null, "metrics": [...], "weighted_metrics": null, "run_eagerly": false,
// "steps_per_execution": 1, "jit_compile": false}; with several outputs, a list of losses, their weights and a list
// of metrics per output.
json::Json compile_config_to_keras3_json(const train::Trainer& model);

// Keras' to_snake_case: "MaxPooling2D" -> "max_pooling2d", "ReLU" -> "re_lu", "SparseCategoricalAccuracy" ->
// "sparse_categorical_accuracy". Keras names layers, optimizers and weight groups with it.
std::string snake_case(const std::string& name);

// A whole model.to_json() value (keras_json.cpp): the built model, and Keras 3's compile_config when present.
struct ModelJson {
  Sequential model;
  std::optional<CompileConfig> compile;
};
ModelJson read_model(const json::Value& v, int64_t max_bytes = kMaxModelBytes);
// A Functional model's JSON, tf.keras 2.x's (inbound_nodes as [[name, node, tensor, kwargs], ...]) or Keras 3's
// (inbound_nodes as {"args": [...__keras_tensor__...], "kwargs": {}}). Functional has no empty state: model is set
// by read_functional.
struct FunctionalJson {
  std::optional<Functional> model;
  std::optional<CompileConfig> compile;
};
FunctionalJson read_functional(const json::Value& v, int64_t max_bytes = kMaxModelBytes);
json::Json model_to_json(const Sequential& model);
json::Json model_to_keras3_json(const Sequential& model);
json::Json functional_to_keras3_json(const Functional& model);

// Keras' model.layers, the order its file formats walk: a Sequential's layers but the InputLayer, a Functional
// model's every layer (its InputLayers first).
std::vector<std::shared_ptr<layers::Layer>> keras_layers(const train::Trainer& model);
// The name tf.keras gives the model's InputLayer: the first layer's name + "_input" when that layer declared the
// input shape, else "input_1". model_to_json writes it; the ONNX graph's input takes it.
std::string input_layer_name(const Sequential& model);

}  // namespace elucid::keras
