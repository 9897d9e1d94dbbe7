// Keras 3 .weights.h5 and .keras: the tree (layers/<class>_<n>/vars/<i>, optimizer/vars, vars) walked with the HDF5
// C API, the zip's members, round trips bit for bit with the optimizer state, files h5py and Python's zipfile wrote as
// Keras does (tests/fixtures/keras_h5), and damaged files refused with the file, the group, the layer and the numbers.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/hdf5_file.hpp>
#include <elucid/saving/keras_v3.hpp>
#include <elucid/saving/keras_weights.hpp>

#include "support/data_files.hpp"
#include "support/error_of.hpp"
#include "support/hdf5_tree.hpp"
#include "support/same_bits.hpp"
#include "support/trained_model.hpp"

#include <catch2/catch.hpp>
#include <zip.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
const std::string kFixtures = std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/keras_h5/";

// Conv2D, BatchNormalization, weightless layers (one ReLU), two Dense: compiled, trained two steps.
Sequential small_model(int dense_units = 3, uint64_t seed = 3, bool extra_dense = false) {
  set_random_seed(seed);
  Sequential model;
  model.add(Conv2D(2, {3, 3}, {.activation = "elu", .input_shape = Shape{5, 5, 1}}));
  model.add(BatchNormalization());
  model.add(ReLU());
  model.add(MaxPooling2D({2, 2}));
  model.add(Flatten());
  model.add(Dense(dense_units));
  if (extra_dense) model.add(Dense(3));
  test::compile_and_train_two_steps(model);
  return model;
}

bool same_predictions(Sequential& a, Sequential& b) {
  Random rng(7);
  Tensor x({4, 5, 5, 1});
  for (float& v : x.values()) v = rng.uniform();
  const Tensor pa = a.predict(x), pb = b.predict(x);
  return pa.shape() == pb.shape() && std::equal(pa.values().begin(), pa.values().end(), pb.values().begin());
}

bool same_state(const optimizers::OptimizerState& a, const optimizers::OptimizerState& b) {
  if (a.iterations != b.iterations || a.learning_rate != b.learning_rate || a.slots.size() != b.slots.size()) return false;
  for (size_t i = 0; i < a.slots.size(); ++i)
    if (a.slots[i].name != b.slots[i].name || a.slots[i].values != b.slots[i].values) return false;
  return true;
}

// The members of a zip: name, compression method, size.
struct Member {
  std::string name;
  int method;
  uint64_t size;
  bool operator==(const Member&) const = default;
};
std::vector<Member> members(const std::string& bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* zip = zip_open_from_source(src, ZIP_RDONLY, &error);
  REQUIRE(zip);
  std::vector<Member> out;
  for (zip_int64_t i = 0; i < zip_get_num_entries(zip, 0); ++i) {
    zip_stat_t st;
    zip_stat_index(zip, static_cast<zip_uint64_t>(i), 0, &st);
    out.push_back({st.name, st.comp_method, st.size});
  }
  zip_discard(zip);
  return out;
}

// A stored zip of the given members, written with libzip here.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& files) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  zip_source_keep(buffer);
  for (const auto& [name, data] : files)
    zip_file_add(zip, name.c_str(), zip_source_buffer(zip, data.data(), data.size(), 0), 0);
  zip_close(zip);
  zip_source_open(buffer);
  zip_stat_t st;
  zip_source_stat(buffer, &st);
  std::string out(st.size, '\0');
  zip_source_read(buffer, out.data(), out.size());
  zip_source_close(buffer);
  zip_source_free(buffer);
  return out;
}

// The bytes of one member of a zip.
std::string member(const std::string& bytes, const char* name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_t* zip = zip_open_from_source(zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error), ZIP_RDONLY, &error);
  zip_stat_t st;
  zip_stat(zip, name, 0, &st);
  std::string out(st.size, '\0');
  zip_file_t* f = zip_fopen(zip, name, 0);
  zip_fread(f, out.data(), out.size());
  zip_fclose(f);
  zip_discard(zip);
  return out;
}
}  // namespace

