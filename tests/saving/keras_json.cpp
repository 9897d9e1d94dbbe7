// Keras JSON: the seed model as tf.keras writes it round-trips byte for byte, Keras 3 JSON (with compile_config)
// reads, every layer class goes out and back, and every unsupported or malformed input is an error that says where.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/keras_json.hpp>
#include <elucid/saving/keras_objects.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {
std::string seed_json() { return read_file(std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json"); }
std::string keras3_json() { return read_file(std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/seed_model.keras3.json"); }

// The seed JSON with one layer config changed by `edit`, for the bad-input cases.
std::string edited(int layer, const std::function<void(json::Json&)>& edit) {
  json::Json j = json::parse(seed_json(), "seed");
  edit(j["config"]["layers"][static_cast<size_t>(layer)]["config"]);
  return j.dump();
}

// The seed JSON with a layer inserted at `at` (1 is after the InputLayer); the model it reads writes that layer's
// config back key for key (order included), as tf.keras 2.x writes it.
void check_round_trip(int at, const std::string& layer) {
  json::Json j = json::parse(seed_json(), "seed");
  auto& layers = j["config"]["layers"];
  layers.insert(layers.begin() + at, json::Json::parse(layer));
  const std::string text = model_from_json(j.dump(), "model.json").to_json();
  INFO(text);
  const json::Json back = json::parse(text, "back")["config"]["layers"][static_cast<size_t>(at)];
  CHECK(back.dump() == json::Json::parse(layer).dump());
}

std::string error_of(const std::string& text) {
  try {
    model_from_json(text, "model.json");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for the JSON");
  return "";
}
}  // namespace

TEST_CASE("the seed model's tf.keras JSON reads and writes back byte for byte", "[keras_json]") {
  const std::string text = seed_json();
  Sequential model = model_from_json(text, "seed_model.json");
  CHECK(model.count_params() == 93322);
  CHECK(model.layers().size() == 8);
  CHECK(model.layers()[1]->name() == "max_pooling2d");
  CHECK(model.output_shape() == Shape{10});
  CHECK_FALSE(model.compiled());
  // As parsed objects (key order included) and as text.
  CHECK(json::parse(model.to_json(), "out") == json::parse(text, "in"));
  CHECK(json::dump_python(json::parse(model.to_json(), "out")) == text);
  CHECK(model.to_json() == text);
}

TEST_CASE("a model from JSON has the C++ API's initial weights for the same seed", "[keras_json]") {
  set_random_seed(7);
  Sequential from_json = model_from_json(seed_json());
  Sequential by_hand;
  by_hand.add(Conv2D(32, {3, 3}, {.activation = "elu", .input_shape = Shape{28, 28, 1}}));
  by_hand.add(MaxPooling2D({2, 2}));
  by_hand.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  by_hand.add(MaxPooling2D({2, 2}));
  by_hand.add(Conv2D(64, {3, 3}, {.activation = "elu"}));
  by_hand.add(Flatten());
  by_hand.add(Dense(64, {.activation = "elu"}));
  by_hand.add(Dense(10));
  set_random_seed(0);
  CHECK(test::same_bits(from_json.weights(), by_hand.weights()));
  CHECK(by_hand.to_json() == seed_json());
}

TEST_CASE("Keras 3 JSON reads, with its compile_config", "[keras_json]") {
  // tests/fixtures/seed_model.keras3.json is the seed model as Keras 3 (3.6 and later) writes it with model.to_json():
  // module and registered_name on every object, DTypePolicy dtypes, build_config on each layer and the model, an
  // InputLayer with batch_shape, and the model's compile_config (Adam, SparseCategoricalCrossentropy, accuracy).
  Sequential model = model_from_json(keras3_json(), "keras3.json");
  CHECK(model.count_params() == 93322);
  CHECK(model.input_shape() == Shape{28, 28, 1});
  REQUIRE(model.compiled());
  CHECK(model.optimizer().name() == "Adam");
  CHECK(model.optimizer().learning_rate() == 0.001f);
  CHECK(model.loss().kind() == losses::Loss::Kind::SparseCategoricalCrossentropy);
  CHECK(model.loss().from_logits());
  CHECK(model.metric_names() == std::vector<std::string>{"accuracy"});
  // The same layers, names and initial weights as the tf.keras 2.x JSON of the same model, for the same seed.
  set_random_seed(5);
  Sequential tf2 = model_from_json(seed_json());
  set_random_seed(5);
  Sequential k3 = model_from_json(keras3_json());
  set_random_seed(0);
  CHECK(test::same_bits(tf2.weights(), k3.weights()));
  // Written back in the tf.keras 2.x layout, with the input in an InputLayer of its own.
  json::Json out = json::parse(model.to_json(), "out");
  CHECK(out["config"]["layers"][0]["class_name"] == "InputLayer");
  CHECK(out["config"]["layers"][0]["config"]["batch_input_shape"] == json::Json::array({nullptr, 28, 28, 1}));
  CHECK_FALSE(out["config"]["layers"][1]["config"].contains("batch_input_shape"));
  CHECK(model_from_json(model.to_json()).count_params() == 93322);
}

TEST_CASE("to_keras3_json writes what Keras 3 writes, byte for byte", "[keras_json]") {
  // The fixture is Keras 3's own text; read and written back it is the same bytes, but for the learning rate, which
  // Keras 3 writes as the float32 variable's value seen as a double.
  std::string expected = keras3_json();
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r')) expected.pop_back();
  const std::string keras_rate = "\"learning_rate\": 0.0010000000474974513";
  REQUIRE(expected.find(keras_rate) != std::string::npos);
  expected.replace(expected.find(keras_rate), keras_rate.size(), "\"learning_rate\": 0.001");
  Sequential model = model_from_json(keras3_json(), "keras3.json");
  CHECK(to_keras3_json(model) == expected);
  // The same with conv2d_1 in 2 groups and "groups": 2 in its config, in the same place.
  const std::string conv1 = "\"name\": \"conv2d_1\"", one_group = "\"groups\": 1";
  std::string grouped = keras3_json();
  grouped.replace(grouped.find(one_group, grouped.find(conv1)), one_group.size(), "\"groups\": 2");
  expected.replace(expected.find(one_group, expected.find(conv1)), one_group.size(), "\"groups\": 2");
  Sequential grouped_model = model_from_json(grouped, "grouped.json");
  CHECK(grouped_model.count_params() == 84106);
  CHECK(to_keras3_json(grouped_model) == expected);
  // Layers the seed model lacks: Keras 3's BatchNormalization keeps axis -1 and adds synchronized; Dropout orders
  // rate, seed, noise_shape; an uncompiled model has no compile_config; it reads back as the same model.
  Sequential other("other");
  other.add(Conv2D(4, {3, 3}, {.input_shape = Shape{8, 8, 1}}));
  other.add(BatchNormalization());
  other.add(Flatten());
  other.add(Dropout(0.25, {.seed = 7}));
  other.add(Dense(3));
  const json::Json j = json::parse(to_keras3_json(other), "k3");
  CHECK_FALSE(j.contains("compile_config"));
  CHECK(j["config"]["layers"][0]["config"]["batch_shape"] == json::Json::array({nullptr, 8, 8, 1}));
  CHECK_FALSE(j["config"]["layers"][1]["config"].contains("batch_input_shape"));
  const json::Json bn = j["config"]["layers"][2]["config"];
  CHECK(bn["axis"] == -1);
  CHECK(bn["synchronized"] == false);
  CHECK(j["config"]["layers"][2]["build_config"]["input_shape"] == json::Json::array({nullptr, 6, 6, 4}));
  std::vector<std::string> dropout_keys;
  for (const auto& [key, value] : j["config"]["layers"][4]["config"].items()) dropout_keys.push_back(key);
  CHECK(dropout_keys == std::vector<std::string>{"name", "trainable", "dtype", "rate", "seed", "noise_shape"});
  Sequential back = model_from_json(to_keras3_json(other), "k3");
  CHECK(to_keras3_json(back) == to_keras3_json(other));
  // Keras' snake_case, which names optimizers and Keras 3's weight groups.
  CHECK(keras::snake_case("MaxPooling2D") == "max_pooling2d");
  CHECK(keras::snake_case("ReLU") == "re_lu");
  CHECK(keras::snake_case("RMSprop") == "rm_sprop");
  CHECK(keras::snake_case("BatchNormalization") == "batch_normalization");
  CHECK(keras::snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
}

TEST_CASE("Keras 3 JSON: the input shape from build_config, compile_config by name, dtype policies", "[keras_json]") {
  // A model built by calling it (no InputLayer): the input shape is in the first layer's build_config.
  json::Json j = json::parse(keras3_json(), "k3");
  j["config"]["layers"].erase(0);
  j["config"].erase("build_input_shape");
  j.erase("build_config");
  // compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]) keeps the names.
  j["compile_config"]["optimizer"] = "adam";
  j["compile_config"]["loss"] = "sparse_categorical_crossentropy";
  Sequential model = model_from_json(j.dump(), "k3.json");
  CHECK(model.input_shape() == Shape{28, 28, 1});
  CHECK(model.count_params() == 93322);
  REQUIRE(model.compiled());
  CHECK(model.optimizer().name() == "Adam");
  CHECK_FALSE(model.loss().from_logits());

  // A dtype policy other than float32 and mixed_bfloat16 is refused, naming the layer.
  json::Json mixed = json::parse(keras3_json(), "k3");
  mixed["config"]["layers"][3]["config"]["dtype"]["config"]["name"] = "mixed_float16";
  CHECK_THAT(error_of(mixed.dump()),
             Contains("model.json: config.layers[3].config: Conv2D \"conv2d_1\": dtype: dtype policy \"mixed_float16\" is not "
                      "supported"));
  // A registered custom layer is an unsupported class, named with its layer.
  json::Json custom = json::parse(keras3_json(), "k3");
  custom["config"]["layers"][2] = json::Json::parse(
      R"({"module": "my_package.layers", "class_name": "MyPool", "config": {"name": "my_pool", "trainable": true},
          "registered_name": "my_package>MyPool", "build_config": {"input_shape": [null, 26, 26, 32]}})");
  CHECK_THAT(error_of(custom.dump()),
             Contains("model.json: config.layers[2]: layer class \"MyPool\" (layer \"my_pool\") is not supported"));
  // loss_weights as a list or a dict by output name (a Sequential's output is its last layer) apply; a name the
  // model does not have, or as many as another model's outputs, are refused.
  json::Json weighted = json::parse(keras3_json(), "k3");
  weighted["compile_config"]["loss_weights"] = json::Json::array({0.5});
  CHECK(model_from_json(weighted.dump(), "model.json").loss_weights() == std::vector<double>{0.5});
  weighted["compile_config"]["loss_weights"] = json::Json::parse(R"({"dense_1": 0.25})");
  CHECK(model_from_json(weighted.dump(), "model.json").loss_weights() == std::vector<double>{0.25});
  weighted["compile_config"]["loss_weights"] = json::Json::parse(R"({"dense_9": 0.5})");
  CHECK_THAT(error_of(weighted.dump()),
             Equals("model.json: compile_config: compile: loss_weights names output \"dense_9\"; the model's outputs "
                    "are \"dense_1\""));
  weighted["compile_config"]["loss_weights"] = json::Json::array({0.5, 1.0});
  CHECK_THAT(error_of(weighted.dump()),
             Equals("model.json: compile_config: compile: the model has 1 output, 2 loss_weights given"));
}
TEST_CASE("every layer class goes to JSON and back unchanged", "[keras_json]") {
  Sequential model("every_layer");
  model.add(Rescaling(1.0 / 255, {.offset = 0.5, .input_shape = Shape{12, 10, 3}}));
  model.add(Conv2D(8, {3, 3},
                   {.strides = {2, 1}, .padding = "same", .activation = "relu", .use_bias = false,
                    .kernel_initializer = initializers::he_normal(3)}));
  model.add(BatchNormalization({.momentum = 0.9, .epsilon = 1e-5}));
  model.add(DepthwiseConv2D(3, {.padding = "same", .depth_multiplier = 2, .activation = "elu"}));
  model.add(SeparableConv2D(6, 2, {.padding = "same", .depth_multiplier = 2, .use_bias = false}));
  model.add(Conv2DTranspose(6, {2, 3}, {.strides = {2, 1}, .padding = "same", .activation = "selu"}));
  model.add(LayerNormalization({.epsilon = 0.01, .center = false}));
  model.add(ZeroPadding2D({{1, 0}, {2, 3}}));
  model.add(Cropping2D({{0, 1}, {1, 1}}));
  model.add(UpSampling2D({1, 2}));
  model.add(ELU({.alpha = 0.5}));
  model.add(AveragePooling2D({2, 2}, {.strides = {1, 1}, .padding = "same"}));
  model.add(MaxPooling2D({3, 3}));
  model.add(Dropout(0.25, {.seed = 11}));
  model.add(GlobalMaxPooling2D({.keepdims = true}));
  model.add(GlobalAveragePooling2D({.keepdims = true}));
  model.add(Reshape({2, -1}));
  model.add(Flatten());
  model.add(Dense(16, {.kernel_initializer = initializers::random_normal(0.0, 0.1), .bias_initializer = "ones"}));
  model.add(layers::Activation("tanh"));
  model.add(ReLU());
  model.add(Dense(4, {.kernel_initializer = initializers::random_uniform(-0.2, 0.2, 5)}));
  model.add(Softmax());
  const std::string text = model.to_json();
  Sequential back = model_from_json(text, "every_layer.json");
  CHECK(back.to_json() == text);
  CHECK(back.count_params() == model.count_params());
  CHECK(back.name() == "every_layer");
  json::Json j = json::parse(text, "t");
  const auto& bn = j["config"]["layers"][3]["config"];
  CHECK(bn["axis"] == json::Json::array({3}));
  CHECK(json::dump_python(bn["epsilon"]) == "1e-05");
  CHECK(j["config"]["layers"][2]["config"]["kernel_initializer"] ==
        json::Json::parse(R"({"class_name": "HeNormal", "config": {"seed": 3}})"));
}

TEST_CASE("the image layers' tf.keras 2.x configs read and write back key for key", "[keras_json]") {
  check_round_trip(1, R"({"class_name": "Rescaling", "config": {"name": "rescaling", "trainable": true,
      "dtype": "float32", "scale": 0.00784313725490196, "offset": -1.0}})");
  check_round_trip(2, R"({"class_name": "Reshape", "config": {"name": "reshape", "trainable": true,
      "dtype": "float32", "target_shape": [26, -1, 32]}})");
  check_round_trip(6, R"({"class_name": "GlobalMaxPooling2D", "config": {"name": "global_max_pooling2d",
      "trainable": true, "dtype": "float32", "data_format": "channels_last", "keepdims": false}})");
  check_round_trip(2, R"({"class_name": "UpSampling2D", "config": {"name": "up_sampling2d", "trainable": true,
      "dtype": "float32", "size": [2, 1], "data_format": "channels_last", "interpolation": "nearest"}})");
  check_round_trip(2, R"({"class_name": "UpSampling2D", "config": {"name": "up_sampling2d", "trainable": true,
      "dtype": "float32", "size": [3, 2], "data_format": "channels_last", "interpolation": "bilinear"}})");
  check_round_trip(2, R"({"class_name": "Cropping2D", "config": {"name": "cropping2d", "trainable": true,
      "dtype": "float32", "cropping": [[0, 1], [2, 3]], "data_format": "channels_last"}})");
  check_round_trip(2, R"({"class_name": "ZeroPadding2D", "config": {"name": "zero_padding2d", "trainable": true,
      "dtype": "float32", "padding": [[1, 2], [3, 4]], "data_format": "channels_last"}})");
  // Written out as Keras writes it: ((top, bottom), (left, right)).
  json::Json j = json::parse(seed_json(), "seed");
  j["config"]["layers"].insert(j["config"]["layers"].begin() + 2,
                               json::Json::parse(R"({"class_name": "ZeroPadding2D", "config": {"padding": [1, 2]}})"));
  Sequential model = model_from_json(j.dump(), "model.json");
  CHECK(model.layers()[1]->output_shape({26, 26, 32}) == Shape{28, 30, 32});
  CHECK(json::parse(model.to_json(), "out")["config"]["layers"][2]["config"]["padding"] ==
        json::Json::parse("[[1, 1], [2, 2]]"));
  j["config"]["layers"][2]["config"]["padding"] = 3;
  CHECK(model_from_json(j.dump(), "model.json").layers()[1]->output_shape({26, 26, 32}) == Shape{32, 32, 32});
  j["config"]["layers"][2]["config"]["padding"] = json::Json::parse("[[1, 2, 3], [0, 0]]");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config.padding[0]: expected 2 numbers (before, after), got 3"));
  j["config"]["layers"][2]["config"]["padding"] = -1;
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config.padding"));
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "Rescaling", "config": {"scale": [0.5, 0.25]}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config.scale: expected a number"));
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "Reshape", "config": {"target_shape": [-1, -1]}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2]: Reshape: target_shape must be sizes >= 1 with at most one -1, got (-1, -1)"));
  j["config"]["layers"][2]["config"]["target_shape"] = json::Json::parse("[5, -3]");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config.target_shape[1]"));
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "UpSampling2D", "config": {"interpolation": "bicubic"}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config: UpSampling2D: interpolation: \"bicubic\" is not supported"));
  // Cropping the whole image is an error naming the layer and the numbers.
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "Cropping2D", "config": {"name": "crop", "cropping": [13, 0]}})");
  CHECK_THAT(error_of(j.dump()),
             Contains("Cropping2D \"crop\": cropping ((13, 13), (0, 0)) leaves nothing of input (26, 26, 32)"));
}

