// Functional models' Keras JSON read back: tf.keras 2.x's layout (what to_json writes) and Keras 3's, and every bad
// graph a JSON file can hold, each one line naming the path, the layers and the shapes.
#include <elucid/elucid.hpp>

#include "support/error_of.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;

namespace {
// Two inputs, a layer shared by both, a residual Add and a Concatenate: every kind of edge a graph has.
Functional graph_model() {
  KerasTensor left = Input({4}, "left"), right = Input({4}, "right");
  auto shared = std::make_shared<Dense>(4, DenseOptions{.activation = "elu"});
  KerasTensor a = (*shared)(left), b = (*shared)(right);
  KerasTensor sum = Add()({a, left});
  KerasTensor joined = Concatenate()({sum, b});
  return Functional({left, right}, {Dense(2)(joined)}, "graph");
}

// A Keras 3 layer entry: the object, its name, and its calls' args.
std::string keras3_tensor(const std::string& layer, const std::string& shape) {
  return R"({"class_name": "__keras_tensor__", "config": {"shape": )" + shape +
         R"(, "dtype": "float32", "keras_history": [")" + layer + R"(", 0, 0]}})";
}

// As Keras 3 writes model.to_json() for Input((4,)) -> Dense(3) "d1" -> Dense(3) "d2"; Add()([d1, d2]).
std::string keras3_residual_json() {
  return std::string(R"({"module": "keras.src.models.functional", "class_name": "Functional", "config": {
    "name": "k3", "trainable": true,
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32",
        "sparse": false, "name": "input_layer"}, "registered_name": null, "name": "input_layer", "inbound_nodes": []},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d1", "trainable": true,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
        "units": 3, "activation": "relu", "use_bias": true}, "registered_name": null,
        "build_config": {"input_shape": [null, 4]}, "name": "d1",
        "inbound_nodes": [{"args": [)") +
         keras3_tensor("input_layer", "[null, 4]") + R"(], "kwargs": {}}]},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d2", "units": 3, "activation": "linear"},
        "registered_name": null, "build_config": {"input_shape": [null, 3]}, "name": "d2",
        "inbound_nodes": [{"args": [)" +
         keras3_tensor("d1", "[null, 3]") + R"(], "kwargs": {}}]},
      {"module": "keras.layers", "class_name": "Add", "config": {"name": "add", "trainable": true},
        "registered_name": null, "build_config": {"input_shape": [[null, 3], [null, 3]]}, "name": "add",
        "inbound_nodes": [{"args": [[)" +
         keras3_tensor("d1", "[null, 3]") + ", " + keras3_tensor("d2", "[null, 3]") + R"(]], "kwargs": {}}]}
    ],
    "input_layers": ["input_layer", 0, 0], "output_layers": ["add", 0, 0]},
  "registered_name": "Functional", "build_config": {"input_shape": null},
  "compile_config": {"optimizer": "adam", "loss": "mean_squared_error", "metrics": null}})";
}

// A two-layer tf.keras 2.x graph whose second entry is replaced: layers "in" (input (4)) and "d" (Dense(3) on "in").
std::string tf2_json_with(const std::string& extra_layers, const std::string& outputs = R"([["d", 0, 0]])") {
  return R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "in"},
       "name": "in", "inbound_nodes": []},
      {"class_name": "Dense", "config": {"name": "d", "units": 3}, "name": "d", "inbound_nodes": [[["in", 0, 0, {}]]]})" +
         extra_layers + R"(],
    "input_layers": [["in", 0, 0]], "output_layers": )" +
         outputs + "}}";
}
}  // namespace

TEST_CASE("a Functional model's tf.keras JSON reads back to the same graph: text and predictions", "[functional][json]") {
  Functional model = graph_model();
  const std::string text = model.to_json();
  Functional read = functional_from_json(text, "graph.json");
  CHECK(read.to_json() == text);
  CHECK(read.summary_string() == model.summary_string());
  read.set_weights(model.get_weights());
  Random rng(3);
  Tensor l({5, 4}), r({5, 4});
  for (float& v : l.values()) v = rng.uniform() - 0.5f;
  for (float& v : r.values()) v = rng.uniform() - 0.5f;
  const std::vector<Tensor> inputs = {l, r};
  const std::vector<Tensor> expected = model.forward(inputs, false), got = read.forward(inputs, false);
  REQUIRE(got.size() == 1);
  CHECK(std::ranges::equal(got[0].values(), expected[0].values()));
  // "Model" is the class name older tf.keras wrote.
  std::string as_model = text;
  as_model.replace(as_model.find("\"Functional\""), 12, "\"Model\"");
  CHECK(functional_from_json(as_model).count_params() == model.count_params());
}

