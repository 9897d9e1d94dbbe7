// Keras model JSON in and out. model_from_json reads a Sequential model and functional_from_json a Functional one as
// tf.keras 2.x or Keras 3 writes them with model.to_json(); to_json writes tf.keras 2.x's layout key for key, so that
// Keras reads it back, and to_keras3_json Keras 3's (Sequential).
//
//   Sequential model = elucid::model_from_json(elucid::read_file("seed_model.json"), "seed_model.json");
//   Functional resnet = elucid::functional_from_json(elucid::read_file("resnet.json"), "resnet.json");
//   std::string text = model.to_json();
#pragma once
#include <elucid/model/functional.hpp>
#include <elucid/model/sequential.hpp>
#include <elucid/saving/model_file.hpp>

#include <string>

namespace elucid {

// Builds the model (weights initialised from elucid::random_seed(), as Sequential::add does) and, when the JSON
// holds Keras 3's compile_config, compiles it. `source` names the text in messages, usually its path.
// Unknown keys inside layer configs are ignored; a set option elucid does not support (a regularizer, a
// constraint, channels_first, a Conv2DTranspose's groups > 1, an unknown layer class) is an elucid::Error naming
// the source, the JSON path, the layer and the option. A model whose weights would take more than kMaxModelBytes is refused before any
// weight is allocated, with the bytes it would need (`max_bytes` lowers the limit: a model file's architecture may
// not ask for more weights than the file holds).
inline constexpr int64_t kMaxModelBytes = int64_t{4} << 30;  // 4 GiB of float32 weights
Sequential model_from_json(const std::string& text, const std::string& source = "model JSON",
                           int64_t max_bytes = kMaxModelBytes);

// A Keras model's JSON of either kind, parsed once: a Sequential (class_name "Sequential") in the result's `model`,
// anything else read as a Functional model into `functional`; compiled when it holds a compile_config.
ModelFile any_model_from_json(const std::string& text, const std::string& source = "model JSON",
                              int64_t max_bytes = kMaxModelBytes);

// A Functional model's JSON as tf.keras 2.x (class_name "Functional" or "Model") or Keras 3 writes it: the layers with
// their inbound_nodes, input_layers and output_layers. The layers are read as model_from_json reads them; the graph is
// made call by call as Keras makes it, and checked: a call naming a missing layer or call, a cycle, a layer name used
// twice, shapes a merge layer cannot take — an elucid::Error naming the source, the JSON path, the layers and shapes.
Functional functional_from_json(const std::string& text, const std::string& source = "model JSON",
                                int64_t max_bytes = kMaxModelBytes);

// tf.keras 2.x's model.to_json() text of `model` (which must be built): an InputLayer first, each layer's config
// with Keras' keys in Keras' order, Python's json.dumps spacing. Throws for what Keras JSON cannot express (an ELU
// activation with alpha != 1 inside Conv2D or Dense).
std::string to_json(const Sequential& model);

// Keras 3's model.to_json() text of `model` (built), Sequential or Functional: what a .keras file holds as
// config.json. Every object carries "module" and "registered_name", the layers their build_config, and a compiled
// model its compile_config (the optimizer with all of Keras 3's keys, the loss as an object); a Functional model's
// calls are inbound_nodes of {"args": [__keras_tensor__ ...], "kwargs": {}}. Keras 3 reads it with
// keras.models.model_from_json.
std::string to_keras3_json(const train::Trainer& model);

}  // namespace elucid
