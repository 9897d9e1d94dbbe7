// The TensorFlow.js layers format: the folder export_tfjs writes (model.json's keys, the manifest's order, names,
// shapes, the shards' bytes and their 4 MiB split), load_tfjs giving back the same model bit for bit, and a damaged
// folder (missing or short shard, wrong shape, unknown weight, another dtype) refused with one clear message.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/tfjs.hpp>

#include "support/data_files.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
// Every kind of weight (conv, batch normalization's four, dense), compiled, trained two steps, with class names.
Sequential small_model() {
  set_random_seed(3);
  Sequential model("small");
  model.add(Conv2D(4, {3, 3}, {.activation = "elu", .input_shape = Shape{8, 8, 1}}));
  model.add(BatchNormalization());
  model.add(MaxPooling2D({2, 2}));
  model.add(Flatten());
  model.add(Dense(3));
  model.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  Random rng(1);
  Tensor x({6, 8, 8, 1}), y({6});
  for (float& v : x.values()) v = rng.uniform();
  for (int i = 0; i < 6; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
  model.train_on_batch(x, y);
  model.train_on_batch(x, y);
  model.class_names = {"a", "b", "c"};
  return model;
}

Tensor some_input(const Shape& shape) {
  Random rng(7);
  Tensor x(shape);
  for (float& v : x.values()) v = rng.uniform();
  return x;
}

json::Json read_json(const fs::path& path) { return json::parse(read_file(path.string()), path.string()); }

void write_json(const fs::path& path, const json::Json& j) { write_file_atomically(path.string(), j.dump()); }

std::string load_error(const fs::path& dir) {
  try {
    load_tfjs(dir.string());
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for " << dir);
  return "";
}

// The little-endian float32 bytes of some weights, one after the other.
std::string bytes_of(const std::vector<NamedTensor>& weights) {
  std::string out;
  for (const auto& w : weights)
    for (float v : w.tensor.values()) {
      uint32_t u = 0;
      std::memcpy(&u, &v, 4);
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((u >> (8 * b)) & 0xffu));
    }
  return out;
}
}  // namespace

TEST_CASE("export_tfjs writes model.json and one shard as tfjs lays them out", "[tfjs]") {
  const fs::path dir = test::scratch("tfjs_layout") / "out";  // made by the export
  Sequential model = small_model();
  export_tfjs(model, dir.string());

  const json::Json top = read_json(dir / "model.json");
  std::vector<std::string> keys;
  for (const auto& [key, value] : top.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"modelTopology", "format", "generatedBy", "convertedBy", "weightsManifest",
                                         "userDefinedMetadata"});
  CHECK(top["format"] == "layers-model");
  CHECK(top["generatedBy"] == std::string("elucid ") + version);
  CHECK(top["convertedBy"].is_null());
  CHECK(top["modelTopology"] == json::parse(model.to_json(), "to_json"));
  CHECK(top["userDefinedMetadata"]["elucid"]["class_names"] == std::vector<std::string>{"a", "b", "c"});
  CHECK(top["userDefinedMetadata"]["elucid"]["compile_config"]["loss"].is_object());

  REQUIRE(top["weightsManifest"].size() == 1);
  const json::Json& group = top["weightsManifest"][0];
  CHECK(group["paths"] == std::vector<std::string>{"group1-shard1of1.bin"});
  // tfjs' order: the trainable weights layer by layer, then the non-trainable ones.
  const std::vector<std::string> names = {"conv2d/kernel", "conv2d/bias", "batch_normalization/gamma",
                                          "batch_normalization/beta", "dense/kernel", "dense/bias",
                                          "batch_normalization/moving_mean", "batch_normalization/moving_variance"};
  const std::vector<Shape> shapes = {{3, 3, 1, 4}, {4}, {4}, {4}, {36, 3}, {3}, {4}, {4}};
  REQUIRE(group["weights"].size() == names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(group["weights"][i]["name"] == names[i]);
    CHECK(group["weights"][i]["shape"].get<Shape>() == shapes[i]);
    CHECK(group["weights"][i]["dtype"] == "float32");
  }
  std::vector<NamedTensor> ordered = model.trainable_weights();
  for (auto& w : model.non_trainable_weights()) ordered.push_back(w);
  const std::string shard = read_file((dir / "group1-shard1of1.bin").string());
  CHECK(shard.size() == 4 * static_cast<size_t>(model.count_params()));
  CHECK(shard == bytes_of(ordered));
}

