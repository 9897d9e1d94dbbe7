// tf.keras 2.x .h5 files: the tree save_keras_h5 and save_weights write (walked with the HDF5 C API), round trips bit
// for bit, files h5py wrote as Keras does (tests/fixtures/keras_h5, scripts/make-keras-h5-fixtures.py), and damaged
// files refused with one message naming the file, the layer and the numbers.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/keras_h5.hpp>
#include <elucid/saving/keras_weights.hpp>

#include "support/data_files.hpp"
#include "support/error_of.hpp"
#include "support/hdf5_tree.hpp"
#include "support/same_bits.hpp"
#include "support/trained_model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
const std::string kFixtures = std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/keras_h5/";

// Conv2D, BatchNormalization's four, two weightless layers, Dense: compiled, trained two steps.
Sequential small_model(int dense_units = 3, uint64_t seed = 3) {
  set_random_seed(seed);
  Sequential model;
  model.add(Conv2D(2, {3, 3}, {.activation = "elu", .input_shape = Shape{5, 5, 1}}));
  model.add(BatchNormalization());
  model.add(MaxPooling2D({2, 2}));
  model.add(Flatten());
  model.add(Dense(dense_units));
  test::compile_and_train_two_steps(model);
  return model;
}

Tensor some_input() {
  Random rng(7);
  Tensor x({4, 5, 5, 1});
  for (float& v : x.values()) v = rng.uniform();
  return x;
}

bool h5_same_state(const optimizers::OptimizerState& a, const optimizers::OptimizerState& b) {
  if (a.iterations != b.iterations || a.learning_rate != b.learning_rate || a.slots.size() != b.slots.size()) return false;
  for (size_t i = 0; i < a.slots.size(); ++i)
    if (a.slots[i].name != b.slots[i].name || a.slots[i].values != b.slots[i].values) return false;
  return true;
}

// A dataset of zeros at "a/b/c:0" below `g`, its groups made as h5py's create_dataset makes them.
void h5_write_nested(hdf5::Group& g, const std::string& name, const Shape& shape) {
  const size_t cut = name.find('/');
  if (cut == std::string::npos) {
    std::vector<float> zeros(static_cast<size_t>(numel(shape)), 0.25f);
    return g.write_floats(name, shape, zeros.data());
  }
  const std::string first = name.substr(0, cut);
  hdf5::Group sub = g.has_group(first) ? g.group(first) : g.create_group(first);
  h5_write_nested(sub, name.substr(cut + 1), shape);
}

bool same_predictions(Sequential& a, Sequential& b) {
  const Tensor x = some_input();
  const Tensor pa = a.predict(x), pb = b.predict(x);
  return pa.shape() == pb.shape() && std::equal(pa.values().begin(), pa.values().end(), pb.values().begin());
}

// The fixtures' weights: weight j (model order, trainable first in a layer), flat index i.
void check_fixture_weights(const Sequential& model) {
  const std::vector<NamedTensor> weights = model.weights();
  REQUIRE(weights.size() == 8);
  for (size_t j = 0; j < weights.size(); ++j) {
    const auto& v = weights[j].tensor.values();
    for (size_t i = 0; i < v.size(); ++i)
      REQUIRE(v[i] == static_cast<float>(static_cast<double>((7 * i + 13 * j) % 23) / 23.0 + 0.1));
  }
}

// A weights-only legacy file made here: each layer's weight names and the datasets written for them.
struct FakeWeight {
  std::string name;
  Shape shape;
  bool integer = false;  // an int64 scalar instead of float32 values
};
struct FakeLayer {
  std::string name;
  std::vector<FakeWeight> weights;
};
std::string legacy_file(const std::vector<FakeLayer>& layers) {
  hdf5::File file = hdf5::File::create("fake.h5");
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l.name);
  file.root().set_strings_attribute("layer_names", names);
  for (const auto& l : layers) {
    hdf5::Group g = file.root().create_group(l.name);
    std::vector<std::string> weight_names;
    for (const auto& w : l.weights) weight_names.push_back(w.name);
    g.set_strings_attribute("weight_names", weight_names);
    for (const auto& w : l.weights) {
      if (w.integer) {
        g.write_int64(w.name, 1);
      } else {
        int64_t n = 1;
        for (int64_t d : w.shape) n *= d;
        std::vector<float> zeros(static_cast<size_t>(n), 0.5f);
        g.write_floats(w.name, w.shape, zeros.data());
      }
    }
  }
  return file.bytes();
}

