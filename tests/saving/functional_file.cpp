// A Functional model in elucid's model file and in Keras' .keras, .h5 and .weights.h5: saved and loaded back
// (load_model<Functional>, read_model_file), it predicts the same bits and goes on training as the model that was
// saved would; the files have Keras' layouts for a Functional model (its InputLayers among model.layers); .onnx
// gives the ONNX graph.
#include <elucid/elucid.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/onnx.hpp>

#include "support/data_files.hpp"
#include "support/error_of.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
Functional branching_model() {
  KerasTensor inputs = Input({5, 5, 2}, "pixels");
  KerasTensor a = Conv2D(3, {3, 3}, {.padding = "same", .activation = "elu"})(inputs);
  KerasTensor b = BatchNormalization()(Conv2D(3, {1, 1})(inputs));
  KerasTensor joined = Concatenate()({Add()({a, b}), Maximum()({a, b})});
  return Functional(inputs, Dense(3)(Flatten()(joined)), "branching");
}

std::pair<Tensor, Tensor> branching_data(uint64_t seed) {
  Random rng(seed);
  Tensor x({16, 5, 5, 2}), y({16});
  for (float& v : x.values()) v = rng.uniform() - 0.5f;
  for (int64_t i = 0; i < 16; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
  return {x, y};
}

// The branching model from seed 5, compiled with Adam and trained one epoch on branching_data(1).
Functional trained_branching_model() {
  set_random_seed(5);
  Functional model = branching_model();
  model.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  auto [x, y] = branching_data(1);
  model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
  return model;
}
}  // namespace

TEST_CASE("a Functional model's file loads back: same predictions, and training goes on as it would have",
          "[functional][model_file]") {
  const fs::path dir = test::scratch("functional_file");
  Functional model = trained_branching_model();
  auto [x, y] = branching_data(1);
  model.class_names = {"a", "b", "c"};
  const std::string path = (dir / "branching.elucid").string();
  model.save(path);

  Functional loaded = load_model<Functional>(path);
  CHECK(loaded.to_json() == model.to_json());
  CHECK(loaded.class_names == model.class_names);
  CHECK(loaded.optimizer().iterations() == model.optimizer().iterations());
  const Tensor p = model.predict(x), q = loaded.predict(x);
  CHECK(std::ranges::equal(p.values(), q.values()));
  const ModelFile file = read_model_file(read_file(path), path);
  CHECK(file.functional.has_value());
  CHECK(file.has_optimizer_state);
  CHECK(&file.trainer() == &*file.functional);

  model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
  loaded.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
  CHECK(test::same_bits(loaded.get_weights(), model.get_weights()));

  // .onnx: the ONNX graph for inference (saving/onnx.hpp).
  model.save((dir / "m.onnx").string());
  CHECK(read_file((dir / "m.onnx").string()) == onnx_model_bytes(model));
  // A Sequential model's file asked for as Functional names what it holds.
  Sequential sequential;
  sequential.add(Dense(2, {.input_shape = {3}}));
  sequential.save((dir / "seq.elucid").string());
  CHECK_THAT(test::error_of([&] { load_model<Functional>((dir / "seq.elucid").string()); }),
             Contains("seq.elucid: holds a Sequential model \"sequential\": load it with load_model<Sequential>"));
}

TEST_CASE("a Functional model in .keras and .h5 loads back with its optimizer and goes on training to the same bits",
          "[functional][keras_v3][keras_h5]") {
  const fs::path dir = test::scratch("functional_keras_files");
  for (const char* name : {"m.keras", "m.h5"}) {
    CAPTURE(name);
    Functional model = trained_branching_model();
    auto [x, y] = branching_data(1);
    const std::string path = (dir / name).string();
    model.save(path);
    const ModelFile file = load_model_file(path);
    REQUIRE(file.functional.has_value());
    CHECK(file.has_optimizer_state);
    Functional loaded = load_model<Functional>(path);
    CHECK(loaded.to_json() == model.to_json());
    CHECK(loaded.optimizer().iterations() == model.optimizer().iterations());
    const Tensor p = model.predict(x), q = loaded.predict(x);
    CHECK(std::ranges::equal(p.values(), q.values()));
    model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
    loaded.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
    CHECK(test::same_bits(loaded.get_weights(), model.get_weights()));
  }
}

TEST_CASE("a Functional model's Keras files list its InputLayers among model.layers, as Keras' formats walk them",
          "[functional][keras_v3][keras_h5]") {
  set_random_seed(5);
  Functional model = branching_model();
  // tf.keras 2.x .h5: layer_names are model.layers' names, the input among them with no weights.
  {
    const hdf5::File file = hdf5::File::open(keras_h5_bytes(model), "m.h5");
    const hdf5::Group g = file.root().group("model_weights");
    std::vector<std::string> names;
    for (const auto& layer : model.layers()) names.push_back(layer->name());
    CHECK(names.size() == 9);
    CHECK(names[0] == "pixels");
    CHECK(g.strings_attribute("layer_names") == names);
    CHECK(g.group("pixels").strings_attribute("weight_names").empty());
    CHECK(g.group("conv2d").strings_attribute("weight_names") ==
          std::vector<std::string>{"conv2d/kernel:0", "conv2d/bias:0"});
  }
  // Keras 3 .weights.h5: a group per layer by class, input_layer included.
  {
    const hdf5::File file = hdf5::File::open(keras_weights_h5_bytes(model), "m.weights.h5");
    std::vector<std::string> groups = file.root().group("layers").children();
    std::sort(groups.begin(), groups.end());
    CHECK(groups == std::vector<std::string>{"add", "batch_normalization", "concatenate", "conv2d", "conv2d_1", "dense",
                                             "flatten", "input_layer", "maximum"});
    CHECK(file.root().group("layers").group("input_layer").group("vars").children().empty());
  }
  // Keras 3's JSON of it reads back to the same model.
  const std::string keras3 = to_keras3_json(model);
  CHECK_THAT(keras3, Contains("\"module\": \"keras.src.models.functional\", \"class_name\": \"Functional\""));
  CHECK_THAT(keras3, Contains("\"inbound_nodes\": [{\"args\": [[{\"class_name\": \"__keras_tensor__\", \"config\": "
                              "{\"shape\": [null, 5, 5, 3], \"dtype\": \"float32\", \"keras_history\": [\"conv2d_1\", 0, 0]}}, "
                              "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5, 5, 3], \"dtype\": "
                              "\"float32\", \"keras_history\": [\"batch_normalization\", 0, 0]}}]], \"kwargs\": {}}]"));
  CHECK_THAT(keras3, Contains("\"build_config\": {\"input_shape\": [[null, 5, 5, 3], [null, 5, 5, 3]]}, \"name\": \"add\""));
  const ModelFile back = any_model_from_json(keras3, "keras3.json");
  REQUIRE(back.functional.has_value());
  CHECK(back.functional->to_json() == model.to_json());
  // save_weights / load_weights between two such models.
  const fs::path dir = test::scratch("functional_weights_h5");
  set_random_seed(9);
  Functional other = branching_model();
  REQUIRE_FALSE(test::same_bits(other.get_weights(), model.get_weights()));
  for (const char* name : {"w.weights.h5", "w.h5"}) {
    model.save_weights((dir / name).string());
    set_random_seed(9);
    Functional fresh = branching_model();
    fresh.load_weights((dir / name).string());
    CHECK(test::same_bits(fresh.get_weights(), model.get_weights()));
  }
}