TEST_CASE("the convolution layers' tf.keras 2.x configs read and write back key for key", "[keras_json]") {
  check_round_trip(6, R"({"class_name": "DepthwiseConv2D", "config": {"name": "depthwise_conv2d", "trainable": true,
      "dtype": "float32", "kernel_size": [3, 2], "strides": [2, 1], "padding": "same", "data_format": "channels_last",
      "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": false,
      "bias_initializer": {"class_name": "Zeros", "config": {}}, "bias_regularizer": null,
      "activity_regularizer": null, "bias_constraint": null, "depth_multiplier": 2,
      "depthwise_initializer": {"class_name": "HeNormal", "config": {"seed": 3}}, "depthwise_regularizer": null,
      "depthwise_constraint": null}})");
  check_round_trip(6, R"({"class_name": "SeparableConv2D", "config": {"name": "separable_conv2d", "trainable": true,
      "dtype": "float32", "filters": 16, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
      "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "elu", "use_bias": true,
      "bias_initializer": {"class_name": "Ones", "config": {}}, "bias_regularizer": null, "activity_regularizer": null,
      "bias_constraint": null, "depth_multiplier": 3, "depthwise_initializer": {"class_name": "GlorotUniform",
      "config": {"seed": null}}, "pointwise_initializer": {"class_name": "HeUniform", "config": {"seed": 5}},
      "depthwise_regularizer": null, "pointwise_regularizer": null, "depthwise_constraint": null,
      "pointwise_constraint": null}})");
  // groups: kernel (3, 3, 32 / 4, 16) after the first pooling's 32 channels.
  check_round_trip(2, R"({"class_name": "Conv2D", "config": {"name": "grouped", "trainable": true, "dtype": "float32",
      "filters": 16, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last",
      "dilation_rate": [2, 2], "groups": 4, "activation": "relu", "use_bias": true, "kernel_initializer":
      {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros",
      "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null}})");
  // The seed model with conv2d_1 in 2 groups: its kernel (3, 3, 16, 64) has half the weights, 93,322 - 9,216.
  CHECK(model_from_json(edited(3, [](json::Json& c) { c["groups"] = 2; })).count_params() == 84106);
  check_round_trip(6, R"({"class_name": "Conv2DTranspose", "config": {"name": "conv2d_transpose", "trainable": true,
      "dtype": "float32", "filters": 16, "kernel_size": [3, 2], "strides": [2, 2], "padding": "same",
      "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer":
      {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
      "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "output_padding": null}})");
  check_round_trip(7, R"({"class_name": "LayerNormalization", "config": {"name": "layer_normalization",
      "trainable": true, "dtype": "float32", "axis": [1], "epsilon": 1e-05, "center": false, "scale": true,
      "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones",
      "config": {}}, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null,
      "gamma_constraint": null}})");
  // Keras 3's layout (no groups, DTypePolicy and initializer objects with a module) reads to the same layer.
  json::Json j = json::parse(seed_json(), "seed");
  j["config"]["layers"].insert(j["config"]["layers"].begin() + 2, json::Json::parse(R"({"module": "keras.layers",
      "class_name": "DepthwiseConv2D", "config": {"name": "depthwise_conv2d", "trainable": true, "dtype": {"module":
      "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "kernel_size":
      [3, 3], "strides": [1, 1], "padding": "valid", "depth_multiplier": 2, "data_format": "channels_last",
      "dilation_rate": [1, 1], "activation": "linear", "use_bias": true, "depthwise_initializer": {"module":
      "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name":
      null}, "depthwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "depthwise_constraint": null, "bias_constraint": null}, "registered_name": null})"));
  Sequential model = model_from_json(j.dump(), "model.json");
  CHECK(model.layers()[1]->class_name() == "DepthwiseConv2D");
  CHECK(model.layers()[1]->count_params() == 3 * 3 * 32 * 2 + 64);
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "Conv2DTranspose", "config": {"filters": 4,
      "kernel_size": 3, "output_padding": [1, 1]}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config: Conv2DTranspose: output_padding: output_padding is not supported (set to [1,1])"));
  j["config"]["layers"][2]["config"].erase("output_padding");
  j["config"]["layers"][2]["config"]["dilation_rate"] = 2;
  CHECK_THAT(error_of(j.dump()), Contains("Conv2DTranspose: dilation_rate (2, 2) is not supported (only 1)"));
  // tf.keras 2.x's SeparableConv2D also carries its base class's kernel_* keys: an initializer there is ignored.
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "SeparableConvolution2D", "config": {"filters": 8,
      "kernel_size": 3, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "kernel_regularizer": null, "kernel_constraint": null}})");
  CHECK(model_from_json(j.dump(), "model.json").layers()[1]->count_params() == 3 * 3 * 32 + 32 * 8 + 8);
  j["config"]["layers"][2]["config"]["pointwise_constraint"] = json::Json::parse(R"({"class_name": "NonNeg", "config": {}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config: SeparableConvolution2D: pointwise_constraint: a constraint is not supported"));
  // What elucid lacks is refused, naming the key.
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "DepthwiseConv2D", "config": {"kernel_size": 3,
      "depthwise_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config: DepthwiseConv2D: depthwise_regularizer: a regularizer is not supported"));
  j["config"]["layers"][2] = json::Json::parse(R"({"class_name": "DepthwiseConv2D", "config": {"kernel_size": 3, "depth_multiplier": 0}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.layers[2].config.depth_multiplier"));
}