// The fixture model's layers as a legacy file would list them, with one change.
std::vector<FakeLayer> fixture_layers() {
  return {{"conv2d", {{"kernel", {3, 3, 1, 2}}, {"bias", {2}}}},
          {"batch_normalization", {{"gamma", {2}}, {"beta", {2}}, {"moving_mean", {2}}, {"moving_variance", {2}}}},
          {"max_pooling2d", {}},
          {"flatten", {}},
          {"dense", {{"kernel", {2, 3}}, {"bias", {3}}}}};
}
}  // namespace

TEST_CASE("save_keras_h5 writes tf.keras 2.x's tree: root attributes, model_weights, a group per layer", "[keras_h5]") {
  Sequential model = small_model();
  const std::string bytes = keras_h5_bytes(model);
  CHECK(is_hdf5_bytes(bytes));
  const std::vector<std::string> expected = {
      "/@backend string", "/@keras_version string", "/@model_config string", "/@training_config string",
      "/model_weights group", "/model_weights@backend string", "/model_weights@keras_version string",
      "/model_weights@layer_names string",
      "/model_weights/batch_normalization group", "/model_weights/batch_normalization@weight_names string",
      "/model_weights/batch_normalization/batch_normalization group",
      "/model_weights/batch_normalization/batch_normalization/beta:0 float32 (2,)",
      "/model_weights/batch_normalization/batch_normalization/gamma:0 float32 (2,)",
      "/model_weights/batch_normalization/batch_normalization/moving_mean:0 float32 (2,)",
      "/model_weights/batch_normalization/batch_normalization/moving_variance:0 float32 (2,)",
      "/model_weights/conv2d group", "/model_weights/conv2d@weight_names string", "/model_weights/conv2d/conv2d group",
      "/model_weights/conv2d/conv2d/bias:0 float32 (2,)", "/model_weights/conv2d/conv2d/kernel:0 float32 (3, 3, 1, 2)",
      "/model_weights/dense group", "/model_weights/dense@weight_names string", "/model_weights/dense/dense group",
      "/model_weights/dense/dense/bias:0 float32 (3,)", "/model_weights/dense/dense/kernel:0 float32 (2, 3)",
      "/model_weights/flatten group", "/model_weights/flatten@weight_names string",
      "/model_weights/max_pooling2d group", "/model_weights/max_pooling2d@weight_names string"};
  // The optimizer, trained two steps: OptimizerV2's names, groups made by their slashes.
  std::vector<std::string> with_optimizer = expected;
  for (const char* line : {"/optimizer_weights group", "/optimizer_weights@weight_names string", "/optimizer_weights/Adam group",
                           "/optimizer_weights/Adam/iter:0 int64 ()"})
    with_optimizer.emplace_back(line);
  for (const auto& [variable, shape] : std::vector<std::pair<std::string, std::string>>{
           {"conv2d/kernel", "(3, 3, 1, 2)"}, {"conv2d/bias", "(2,)"}, {"batch_normalization/gamma", "(2,)"},
           {"batch_normalization/beta", "(2,)"}, {"dense/kernel", "(2, 3)"}, {"dense/bias", "(3,)"}}) {
    const std::string layer = variable.substr(0, variable.find('/'));
    with_optimizer.push_back("/optimizer_weights/Adam/" + layer + " group");
    with_optimizer.push_back("/optimizer_weights/Adam/" + variable + " group");
    for (const char* slot : {"m", "v"}) with_optimizer.push_back("/optimizer_weights/Adam/" + variable + "/" + slot + ":0 float32 " + shape);
  }
  std::sort(with_optimizer.begin(), with_optimizer.end());
  with_optimizer.erase(std::unique(with_optimizer.begin(), with_optimizer.end()), with_optimizer.end());
  CHECK(test::hdf5_tree(bytes) == test::sorted(with_optimizer));
  CHECK(test::hdf5_tree(keras_h5_bytes(model, {.include_optimizer = false})) == test::sorted(expected));
  const hdf5::File file = hdf5::File::open(bytes, "m.h5");
  CHECK(file.root().group("optimizer_weights").strings_attribute("weight_names") ==
        std::vector<std::string>{"Adam/iter:0", "Adam/conv2d/kernel/m:0", "Adam/conv2d/bias/m:0",
                                 "Adam/batch_normalization/gamma/m:0", "Adam/batch_normalization/beta/m:0",
                                 "Adam/dense/kernel/m:0", "Adam/dense/bias/m:0", "Adam/conv2d/kernel/v:0",
                                 "Adam/conv2d/bias/v:0", "Adam/batch_normalization/gamma/v:0",
                                 "Adam/batch_normalization/beta/v:0", "Adam/dense/kernel/v:0", "Adam/dense/bias/v:0"});
  CHECK(file.root().group("optimizer_weights").group("Adam").read_scalar("iter:0") == 2);
  CHECK(test::hdf5_string_attribute(bytes, "/", "keras_version") == "2.4.0");
  CHECK(test::hdf5_string_attribute(bytes, "/", "backend") == "tensorflow");
  // model_config is to_json's text without its keras_version and backend.
  const std::string config = test::hdf5_string_attribute(bytes, "/", "model_config");
  CHECK(config.rfind("{\"class_name\": \"Sequential\", \"config\": {", 0) == 0);
  CHECK(config.find("keras_version") == std::string::npos);
  CHECK_THAT(test::hdf5_string_attribute(bytes, "/", "training_config"), Contains("\"optimizer_config\": {"));

  // The weights only: model_weights' content at the root.
  std::vector<std::string> root;
  for (const std::string& line : expected)
    if (line.rfind("/model_weights", 0) == 0 && line != "/model_weights group") root.push_back(line.substr(14));
  for (std::string& line : root)
    if (line[0] == '@') line = "/" + line;
  CHECK(test::hdf5_tree(keras_h5_weights_bytes(model)) == test::sorted(root));
}