TEST_CASE(".weights.h5 has Keras 3's tree: layers by class and number, vars for every layer, optimizer, vars",
          "[keras_v3]") {
  Sequential model = small_model(3, 3, true);
  const std::string bytes = keras_weights_h5_bytes(model, true);
  std::vector<std::string> expected = {
      "/layers group",
      "/layers/conv2d group", "/layers/conv2d/vars group", "/layers/conv2d/vars@name vstring",
      "/layers/conv2d/vars/0 float32 (3, 3, 1, 2)", "/layers/conv2d/vars/1 float32 (2,)",
      "/layers/batch_normalization group", "/layers/batch_normalization/vars group",
      "/layers/batch_normalization/vars@name vstring", "/layers/batch_normalization/vars/0 float32 (2,)",
      "/layers/batch_normalization/vars/1 float32 (2,)", "/layers/batch_normalization/vars/2 float32 (2,)",
      "/layers/batch_normalization/vars/3 float32 (2,)",
      "/layers/re_lu group", "/layers/re_lu/vars group", "/layers/re_lu/vars@name vstring",
      "/layers/max_pooling2d group", "/layers/max_pooling2d/vars group", "/layers/max_pooling2d/vars@name vstring",
      "/layers/flatten group", "/layers/flatten/vars group", "/layers/flatten/vars@name vstring",
      "/layers/dense group", "/layers/dense/vars group", "/layers/dense/vars@name vstring",
      "/layers/dense/vars/0 float32 (2, 3)", "/layers/dense/vars/1 float32 (3,)",
      "/layers/dense_1 group", "/layers/dense_1/vars group", "/layers/dense_1/vars@name vstring",
      "/layers/dense_1/vars/0 float32 (3, 3)", "/layers/dense_1/vars/1 float32 (3,)",
      "/optimizer group", "/optimizer/vars group", "/optimizer/vars@name vstring",
      "/optimizer/vars/0 int64 ()", "/optimizer/vars/1 float32 ()",
      "/vars group", "/vars@name vstring"};
  // Adam: momentum and velocity per trainable variable, in model order, each in its variable's shape.
  const std::vector<std::string> shapes = {"(3, 3, 1, 2)", "(2,)", "(2,)", "(2,)", "(2, 3)", "(3,)", "(3, 3)", "(3,)"};
  for (size_t i = 0; i < 2 * shapes.size(); ++i)
    expected.push_back("/optimizer/vars/" + std::to_string(2 + i) + " float32 " + shapes[i / 2]);
  CHECK(test::hdf5_tree(bytes) == test::sorted(expected));
  CHECK(test::hdf5_string_attribute(bytes, "/layers/dense_1/vars", "name") == "dense_1");
  CHECK(test::hdf5_string_attribute(bytes, "/optimizer/vars", "name") == "adam");
  CHECK(test::hdf5_string_attribute(bytes, "/vars", "name") == "sequential");

  // Without the optimizer (save_weights), and for the seed model: numbered per class.
  std::vector<std::string> no_optimizer;
  for (const std::string& line : expected)
    if (line.rfind("/optimizer", 0) != 0) no_optimizer.push_back(line);
  CHECK(test::hdf5_tree(keras_weights_h5_bytes(model)) == test::sorted(no_optimizer));
  Sequential seed = model_from_json(read_file(std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/seed_model.keras3.json"));
  const hdf5::File file = hdf5::File::open(keras_weights_h5_bytes(seed), "seed.weights.h5");
  CHECK(file.root().group("layers").children() ==
        std::vector<std::string>{"conv2d", "conv2d_1", "conv2d_2", "dense", "dense_1", "flatten", "max_pooling2d",
                                 "max_pooling2d_1"});
}

TEST_CASE("a .weights.h5 round trip gives the same weights, and the optimizer state when asked", "[keras_v3]") {
  const fs::path dir = test::scratch("keras_v3_weights");
  Sequential model = small_model();
  Sequential other = small_model(3, 11);
  save_weights(model, (dir / "m.weights.h5").string());
  load_weights(other, (dir / "m.weights.h5").string());
  CHECK(test::same_bits(other.get_weights(), model.get_weights()));
  CHECK(same_predictions(model, other));

  Sequential third = small_model(3, 12);
  CHECK(read_keras_weights_h5(third, keras_weights_h5_bytes(model, true), "m.weights.h5", true));
  CHECK(test::same_bits(third.get_weights(), model.get_weights()));
  CHECK(same_state(third.optimizer().state(), model.optimizer().state()));
}

TEST_CASE("load_weights reads a whole .keras or elucid model file by position, all or nothing", "[keras_v3]") {
  const fs::path dir = test::scratch("keras_v3_load_weights");
  Sequential model = small_model();
  save_keras(model, (dir / "m.keras").string());
  model.save((dir / "m.elucid").string());
  for (const char* name : {"m.keras", "m.elucid"}) {
    INFO(name);
    Sequential other = small_model(3, 11);
    load_weights(other, (dir / name).string());
    CHECK(test::same_bits(other.get_weights(), model.get_weights()));
  }
  Sequential longer = small_model(3, 12, true);
  const std::vector<NamedTensor> before = longer.get_weights();
  CHECK_THAT(test::error_of([&] { load_weights(longer, (dir / "m.keras").string()); }),
             Contains("m.keras: holds 8 weights; the model has 10"));
  Sequential wider = small_model(4, 12);
  CHECK_THAT(test::error_of([&] { load_weights(wider, (dir / "m.elucid").string()); }),
             Contains("m.elucid: weight 6 (dense/kernel) has shape (2, 3); the model's dense/kernel is (2, 4)"));
  CHECK(test::same_bits(longer.get_weights(), before));
}

TEST_CASE("a .keras archive holds three stored members and loads back bit for bit, compiled, optimizer and all",
          "[keras_v3]") {
  const fs::path dir = test::scratch("keras_v3_archive");
  Sequential model = small_model();
  const std::string path = (dir / "m.keras").string();
  save_keras(model, path);
  const std::string bytes = read_file(path);
  CHECK(is_zip_bytes(bytes));
  const std::vector<Member> found = members(bytes);
  REQUIRE(found.size() == 3);
  CHECK(found[0].name == "metadata.json");
  CHECK(found[1].name == "config.json");
  CHECK(found[2].name == "model.weights.h5");
  for (const Member& m : found) CHECK(m.method == ZIP_CM_STORE);
  CHECK(member(bytes, "metadata.json") == "{\"keras_version\": \"3.0.0\"}");
  CHECK(member(bytes, "config.json") == to_keras3_json(model));
  CHECK(member(bytes, "model.weights.h5") == keras_weights_h5_bytes(model, true));
  CHECK(keras_bytes(model) == bytes);  // no timestamps: the same model, the same bytes

  ModelFile loaded = load_keras(path);
  CHECK(test::same_bits(loaded.model.get_weights(), model.get_weights()));
  CHECK(same_predictions(model, loaded.model));
  REQUIRE(loaded.model.compiled());
  CHECK(loaded.has_optimizer_state);
  CHECK(same_state(loaded.model.optimizer().state(), model.optimizer().state()));
}

TEST_CASE("files h5py and zipfile wrote as Keras 3 does load, weights and optimizer state", "[keras_v3]") {
  ModelFile file = load_keras(kFixtures + "keras3_model.keras");
  const std::vector<NamedTensor> weights = file.model.weights();
  REQUIRE(weights.size() == 8);
  for (size_t j = 0; j < weights.size(); ++j) {
    const auto& v = weights[j].tensor.values();
    for (size_t i = 0; i < v.size(); ++i)
      REQUIRE(v[i] == static_cast<float>(static_cast<double>((7 * i + 13 * j) % 23) / 23.0 + 0.1));
  }
  REQUIRE(file.has_optimizer_state);
  const optimizers::OptimizerState state = file.model.optimizer().state();
  CHECK(state.iterations == 2);
  REQUIRE(state.slots.size() == 12);  // 6 trainable variables, momentum and velocity
  CHECK(state.slots[0].name == "conv2d/kernel/momentum");
  CHECK(state.slots[0].values[0] == 0.01f);
  CHECK(state.slots[11].name == "dense/bias/velocity");
  CHECK(state.slots[11].values[0] == 0.061f);

  // Keras before 3.10: no name attributes; the same weights.
  Sequential model = std::move(file.model);
  for (NamedTensor& w : model.weights()) std::fill(w.tensor.data(), w.tensor.data() + w.tensor.size(), 0.0f);
  load_weights(model, kFixtures + "keras3.weights.h5");
  CHECK(model.weights()[7].tensor.values()[2] == static_cast<float>(static_cast<double>((14 + 91) % 23) / 23.0 + 0.1));
}

TEST_CASE("a damaged or mismatched .weights.h5 or .keras is refused with the file, group, layer and numbers",
          "[keras_v3]") {
  const fs::path dir = test::scratch("keras_v3_bad");
  Sequential model = small_model();
  const std::vector<NamedTensor> before = model.get_weights();
  const auto load = [&](const std::string& name, const std::string& bytes) {
    const std::string path = (dir / name).string();
    write_file_atomically(path, bytes);
    return test::error_of([&] { load_weights(model, path); });
  };

  CHECK_THAT(load("shape.weights.h5", keras_weights_h5_bytes(small_model(4))),
             Contains("shape.weights.h5: /layers/dense/vars: layer \"dense\" (Dense): variable 0 has shape (2, 4); the "
                      "layer's dense/kernel is (2, 3)"));
  CHECK_THAT(load("extra.weights.h5", keras_weights_h5_bytes(small_model(3, 3, true))),
             Contains("extra.weights.h5: /layers: group \"dense_1\" is not one of the model's layers"));
  Sequential longer = small_model(3, 3, true);
  CHECK_THAT(test::error_of([&] { read_keras_weights_h5(longer, keras_weights_h5_bytes(model), "short.weights.h5"); }),
             Contains("short.weights.h5: /layers: no group \"dense_1\" for layer \"dense_1\" (Dense)"));

  // Crafted: a variable too few, an int64, a rank-9 dataset.
  hdf5::File f = hdf5::File::create("crafted");
  hdf5::Group vars = f.root().create_group("layers").create_group("conv2d").create_group("vars");
  const float zeros[18] = {};
  vars.write_floats("0", {3, 3, 1, 2}, zeros);
  CHECK_THAT(load("count.weights.h5", f.bytes()),
             Contains("count.weights.h5: /layers/conv2d/vars: layer \"conv2d\" (Conv2D) has 2 weights, the file 1"));
  hdf5::File g = hdf5::File::create("crafted");
  hdf5::Group gv = g.root().create_group("layers").create_group("conv2d").create_group("vars");
  gv.write_floats("0", {3, 3, 1, 2}, zeros);
  gv.write_int64("1", 7);
  CHECK_THAT(load("dtype.weights.h5", g.bytes()),
             Contains("dtype.weights.h5: /layers/conv2d/vars: layer \"conv2d\" (Conv2D): variable 1 is int64; elucid "
                      "reads float32"));
  hdf5::File h = hdf5::File::create("crafted");
  hdf5::Group hv = h.root().create_group("layers").create_group("conv2d").create_group("vars");
  hv.write_floats("0", {3, 3, 1, 2, 1, 1, 1, 1, 1}, zeros);
  hv.write_floats("1", {2}, zeros);
  CHECK_THAT(load("rank.weights.h5", h.bytes()),
             Contains("rank.weights.h5: /layers/conv2d/vars: dataset \"0\" has rank 9 (at most 8)"));
  CHECK_THAT(load("legacy.weights.h5", hdf5::File::create("x").bytes()),
             Contains("legacy.weights.h5: /: no model_weights group and no layer_names attribute"));
  CHECK(test::same_bits(model.get_weights(), before));

  // .keras: a missing member, an absurd size, an unknown layer class, not a zip.
  const std::string config = to_keras3_json(model);
  const std::string weights = keras_weights_h5_bytes(model);
  const auto load_keras_bytes = [&](const std::string& name, const std::string& bytes) {
    return test::error_of([&] { read_keras(bytes, name); });
  };
  CHECK_THAT(load_keras_bytes("a.keras", zip_of({{"config.json", config}})), Contains("a.keras: the archive has no model.weights.h5"));
  CHECK_THAT(load_keras_bytes("b.keras", zip_of({{"model.weights.h5", weights}})),
             Contains("b.keras: the archive has no config.json"));
  std::string big = zip_of({{"config.json", config}, {"model.weights.h5", weights}});
  // The central directory's sizes of the last member (offsets 20 and 24 of its entry "PK\1\2") set to 2 GiB.
  const size_t entry = big.rfind(std::string("PK\x01\x02", 4));
  REQUIRE(entry != std::string::npos);
  for (size_t at : {entry + 20, entry + 24}) {
    big[at] = 0;
    big[at + 1] = 0;
    big[at + 2] = 0;
    big[at + 3] = static_cast<char>(0x80);
  }
  CHECK_THAT(load_keras_bytes("big.keras", big),
             Contains("big.keras: model.weights.h5 claims 2147483648 compressed bytes in an archive of"));
  std::string unknown = config;
  unknown.replace(unknown.find("\"Conv2D\""), 8, "\"Conv9D\"");
  CHECK_THAT(load_keras_bytes("c.keras", zip_of({{"config.json", unknown}, {"model.weights.h5", weights}})),
             Contains("c.keras (config.json)") && Contains("Conv9D"));
  CHECK_THAT(load_keras_bytes("d.keras", "PK"), Contains("d.keras: not a .keras archive"));
}

TEST_CASE("optimizer variables follow Keras 3's order: Adam interleaves m and v, RMSprop's slots come slot by slot",
          "[keras_v3]") {
  Sequential model = small_model();
  model.compile(optimizers::RMSprop({.momentum = 0.9, .centered = true}),
                losses::SparseCategoricalCrossentropy({.from_logits = true}));
  Random rng(2);
  Tensor x({4, 5, 5, 1}), y({4});
  for (float& v : x.values()) v = rng.uniform();
  model.train_on_batch(x, y);
  const std::string bytes = keras_weights_h5_bytes(model, true);
  const optimizers::OptimizerState state = model.optimizer().state();
  const size_t params = model.trainable_weights().size();  // 6
  REQUIRE(state.slots.size() == 3 * params);
  const hdf5::File file = hdf5::File::open(bytes, "rmsprop.weights.h5");
  const hdf5::Group vars = file.root().group("optimizer").group("vars");
  CHECK(vars.children().size() == 2 + 3 * params);
  // Dataset 2 + s * params + p is slot s of parameter p; elucid keeps slot s of p at p * 3 + s.
  for (size_t s = 0; s < 3; ++s)
    for (size_t p = 0; p < params; ++p) {
      const auto& slot = state.slots[p * 3 + s];
      std::vector<float> v(slot.values.size());
      vars.read_floats(std::to_string(2 + s * params + p), v.data(), static_cast<int64_t>(v.size()));
      CHECK(v == slot.values);
    }
  Sequential other = small_model(3, 9);
  other.compile(optimizers::RMSprop({.momentum = 0.9, .centered = true}),
                losses::SparseCategoricalCrossentropy({.from_logits = true}));
  CHECK(read_keras_weights_h5(other, bytes, "rmsprop.weights.h5", true));
  CHECK(same_state(other.optimizer().state(), state));
}

TEST_CASE("AdamW's variables follow Adam's order in a .weights.h5: momentum and velocity in turn per variable",
          "[keras_v3]") {
  Sequential model = small_model();
  model.compile(optimizers::AdamW(), losses::SparseCategoricalCrossentropy({.from_logits = true}));
  Random rng(2);
  Tensor x({4, 5, 5, 1}), y({4});
  for (float& v : x.values()) v = rng.uniform();
  model.train_on_batch(x, y);
  model.train_on_batch(x, y);
  const std::string bytes = keras_weights_h5_bytes(model, true);
  const optimizers::OptimizerState state = model.optimizer().state();
  REQUIRE(state.slots.size() == 2 * model.trainable_weights().size());
  const hdf5::File file = hdf5::File::open(bytes, "adamw.weights.h5");
  const hdf5::Group vars = file.root().group("optimizer").group("vars");
  // Dataset 2 + i is elucid's slot i: parameter i / 2, momentum then velocity.
  for (size_t i = 0; i < state.slots.size(); ++i) {
    std::vector<float> v(state.slots[i].values.size());
    vars.read_floats(std::to_string(2 + i), v.data(), static_cast<int64_t>(v.size()));
    CHECK(v == state.slots[i].values);
  }
}

TEST_CASE("the same model gives the same .weights.h5 bytes a second later (no modification times)", "[keras_v3]") {
  Sequential model = small_model();
  const std::string first = keras_weights_h5_bytes(model, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(keras_weights_h5_bytes(model, true) == first);
}