// A layer class added to the codec table shows in the "supported:" list; this fails until one of the models
// scripts/check-tfjs.sh checks (the seed model, tests/tfjs/every_layer.json for every other class, and the Functional
// tests/tfjs/every_merge.json for the merge layers) has it, so that TensorFlow.js checks its numbers.
TEST_CASE("every supported layer class is in a model that scripts/check-tfjs.sh checks", "[keras_json]") {
  json::Json j = json::parse(seed_json(), "seed");
  j["config"]["layers"][1]["class_name"] = "NoSuchLayer";
  const std::string error = error_of(j.dump());
  const std::string marker = "supported: ";
  REQUIRE(error.find(marker) != std::string::npos);
  std::vector<std::string> supported;
  std::string list = error.substr(error.find(marker) + marker.size());
  for (size_t comma; (comma = list.find(", ")) != std::string::npos; list.erase(0, comma + 2))
    supported.push_back(list.substr(0, comma));
  supported.push_back(list);
  CHECK(supported.size() >= 13);

  const std::string path = std::string(ELUCID_SOURCE_DIR) + "/tests/tfjs/every_layer.json";
  const json::Json every = json::parse(read_file(path), path)["model"];
  const json::Json seed = json::parse(seed_json(), "seed");
  const std::string merge_path = std::string(ELUCID_SOURCE_DIR) + "/tests/tfjs/every_merge.json";
  const json::Json merge = json::parse(read_file(merge_path), merge_path);
  std::set<std::string> checked;
  for (const json::Json* model : {&every, &seed, &merge})
    for (const auto& layer : (*model)["config"]["layers"]) checked.insert(layer["class_name"].get<std::string>());
  // Classes TensorFlow.js 4.22 lacks (docs/keras-compatibility.md): tests/layers/ checks them.
  const std::set<std::string> no_tfjs = {"RandomFlip", "RandomContrast", "RandomCrop", "RandomTranslation",
                                         "RandomRotation", "RandomZoom", "Subtract"};
  for (const std::string& class_name : supported) {
    INFO(class_name << " is supported but in none of examples/recipes/seed_model.json, tests/tfjs/every_layer.json "
                       "and tests/tfjs/every_merge.json");
    CHECK(checked.count(class_name) + no_tfjs.count(class_name) == 1);
  }
  const std::string text = model_from_json(every.dump(), path).to_json();
  CHECK(model_from_json(text, "again").to_json() == text);
  CHECK(functional_from_json(merge.dump(), merge_path).to_json() == json::dump_python(merge));
}