TEST_CASE("the seed model's .h5 lists its layers in model order and its weights by Keras name", "[keras_h5]") {
  Sequential model = model_from_json(read_file(std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/seed_model.keras3.json"));
  const std::string bytes = keras_h5_bytes(model);
  const hdf5::File file = hdf5::File::open(bytes, "seed.h5");
  const hdf5::Group g = file.root().group("model_weights");
  CHECK(g.strings_attribute("layer_names") ==
        std::vector<std::string>{"conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten",
                                 "dense", "dense_1"});
  CHECK(g.group("conv2d_2").strings_attribute("weight_names") ==
        std::vector<std::string>{"conv2d_2/kernel:0", "conv2d_2/bias:0"});
  CHECK(g.group("max_pooling2d").strings_attribute("weight_names").empty());
  CHECK(g.group("dense").group("dense").dataset_info("kernel:0").shape == Shape{576, 64});
}

TEST_CASE("a model saved as .h5 loads back compiled, with the same weights and predictions bit for bit", "[keras_h5]") {
  const fs::path dir = test::scratch("keras_h5_round_trip");
  Sequential model = small_model();
  const std::string path = (dir / "m.h5").string();
  save_keras_h5(model, path);
  ModelFile loaded = load_keras_h5(path);
  CHECK(test::same_bits(loaded.model.get_weights(), model.get_weights()));
  CHECK(same_predictions(model, loaded.model));
  REQUIRE(loaded.model.compiled());
  CHECK(loaded.model.optimizer().name() == "Adam");
  CHECK(loaded.model.to_json() == model.to_json());
  // The same model gives the same bytes.
  CHECK(keras_h5_bytes(model) == keras_h5_bytes(model));
}

TEST_CASE("a trained model's .h5 keeps its optimizer: loaded, it goes on training to the same bits", "[keras_h5]") {
  for (const bool amsgrad : {false, true}) {
    CAPTURE(amsgrad);
    Sequential model = small_model();
    model.compile(optimizers::Adam({.learning_rate = 0.01f, .amsgrad = amsgrad}),
                  losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
    Tensor x = some_input(), y({4});
    for (int i = 0; i < 4; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
    model.train_on_batch(x, y);
    const std::string bytes = keras_h5_bytes(model);
    ModelFile loaded = read_keras_h5(bytes, "m.h5");
    REQUIRE(loaded.has_optimizer_state);
    CHECK(h5_same_state(loaded.model.optimizer().state(), model.optimizer().state()));
    model.train_on_batch(x, y);
    loaded.model.train_on_batch(x, y);
    CHECK(test::same_bits(loaded.model.get_weights(), model.get_weights()));
    // Without the optimizer's weights: a fresh optimizer, as Keras.
    ModelFile fresh = read_keras_h5(keras_h5_bytes(model, {.include_optimizer = false}), "fresh.h5");
    CHECK_FALSE(fresh.has_optimizer_state);
    CHECK(fresh.model.optimizer().state().iterations == 0);
  }
  // RMSprop with momentum and centered: three slots, OptimizerV2's rms, momentum, mg.
  Sequential model = small_model();
  model.compile(optimizers::RMSprop({.momentum = 0.9, .centered = true}),
                losses::SparseCategoricalCrossentropy({.from_logits = true}));
  Tensor x = some_input(), y({4});
  model.train_on_batch(x, y);
  const std::string bytes = keras_h5_bytes(model);
  const std::vector<std::string> names =
      hdf5::File::open(bytes, "r.h5").root().group("optimizer_weights").strings_attribute("weight_names");
  REQUIRE(names.size() == 1 + 3 * 6);
  CHECK(names[0] == "RMSprop/iter:0");
  CHECK(names[1] == "RMSprop/conv2d/kernel/rms:0");
  CHECK(names[7] == "RMSprop/conv2d/kernel/momentum:0");
  CHECK(names[18] == "RMSprop/dense/bias/mg:0");
  ModelFile loaded = read_keras_h5(bytes, "r.h5");
  REQUIRE(loaded.has_optimizer_state);
  CHECK(h5_same_state(loaded.model.optimizer().state(), model.optimizer().state()));
}

TEST_CASE("optimizer_weights that fit neither of tf.keras' layouts leave a fresh optimizer, a wrong shape is refused",
          "[keras_h5]") {
  Sequential model = small_model();
  const std::vector<NamedTensor> params = model.trainable_weights();
  // The model's .h5 with optimizer_weights made here: `names`, each dataset in its parameter's shape (that of
  // parameter (i - 1) % 6 for name i) but for name `wrong` (if any), which is 7 floats; the step count `iterations`.
  const auto file_with = [&](const std::vector<std::string>& names, size_t wrong, int64_t iterations) {
    hdf5::File file = hdf5::File::create("o.h5");
    hdf5::Group& root = file.root();
    const hdf5::File original = hdf5::File::open(keras_h5_bytes(model, {.include_optimizer = false}), "good.h5");
    for (const char* key : {"keras_version", "backend", "model_config", "training_config"})
      root.set_string_attribute(key, original.root().string_attribute(key), false);
    hdf5::Group weights = root.create_group("model_weights");
    std::vector<std::string> layer_names;
    for (const auto& layer : model.layers()) layer_names.push_back(layer->name());
    weights.set_strings_attribute("layer_names", layer_names);
    for (const auto& layer : model.layers()) {
      hdf5::Group lg = weights.create_group(layer->name());
      std::vector<std::string> weight_names;
      for (const NamedTensor& w : layer->weights()) weight_names.push_back(w.name + ":0");
      lg.set_strings_attribute("weight_names", weight_names);
      for (const NamedTensor& w : layer->weights()) h5_write_nested(lg, w.name + ":0", w.tensor.shape());
    }
    hdf5::Group o = root.create_group("optimizer_weights");
    o.set_strings_attribute("weight_names", names);
    o.write_int64(names[0], iterations);
    for (size_t i = 1; i < names.size(); ++i)
      h5_write_nested(o, names[i], i == wrong ? Shape{7} : params[(i - 1) % params.size()].tensor.shape());
    return file.bytes();
  };
  std::vector<std::string> v2{"iter:0"};
  for (const char* slot : {"m", "v"})
    for (const NamedTensor& p : params) v2.push_back("Adam/" + p.name + "/" + slot + ":0");
  {
    const ModelFile file = read_keras_h5(file_with(v2, 0, 5), "good.h5");
    REQUIRE(file.has_optimizer_state);
    CHECK(file.model.optimizer().state().iterations == 5);
  }
  // Too few variables, or the names of another model: a fresh optimizer.
  const std::vector<std::string> short_list(v2.begin(), v2.end() - 1);
  CHECK_FALSE(read_keras_h5(file_with(short_list, 0, 5), "short.h5").has_optimizer_state);
  std::vector<std::string> other = v2;
  other[1] = "Adam/conv2d_7/kernel/m:0";
  CHECK_FALSE(read_keras_h5(file_with(other, 0, 5), "other.h5").has_optimizer_state);
  // A name that fits with a dataset of another shape, or a negative step count: an error naming them.
  CHECK_THAT(test::error_of([&] { read_keras_h5(file_with(v2, 2, 5), "shape.h5"); }),
             Contains("shape.h5: /optimizer_weights: \"Adam/conv2d/bias/m:0\" (momentum of conv2d/bias) is float32 (7,); "
                      "expected float32 (2,)"));
  CHECK_THAT(test::error_of([&] { read_keras_h5(file_with(v2, 0, -3), "count.h5"); }),
             Contains("count.h5: /optimizer_weights: \"iter:0\" is -3"));
}

TEST_CASE("files h5py wrote as tf.keras does load: fixed- and variable-length strings, float64 empty names",
          "[keras_h5]") {
  ModelFile file = load_keras_h5(kFixtures + "legacy_model.h5");
  check_fixture_weights(file.model);
  REQUIRE(file.model.compiled());
  CHECK(file.model.optimizer().name() == "Adam");
  CHECK(file.model.optimizer().learning_rate() == 0.001f);
  // tf.keras 2.15's optimizer_weights: iteration:0, then Adam/m/<variable>:0 and Adam/v/<variable>:0 in turn.
  REQUIRE(file.has_optimizer_state);
  const optimizers::OptimizerState state = file.model.optimizer().state();
  CHECK(state.iterations == 2);
  REQUIRE(state.slots.size() == 12);
  CHECK(state.slots[0].name == "conv2d/kernel/momentum");
  CHECK(state.slots[0].values[0] == 0.01f);
  CHECK(state.slots[1].name == "conv2d/kernel/velocity");
  CHECK(state.slots[1].values[0] == 0.011f);
  CHECK(state.slots[11].name == "dense/bias/velocity");
  CHECK(state.slots[11].values[0] == 0.061f);

  Sequential model = small_model(3, 5);
  load_weights(model, kFixtures + "legacy_weights_vlen.h5");
  check_fixture_weights(model);
}

TEST_CASE("a damaged or mismatched .h5 is refused with the file, the layer and the numbers", "[keras_h5]") {
  const fs::path dir = test::scratch("keras_h5_bad");
  Sequential model = small_model();
  const auto load = [&](const std::string& name, const std::string& bytes) {
    const std::string path = (dir / name).string();
    write_file_atomically(path, bytes);
    return test::error_of([&] { load_weights(model, path); });
  };
  const std::vector<NamedTensor> before = model.get_weights();

  // Another Dense: the shape differs.
  Sequential wider = small_model(4);
  CHECK_THAT(load("shape.h5", keras_h5_weights_bytes(wider)),
             Contains("shape.h5: layer \"dense\" (Dense, file group \"dense\"): weight \"dense/kernel:0\" has shape "
                      "(2, 4); the layer's dense/kernel is (2, 3)"));
  // A layer with weights too few.
  auto layers = fixture_layers();
  layers.pop_back();
  CHECK_THAT(load("layers.h5", legacy_file(layers)), Contains("layers.h5: /: the file has 2 layers with weights, the model 3"));
  // A weight too few.
  layers = fixture_layers();
  layers[1].weights.pop_back();
  CHECK_THAT(load("count.h5", legacy_file(layers)),
             Contains("count.h5: layer \"batch_normalization\" (BatchNormalization, file group \"batch_normalization\") "
                      "has 4 weights, the file 3"));
  // An int64 instead of float32.
  layers = fixture_layers();
  layers[0].weights[1].integer = true;
  CHECK_THAT(load("dtype.h5", legacy_file(layers)), Contains("weight \"bias\" is int64; elucid reads float32"));
  // layer_names names a group that is not there.
  hdf5::File f = hdf5::File::create("missing.h5");
  f.root().set_strings_attribute("layer_names", {"conv2d"});
  CHECK_THAT(load("missing.h5", f.bytes()),
             Contains("missing.h5: /: layer_names lists \"conv2d\" but there is no group of that name"));
  // Not HDF5, cut short, or another layout.
  CHECK_THAT(load("text.h5", "hello"), Contains("text.h5: not an HDF5 file"));
  CHECK_THAT(load("cut.h5", keras_h5_bytes(model).substr(0, 600)), Contains("cut.h5: HDF5 cannot open it"));
  CHECK_THAT(test::error_of([&] { read_keras_h5(keras_h5_weights_bytes(model), "w.h5"); }),
             Contains("w.h5: /: no model_config attribute"));
  // Nothing was changed by the failed loads.
  CHECK(test::same_bits(model.get_weights(), before));
}

TEST_CASE("a failed save leaves the old file and save_weights wants an .h5 name", "[keras_h5]") {
  const fs::path dir = test::scratch("keras_h5_atomic");
  const std::string path = (dir / "m.h5").string();
  Sequential model = small_model();
  save_keras_h5(model, path);
  const std::string good = read_file(path);
  Sequential empty;
  CHECK_THROWS_AS(save_keras_h5(empty, path), Error);
  CHECK_THROWS_AS(save_weights(empty, path), Error);
  CHECK(read_file(path) == good);
  CHECK_THAT(test::error_of([&] { save_weights(model, (dir / "w.bin").string()); }),
             Contains("w.bin: save_weights writes .weights.h5 (Keras 3) or .h5 (tf.keras 2.x)"));
}

TEST_CASE("layer_names split as Keras splits a long list (layer_names0, layer_names1) is read whole", "[keras_h5]") {
  Sequential model = small_model();
  hdf5::File file = hdf5::File::create("split.h5");
  hdf5::Group& root = file.root();
  const std::vector<std::string> all = {"conv2d", "batch_normalization", "max_pooling2d", "flatten", "dense"};
  root.set_strings_attribute("layer_names0", {all.begin(), all.begin() + 2});
  root.set_strings_attribute("layer_names1", {all.begin() + 2, all.end()});
  for (const auto& layer : model.layers()) {
    hdf5::Group g = root.create_group(layer->name());
    std::vector<std::string> names;
    for (const NamedTensor& w : layer->weights()) names.push_back(w.name);
    g.set_strings_attribute("weight_names", names);
    for (const NamedTensor& w : layer->weights()) {
      hdf5::Group sub = g.has_group(layer->name()) ? g.group(layer->name()) : g.create_group(layer->name());
      sub.write_floats(w.name.substr(w.name.find('/') + 1), w.tensor.shape(), w.tensor.data());
    }
  }
  Sequential other = small_model(3, 13);
  read_keras_h5_weights(other, file.bytes(), "split.h5");
  CHECK(test::same_bits(other.get_weights(), model.get_weights()));
}