TEST_CASE("a Functional model's Keras 3 JSON: __keras_tensor__ args, one input as a flat triple, compile_config",
          "[functional][json]") {
  Functional model = functional_from_json(keras3_residual_json(), "k3.json");
  CHECK(model.name() == "k3");
  REQUIRE(model.layers().size() == 4);
  CHECK(model.layers()[3]->class_name() == "Add");
  CHECK(model.get_layer("add")->name() == "add");
  CHECK(model.output_shapes() == std::vector<Shape>{Shape{3}});
  CHECK(model.count_params() == (4 * 3 + 3) + (3 * 3 + 3));
  CHECK(model.compiled());
  // Written back as tf.keras 2.x writes it, and that reads again.
  CHECK(functional_from_json(model.to_json()).to_json() == model.to_json());
}

TEST_CASE("bad Functional JSON: one line naming the path, the layers and the shapes", "[functional][json]") {
  const auto error = [](const std::string& text) { return test::error_of([&] { functional_from_json(text, "g.json"); }); };
  CHECK_THAT(error(tf2_json_with(R"(, {"class_name": "Dense", "config": {"name": "e", "units": 2}, "name": "e",
      "inbound_nodes": [[["nope", 0, 0, {}]]]})")),
             Contains("g.json: config.layers[2].inbound_nodes[0][0]: names layer \"nope\", which the model does not have"));
  CHECK_THAT(error(tf2_json_with(R"(, {"class_name": "Dense", "config": {"name": "d", "units": 2}, "name": "d",
      "inbound_nodes": [[["in", 0, 0, {}]]]})")),
             Contains("layer name \"d\" is used twice (config.layers[1] and config.layers[2])"));
  // a and b take each other's outputs
  CHECK_THAT(error(tf2_json_with(R"(,
      {"class_name": "Dense", "config": {"name": "a", "units": 3}, "name": "a", "inbound_nodes": [[["b", 0, 0, {}]]]},
      {"class_name": "Dense", "config": {"name": "b", "units": 3}, "name": "b", "inbound_nodes": [[["a", 0, 0, {}]]]})")),
             Contains("layer \"a\" waits on \"b\", which wait on it: the graph has a cycle"));
  CHECK_THAT(error(tf2_json_with(R"(, {"class_name": "Dense", "config": {"name": "e", "units": 2}, "name": "e",
      "inbound_nodes": [[["d", 1, 0, {}]]]})")),
             Contains("names call 1 of layer \"d\", which has 1"));
  CHECK_THAT(error(tf2_json_with(R"(, {"class_name": "Add", "config": {"name": "add"}, "name": "add",
      "inbound_nodes": [[["in", 0, 0, {}], ["d", 0, 0, {}]]]})")),
             Contains("g.json: config.layers[2].inbound_nodes[0]: Add \"add\"") && Contains("(4,)") && Contains("(3,)"));
  CHECK_THAT(error(tf2_json_with(R"(, {"class_name": "Concatenate", "config": {"name": "cat", "axis": 0}, "name": "cat",
      "inbound_nodes": [[["in", 0, 0, {}], ["d", 0, 0, {}]]]})")),
             Contains("Concatenate \"cat\""));
  CHECK_THAT(error(tf2_json_with(R"(, {"class_name": "Dense", "config": {"name": "e", "units": 2}, "name": "e",
      "inbound_nodes": []})")),
             Contains("layer \"e\" is called on no tensor"));
  // The output needs an input that input_layers leaves out.
  CHECK_THAT(error(tf2_json_with(R"(,
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "in2"}, "name": "in2",
       "inbound_nodes": []},
      {"class_name": "Add", "config": {"name": "add"}, "name": "add", "inbound_nodes": [[["d", 0, 0, {}], ["in2", 0, 0, {}]]]})",
                                 R"([["add", 0, 0]])")),
             Contains("g.json: config: ") && Contains("in2"));
  CHECK_THAT(error(tf2_json_with("", R"([["d", 0, 1]])")),
             Contains("config.output_layers[0][2]: tensor index 1: elucid's layers have one output each"));
  // Each kind of model names the reader of the other.
  CHECK_THAT(test::error_of([] { model_from_json(tf2_json_with(""), "g.json"); }), Contains("functional_from_json"));
  CHECK_THAT(error(R"({"class_name": "Sequential", "config": {"layers": []}})"), Contains("model_from_json"));
}