TEST_CASE("floats are written as Python writes them", "[keras_json]") {
  auto py = [](double x) { return json::dump_python(json::Json(x)); };
  CHECK(py(1e-07) == "1e-07");
  CHECK(py(0.0001) == "0.0001");
  CHECK(py(1e-05) == "1e-05");
  CHECK(py(1.0) == "1.0");
  CHECK(py(0.99) == "0.99");
  CHECK(py(123.456) == "123.456");
  CHECK(py(1e16) == "1e+16");
  CHECK(py(1e15) == "1000000000000000.0");
  CHECK(py(-2.5e-10) == "-2.5e-10");
  CHECK(json::dump_python(json::Json::parse(R"({"a": [1, null, true, "é"]})")) == R"({"a": [1, null, true, "\u00e9"]})");
}

TEST_CASE("unknown keys in layer configs are ignored, set unsupported options are errors naming the layer", "[keras_json]") {
  CHECK(model_from_json(edited(1, [](json::Json& c) { c["future_option"] = 3; })).count_params() == 93322);
  // Unknown keys anywhere in Keras' own JSON: at the top, in the model's config, in an initializer's, in a layer item.
  json::Json j = json::parse(seed_json(), "seed");
  j["saved_by"] = "keras 9";
  j["config"]["future_model_option"] = {{"a", 1}};
  j["config"]["layers"][1]["config"]["kernel_initializer"]["config"]["future"] = true;
  j["config"]["layers"][7]["future_item_key"] = nullptr;
  Sequential model = model_from_json(j.dump());
  CHECK(model.count_params() == 93322);
  CHECK(model.to_json() == seed_json());  // and they are not written back
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["kernel_regularizer"] = {{"class_name", "L2"}}; })),
             Contains("model.json: config.layers[1].config: Conv2D \"conv2d\": kernel_regularizer: a regularizer is not supported"));
  CHECK_THAT(error_of(edited(7, [](json::Json& c) { c["bias_constraint"] = {{"class_name", "NonNeg"}}; })),
             Contains("Dense \"dense\": bias_constraint: a constraint is not supported"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["data_format"] = "channels_first"; })),
             Contains("Conv2D \"conv2d\": data_format: \"channels_first\" is not supported"));
  CHECK_THAT(error_of(edited(3, [](json::Json& c) { c["groups"] = 3; })),
             Contains("Conv2D \"conv2d_1\": groups 3 does not divide filters 64"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["groups"] = 2; })),
             Contains("Conv2D \"conv2d\": groups 2 does not divide the input's 1 channels (input (28, 28, 1))"));
  CHECK_THAT(error_of(edited(3, [](json::Json& c) { c["groups"] = 0; })), Contains("config.layers[3].config.groups"));
  json::Json transpose = json::parse(seed_json(), "seed");
  transpose["config"]["layers"][3]["class_name"] = "Conv2DTranspose";
  transpose["config"]["layers"][3]["config"]["groups"] = 2;
  CHECK_THAT(error_of(transpose.dump()),
             Contains("Conv2DTranspose \"conv2d_1\": groups: groups > 1 (grouped convolution) is not supported"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["trainable"] = false; })), Contains("trainable"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["dtype"] = "float16"; })),
             Contains("dtype: dtype policy \"float16\" is not supported"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["activation"] = "hard_sigmoid"; })),
             Contains("config.layers[1].config.activation: unknown activation \"hard_sigmoid\""));
}