TEST_CASE("export_tfjs cuts the weights into 4 MiB shards and load_tfjs joins them", "[tfjs]") {
  const fs::path dir = test::scratch("tfjs_shards");
  set_random_seed(5);
  Sequential model;
  model.add(Dense(1100, {.input_shape = Shape{1000}}));  // 1,101,100 floats: 4,404,400 bytes
  export_tfjs(model, dir.string());

  const json::Json top = read_json(dir / "model.json");
  CHECK(!top.contains("userDefinedMetadata"));  // neither compiled nor with class names
  CHECK(top["weightsManifest"][0]["paths"] ==
        std::vector<std::string>{"group1-shard1of2.bin", "group1-shard2of2.bin"});
  CHECK(fs::file_size(dir / "group1-shard1of2.bin") == 4194304);
  CHECK(fs::file_size(dir / "group1-shard2of2.bin") == 4404400 - 4194304);
  // The kernel spans both shards.
  CHECK(read_file((dir / "group1-shard1of2.bin").string()) + read_file((dir / "group1-shard2of2.bin").string()) ==
        bytes_of(model.weights()));

  ModelFile loaded = load_tfjs(dir.string());
  CHECK(test::same_bits(loaded.model.get_weights(), model.get_weights()));
  CHECK(!loaded.model.compiled());
}

TEST_CASE("a model exported to tfjs loads back with the same predictions bit for bit", "[tfjs]") {
  const fs::path dir = test::scratch("tfjs_round_trip");
  Sequential model = small_model();
  export_tfjs(model, dir.string());
  CHECK(is_tfjs_model(dir.string()));
  CHECK(is_tfjs_model((dir / "model.json").string()));

  for (const fs::path& path : {dir, dir / "model.json"}) {
    ModelFile loaded = load_tfjs(path.string());
    CHECK(test::same_bits(loaded.model.get_weights(), model.get_weights()));
    const Tensor x = some_input({5, 8, 8, 1});
    const Tensor a = model.predict(x), b = loaded.model.predict(x);
    REQUIRE(a.shape() == b.shape());
    CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())) == 0);
    CHECK(loaded.class_names == std::vector<std::string>{"a", "b", "c"});
    CHECK(loaded.model.class_names == loaded.class_names);
    REQUIRE(loaded.model.compiled());
    CHECK(loaded.model.loss().from_logits());
    CHECK(loaded.model.metric_names() == std::vector<std::string>{"accuracy"});
    CHECK(loaded.model.to_json() == model.to_json());
  }
}

TEST_CASE("is_tfjs_model tells a tfjs folder from model files, recipes and Keras JSON", "[tfjs]") {
  const fs::path dir = test::scratch("tfjs_kind");
  Sequential model = small_model();
  model.save((dir / "m.elucid").string());
  write_file_atomically((dir / "keras.json").string(), model.to_json());
  write_file_atomically((dir / "recipe.json").string(), "{\"model\": {}}");
  CHECK(!is_tfjs_model((dir / "m.elucid").string()));
  CHECK(!is_tfjs_model((dir / "keras.json").string()));
  CHECK(!is_tfjs_model((dir / "recipe.json").string()));
  CHECK(!is_tfjs_model(dir.string()));  // a folder without model.json
  CHECK(!is_tfjs_model((dir / "missing").string()));
}