TEST_CASE("unknown layer classes, wrong types and impossible shapes name the JSON path", "[keras_json]") {
  json::Json j = json::parse(seed_json(), "seed");
  j["config"]["layers"][2]["class_name"] = "LSTM";
  CHECK_THAT(error_of(j.dump()),
             Contains("model.json: config.layers[2]: layer class \"LSTM\" (layer \"max_pooling2d\") is not supported; "
                      "supported: InputLayer, Conv2D,"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["filters"] = "32"; })),
             Contains("config.layers[1].config.filters: expected an integer, got a string"));
  CHECK_THAT(error_of(edited(1, [](json::Json& c) { c["kernel_size"] = {3, 3, 3}; })),
             Contains("config.layers[1].config.kernel_size: expected 2 numbers"));
  CHECK_THAT(error_of(edited(5, [](json::Json& c) { c["kernel_size"] = {7, 7}; })),
             Contains("model.json: config.layers[5]: Conv2D \"conv2d_2\""));
  CHECK_THAT(error_of(edited(0, [](json::Json& c) { c["batch_input_shape"] = {nullptr, 28, nullptr}; })),
             Contains("config.layers[0].config.batch_input_shape[2]: a dimension of unknown size"));
  json::Json functional = json::parse(seed_json(), "seed");
  functional["class_name"] = "Functional";
  CHECK_THAT(error_of(functional.dump()), Contains("model.json: class_name: \"Functional\" is a Functional model"));
  functional["class_name"] = "Graph";
  CHECK_THAT(error_of(functional.dump()), Contains("only Sequential and Functional models are supported, got \"Graph\""));
}

TEST_CASE("a huge layer is refused before allocation with the bytes it would need", "[keras_json]") {
  CHECK_THAT(error_of(edited(7, [](json::Json& c) { c["units"] = int64_t{1000000000000}; })),
             Contains("Dense \"dense\": a (576, 1000000000000) kernel would need 2,308,000,000,000,000 bytes"));
}

TEST_CASE("malformed JSON gives the line and column", "[keras_json]") {
  CHECK_THAT(error_of("{\n  \"class_name\": \"Sequential\",\n  \"config\": {\"layers\": [}\n}"),
             Contains("model.json: line 3, column 25: syntax error"));
  CHECK_THAT(error_of(""), Contains("model.json: line 1, column 1"));
  CHECK_THAT(error_of(std::string(100, '[') + std::string(100, ']')), Contains("nested deeper than 64"));
  CHECK_THAT(error_of("[1, 2]"), Contains("model.json: expected an object, got an array"));
}

// A user's own layer is written only when it is one of elucid's classes: one that borrows a built-in class name (here
// "Dense", on a Flatten) is refused with a message instead of being read as a Dense.
namespace {
class FlattenCalledDense : public Flatten {
 public:
  std::string class_name() const override { return "Dense"; }
};
class MyLayer : public Flatten {
 public:
  std::string class_name() const override { return "MyLayer"; }
};
}  // namespace