TEST_CASE("a damaged tfjs folder is one error naming the file and the weight", "[tfjs]") {
  const fs::path dir = test::scratch("tfjs_damaged");
  const Sequential model = small_model();
  export_tfjs(model, dir.string());
  const fs::path shard = dir / "group1-shard1of1.bin";
  const std::string shard_bytes = read_file(shard.string());
  const json::Json good = read_json(dir / "model.json");
  auto restore = [&] {
    write_file_atomically(shard.string(), shard_bytes);
    write_json(dir / "model.json", good);
  };
  // weights[i] of the manifest's one group, to edit.
  auto with_weight = [&](size_t i, auto edit) {
    json::Json j = good;
    edit(j["weightsManifest"][0]["weights"][i]);
    write_json(dir / "model.json", j);
  };

  SECTION("a missing shard") {
    fs::remove(shard);
    const std::string e = load_error(dir);
    CHECK_THAT(e, Contains(shard.string() + ": no such file") && Contains("\"conv2d/kernel\""));
  }
  SECTION("a shard cut short") {
    write_file_atomically(shard.string(), shard_bytes.substr(0, shard_bytes.size() - 10));
    const std::string e = load_error(dir);
    CHECK_THAT(e, Contains(shard.string()) && Contains(std::to_string(shard_bytes.size() - 10) + " bytes") &&
                      Contains(std::to_string(shard_bytes.size())) &&
                      Contains("\"batch_normalization/moving_variance\"") && Contains("cut short"));
  }
  SECTION("a shard longer than its weights") {
    write_file_atomically(shard.string(), shard_bytes + "abcd");
    CHECK_THAT(load_error(dir), Contains(shard.string()) && Contains("more than the " +
                                                                     std::to_string(shard_bytes.size())));
  }
  SECTION("a wrong shape") {
    // The same number of values, so the shard sizes agree and the shape itself is what is wrong.
    with_weight(4, [](json::Json& w) { w["shape"] = {3, 36}; });
    CHECK_THAT(load_error(dir), Contains("model.json") && Contains("\"dense/kernel\" has shape (3, 36)") &&
                                    Contains("the layer's is (36, 3)"));
  }
  SECTION("an unknown weight name") {
    with_weight(5, [](json::Json& w) { w["name"] = "dense/biass"; });
    CHECK_THAT(load_error(dir), Contains("model.json") && Contains("\"dense/biass\" is not one of the model's") &&
                                    Contains("did you mean \"dense/bias\""));
  }
  SECTION("a weight the model has is not in the manifest") {
    json::Json j = good;
    j["weightsManifest"][0]["weights"].erase(7);  // the last: the shard is then 16 bytes too long
    write_json(dir / "model.json", j);
    write_file_atomically(shard.string(), shard_bytes.substr(0, shard_bytes.size() - 16));
    CHECK_THAT(load_error(dir), Contains("\"batch_normalization/moving_variance\" is not in it"));
  }
  SECTION("a dtype other than float32") {
    with_weight(1, [](json::Json& w) { w["dtype"] = "int32"; });
    CHECK_THAT(load_error(dir), Contains("model.json: weightsManifest[0].weights[1].dtype") &&
                                    Contains("\"conv2d/bias\" is int32; elucid reads float32 weights only"));
  }
  SECTION("a shard path that leaves the folder") {
    json::Json j = good;
    j["weightsManifest"][0]["paths"][0] = "../group1-shard1of1.bin";
    write_json(dir / "model.json", j);
    CHECK_THAT(load_error(dir), Contains("weightsManifest[0].paths[0]") && Contains("a file in the model's folder"));
  }
  SECTION("a graph model") {
    json::Json j = good;
    j["format"] = "graph-model";
    write_json(dir / "model.json", j);
    CHECK_THAT(load_error(dir), Contains("model.json: format") && Contains("not a TensorFlow.js layers model"));
  }
  SECTION("a huge shape is refused before anything is allocated") {
    with_weight(0, [](json::Json& w) { w["shape"] = {1 << 20, 1 << 20, 3, 3}; });
    CHECK_THAT(load_error(dir), Contains("\"conv2d/kernel\"") && Contains("larger than"));
  }
  restore();
  CHECK(test::same_bits(load_tfjs(dir.string()).model.get_weights(), model.get_weights()));
}