TEST_CASE("a layer class of the user's own is refused when written as Keras JSON", "[keras_json][errors]") {
  Sequential borrowed;
  borrowed.add(Flatten({.input_shape = Shape{4, 4, 1}}));
  borrowed.add(FlattenCalledDense());
  CHECK_THROWS_WITH(borrowed.to_json(), Contains("class Dense is not elucid's own Dense layer, so it cannot be "
                                                 "written as Keras JSON"));
  Sequential own;
  own.add(Flatten({.input_shape = Shape{4, 4, 1}}));
  own.add(MyLayer());
  CHECK_THROWS_WITH(own.to_json(), Contains("layer class MyLayer cannot be written as Keras JSON"));
}

TEST_CASE("the augmentation layers' tf.keras 2.x configs read and write back key for key", "[keras_json][augmentation]") {
  check_round_trip(1, R"({"class_name": "RandomFlip", "config": {"name": "random_flip", "trainable": true,
      "dtype": "float32", "mode": "horizontal", "seed": 7}})");
  check_round_trip(1, R"({"class_name": "RandomFlip", "config": {"name": "flip", "trainable": true,
      "dtype": "float32", "mode": "horizontal_and_vertical", "seed": null}})");
  check_round_trip(1, R"({"class_name": "RandomContrast", "config": {"name": "random_contrast", "trainable": true,
      "dtype": "float32", "factor": 0.2, "seed": null}})");
  check_round_trip(1, R"({"class_name": "RandomContrast", "config": {"name": "contrast", "trainable": true,
      "dtype": "float32", "factor": [0.1, 0.3], "value_range": [0.0, 1.0], "seed": 5}})");
  check_round_trip(1, R"({"class_name": "RandomCrop", "config": {"name": "random_crop", "trainable": true,
      "dtype": "float32", "height": 28, "width": 28, "seed": 3}})");
  check_round_trip(1, R"({"class_name": "RandomTranslation", "config": {"name": "random_translation",
      "trainable": true, "dtype": "float32", "height_factor": [-0.2, 0.3], "width_factor": 0.1,
      "fill_mode": "constant", "fill_value": 1.5, "interpolation": "nearest", "seed": 4}})");
  check_round_trip(1, R"({"class_name": "RandomRotation", "config": {"name": "random_rotation", "trainable": true,
      "dtype": "float32", "factor": 0.1, "fill_mode": "reflect", "fill_value": 0.0, "interpolation": "bilinear",
      "seed": null}})");
  check_round_trip(1, R"({"class_name": "RandomZoom", "config": {"name": "random_zoom", "trainable": true,
      "dtype": "float32", "height_factor": [-0.3, 0.2], "width_factor": null, "fill_mode": "wrap", "fill_value": 0.0,
      "interpolation": "bilinear", "seed": 2}})");
  check_round_trip(1, R"({"class_name": "RandomZoom", "config": {"name": "zoom", "trainable": true,
      "dtype": "float32", "height_factor": 0.2, "width_factor": 0.1, "fill_mode": "nearest", "fill_value": 0.0,
      "interpolation": "nearest", "seed": null}})");
  // Keras 3's configs (data_format, value_range, a factor Keras 3 resolved to a pair) read as what they say.
  {
    json::Json k = json::parse(seed_json(), "seed");
    k["config"]["layers"].insert(k["config"]["layers"].begin() + 1, json::Json::parse(R"({"class_name": "RandomContrast",
        "config": {"name": "c", "factor": [0.0, 0.2], "value_range": [0, 255], "seed": 1337, "data_format": "channels_last"}})"));
    const Sequential model = model_from_json(k.dump(), "model.json");
    const auto& contrast = dynamic_cast<const RandomContrast&>(*model.layers()[0]);
    CHECK(contrast.factor().lower == 0.0);
    CHECK(contrast.factor().upper == 0.2);
    CHECK(contrast.options().seed == 1337u);
    CHECK(json::parse(model.to_json(), "out")["config"]["layers"][1]["config"].dump() ==
          R"({"name":"c","trainable":true,"dtype":"float32","factor":[0.0,0.2],"seed":1337})");
  }
  json::Json j = json::parse(seed_json(), "seed");
  j["config"]["layers"].insert(j["config"]["layers"].begin() + 1,
                               json::Json::parse(R"({"class_name": "RandomFlip", "config": {"mode": "diagonal"}})"));
  CHECK_THAT(error_of(j.dump()), Contains("RandomFlip: mode \"diagonal\" is not one of"));
  j["config"]["layers"][1] = json::Json::parse(R"({"class_name": "RandomContrast", "config": {"factor": [0.1, 0.2, 0.3]}})");
  CHECK_THAT(error_of(j.dump()), Contains("config.factor: expected a number or 2 numbers (lower, upper), got 3"));
  j["config"]["layers"][1] = json::Json::parse(R"({"class_name": "RandomTranslation", "config": {"height_factor": 0.1,
      "width_factor": 0.1, "fill_mode": "mirror"}})");
  CHECK_THAT(error_of(j.dump()), Contains("RandomTranslation: fill_mode \"mirror\" is not one of"));
}
