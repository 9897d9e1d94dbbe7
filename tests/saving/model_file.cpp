// Model files: save and load give the same model (weights, compile settings, optimizer state) and the same bytes;
// a truncated, corrupted, foreign or newer file is an error naming the path, and a failed save keeps the old file.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/binary_io.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/model_file.hpp>

#include "support/data_files.hpp"

#include "support/same_bits.hpp"
#include "support/trained_model.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;

namespace {
// A small trained model: every kind of weight (conv, batch norm statistics, dense) and Adam's slots.
Sequential small_model(bool compile = true) {
  set_random_seed(3);
  Sequential model("small");
  model.add(Conv2D(4, {3, 3}, {.activation = "elu", .input_shape = Shape{8, 8, 1}}));
  model.add(BatchNormalization());
  model.add(MaxPooling2D({2, 2}));
  model.add(Dropout(0.2));
  model.add(Flatten());
  model.add(Dense(3));
  set_random_seed(0);
  if (compile) test::compile_and_train_two_steps(model);
  return model;
}

using test::same_bits;

std::string error_of(const std::string& bytes, const std::string& source = "m.elucid") {
  try {
    read_model_file(bytes, source);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for the bytes");
  return "";
}
}  // namespace

TEST_CASE("save_model picks the format by the path's ending, load_model by the file's first bytes", "[model_file]") {
  auto dir = test::scratch("model_file_formats");
  Sequential model = small_model();
  Tensor x({2, 8, 8, 1});
  for (size_t i = 0; i < x.values().size(); ++i) x.values()[i] = static_cast<float>(i % 7) / 7.0f;
  const auto outputs = [&](Sequential& m) {
    const Tensor y = m.predict(x);
    return std::vector<float>(y.values().begin(), y.values().end());
  };
  const std::vector<float> expected = outputs(model);
  const train::Trainer& as_trainer = model;  // model.save through the base class picks the format too
  for (const std::string name : {"m.keras", "m.h5", "m.elucid"}) {
    as_trainer.save((dir / name).string());
    // Renamed, it still loads: the kind is told by the bytes, not the name.
    std::filesystem::rename(dir / name, dir / (name + ".bin"));
    Sequential loaded = load_model((dir / (name + ".bin")).string());
    CHECK(same_bits(outputs(loaded), expected));
  }
  CHECK(read_file((dir / "m.keras.bin").string()).substr(0, 4) == "PK\x03\x04");
  CHECK(read_file((dir / "m.h5.bin").string()).substr(1, 3) == "HDF");
  save_model(model, (dir / "m.onnx").string());
  CHECK(read_file((dir / "m.onnx").string()) == onnx_model_bytes(model));
  // Weights only: model.save_weights and model.load_weights, Keras 3's layout by the name.
  model.save_weights((dir / "w.weights.h5").string());
  Sequential fresh = small_model(false);
  CHECK_FALSE(same_bits(outputs(fresh), expected));
  fresh.load_weights((dir / "w.weights.h5").string());
  CHECK(same_bits(outputs(fresh), expected));
}

TEST_CASE("grouped Conv2D and bilinear UpSampling2D go through .keras, .h5 and .elucid and back", "[model_file]") {
  // Keras keeps a grouped kernel as (KH, KW, C / groups, F) in its weight files, the shape elucid holds, so the files
  // need nothing of their own: the JSON carries groups and interpolation, the weights go as any kernel's.
  auto dir = test::scratch("model_file_groups_bilinear");
  set_random_seed(4);
  Sequential model("grouped");
  model.add(Conv2D(6, {3, 3}, {.padding = "same", .groups = 2, .input_shape = Shape{6, 6, 2}}));
  model.add(UpSampling2D({2, 3}, {.interpolation = "bilinear"}));
  model.add(Conv2D(4, {3, 3}, {.strides = 2, .groups = 2, .activation = "elu"}));
  model.add(Flatten());
  model.add(Dense(3));
  set_random_seed(0);
  test::compile_and_train_two_steps(model);
  REQUIRE(model.layers()[0]->weights()[0].tensor.shape() == Shape{3, 3, 1, 6});
  REQUIRE(model.layers()[2]->weights()[0].tensor.shape() == Shape{3, 3, 3, 4});
  Tensor x({2, 6, 6, 2});
  for (size_t i = 0; i < x.values().size(); ++i) x.values()[i] = static_cast<float>(i % 11) / 11.0f;
  const Tensor expected = model.predict(x);
  for (const std::string name : {"m.keras", "m.h5", "m.elucid"}) {
    INFO(name);
    save_model(model, (dir / name).string());
    Sequential loaded = load_model((dir / name).string());
    REQUIRE(loaded.layers().size() == 5);
    CHECK(dynamic_cast<const Conv2D&>(*loaded.layers()[0]).options().groups == 2);
    CHECK(dynamic_cast<const UpSampling2D&>(*loaded.layers()[1]).options().interpolation == "bilinear");
    CHECK(dynamic_cast<const Conv2D&>(*loaded.layers()[2]).options().groups == 2);
    CHECK(same_bits(loaded.weights(), model.weights()));
    const Tensor got = loaded.predict(x);
    CHECK(std::vector<float>(got.values().begin(), got.values().end()) ==
          std::vector<float>(expected.values().begin(), expected.values().end()));
  }
  const json::Json j = json::parse(model.to_json(), "grouped");
  CHECK(j["config"]["layers"][1]["config"]["groups"] == 2);
  CHECK(j["config"]["layers"][2]["config"]["interpolation"] == "bilinear");
}

TEST_CASE("a saved model loads back the same, and saves to the same bytes", "[model_file]") {
  auto dir = test::scratch("model_file_round_trip");
  Sequential model = small_model();
  const std::string path = (dir / "small.elucid").string();
  model.save(path);
  const std::string bytes = read_file(path);
  CHECK(bytes.substr(0, 8) == "ELUCIDMD");
  CHECK(model_file_bytes(model) == bytes);  // no timestamps: same model, same bytes

  Sequential loaded = load_model(path);
  CHECK(loaded.name() == "small");
  CHECK(same_bits(loaded.weights(), model.weights()));
  REQUIRE(loaded.compiled());
  CHECK(loaded.optimizer().name() == "Adam");
  CHECK(loaded.optimizer().iterations() == 2);
  CHECK(loaded.optimizer().learning_rate() == 0.01f);
  CHECK(loaded.loss().from_logits());
  CHECK(loaded.metric_names() == std::vector<std::string>{"accuracy"});
  const auto a = loaded.optimizer().state(), b = model.optimizer().state();
  REQUIRE(a.slots.size() == b.slots.size());
  for (size_t i = 0; i < a.slots.size(); ++i) {
    CHECK(a.slots[i].name == b.slots[i].name);
    CHECK(a.slots[i].values == b.slots[i].values);
  }
  CHECK(model_file_bytes(loaded) == bytes);

  // The loaded model predicts as the saved one did.
  Tensor x({2, 8, 8, 1}, 0.5f);
  Tensor p = model.predict(x), q = loaded.predict(x);
  CHECK(std::memcmp(p.data(), q.data(), sizeof(float) * p.size()) == 0);
}

TEST_CASE("a model file keeps class names, and may leave the optimizer out", "[model_file]") {
  Sequential model = small_model();
  const std::string bytes = model_file_bytes(model, {.include_optimizer = false, .class_names = {"a", "b", "c"}});
  ModelFile file = read_model_file(bytes, "m.elucid");
  CHECK(file.class_names == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(file.has_optimizer_state);
  REQUIRE(file.model.compiled());
  CHECK(file.model.optimizer().iterations() == 0);

  ModelFile plain = read_model_file(model_file_bytes(small_model(/*compile=*/false)), "plain.elucid");
  CHECK_FALSE(plain.model.compiled());
  CHECK(plain.model.count_params() == model.count_params());
}

TEST_CASE("model.save stores the model's class names and load_model gives them back", "[model_file]") {
  auto dir = test::scratch("model_file_class_names");
  const std::string path = (dir / "pets.elucid").string();
  Sequential model = small_model();
  model.class_names = {"cat", "dog", "bird"};
  model.save(path);
  Sequential loaded = load_model(path);
  CHECK(loaded.class_names == model.class_names);
  loaded.save(path);  // loaded and saved again: kept
  CHECK(load_model_file(path).class_names == model.class_names);
  // SaveOptions::class_names, when given, is written instead.
  model.save(path, {.class_names = {"a", "b", "c"}});
  CHECK(load_model_file(path).class_names == std::vector<std::string>{"a", "b", "c"});
  CHECK(model.class_names == std::vector<std::string>{"cat", "dog", "bird"});
}

TEST_CASE("a model file cut short anywhere is an error naming the path", "[model_file]") {
  const std::string bytes = model_file_bytes(small_model());
  for (size_t length : {size_t(0), size_t(3), size_t(8), size_t(12), size_t(19), size_t(23), size_t(24), size_t(100),
                        bytes.size() / 2, bytes.size() - 5, bytes.size() - 1}) {
    CAPTURE(length);
    const std::string message = error_of(bytes.substr(0, length));
    CHECK_THAT(message, Contains("m.elucid: "));
    if (length == 0) CHECK_THAT(message, Contains("is empty"));
    else if (length < 8) CHECK_THAT(message, Contains("not an elucid model file"));
    else CHECK_THAT(message, Contains("cut short"));
  }
  CHECK_THAT(error_of(bytes + "x"), Contains("1 unexpected bytes at the end"));
}

TEST_CASE("a flipped byte anywhere is caught", "[model_file]") {
  const std::string bytes = model_file_bytes(small_model());
  for (size_t at : {size_t(0), size_t(9), size_t(13), size_t(30), size_t(200), bytes.size() / 2, bytes.size() - 30,
                    bytes.size() - 1}) {
    CAPTURE(at);
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    const std::string message = error_of(bad);
    CHECK_THAT(message, Contains("m.elucid: "));
    const bool caught = message.find("checksum") != std::string::npos ||
                        message.find("not an elucid") != std::string::npos ||
                        message.find("version") != std::string::npos ||
                        message.find("cut short") != std::string::npos ||
                        message.find("unexpected bytes") != std::string::npos;
    CHECK(caught);
  }
}

TEST_CASE("foreign and newer files are refused with the reason", "[model_file]") {
  CHECK_THAT(error_of("\x89PNG\r\n\x1a\n0000000000000000"), Contains("m.elucid: not an elucid model file (it starts with 89 50 4e 47"));
  CHECK_THAT(error_of("{\"class_name\": \"Sequential\"}"), Contains("not an elucid model file (it starts with \"{\"class_\", where an elucid model file starts with \"ELUCIDMD\")"));
  std::string body = model_file_bytes(small_model(false));
  body = body.substr(20, body.size() - 24);
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", kModelFileVersion + 1, body)),
             Contains("model file format version 2 is newer than this elucid reads (up to 1)"));
}

TEST_CASE("a flipped byte in the format version is corruption, not a newer file", "[model_file]") {
  // Version 1 is 01 00 00 00; one byte flipped to ff makes 16711681, which the checksum gives away.
  std::string bytes = model_file_bytes(small_model(false));
  bytes[10] = static_cast<char>(0xff);
  const std::string message = error_of(bytes);
  CHECK_THAT(message, Contains("m.elucid: model file corrupted: "));
  CHECK_THAT(message, Contains("format version 16711681"));
  CHECK_THAT(message, Contains("this elucid reads versions 1 to 1"));
  CHECK(message.find("newer") == std::string::npos);

  // Sealed with a matching checksum, a version far past any elucid's is still not taken for a newer file.
  std::string body = model_file_bytes(small_model(false));
  body = body.substr(20, body.size() - 24);
  const std::string absurd = error_of(binary::seal("ELUCIDMD", 16711681, body));
  CHECK_THAT(absurd, Contains("m.elucid: model file format version 16711681 is not valid"));
  CHECK_THAT(absurd, Contains("this elucid reads versions 1 to 1"));
  CHECK(absurd.find("newer") == std::string::npos);
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", 0, body)), Contains("model file format version 0 is not valid"));
}

TEST_CASE("sizes inside a sealed file are checked before anything is allocated", "[model_file]") {
  // Well sealed (the checksum matches) but lying: a weight count, a string length and a shape far past the file.
  binary::Writer w;
  w.str("{}");
  w.str("");
  w.u64(0);
  w.u64(uint64_t{1} << 60);
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", 1, w.bytes())), Contains("weights: a count of 1152921504606846976 does not fit"));

  binary::Writer s;
  s.u64(uint64_t{1} << 62);
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", 1, s.bytes())), Contains("the architecture JSON: a count of"));

  const std::string good = model_file_bytes(small_model(false));
  binary::Writer t;
  t.str(read_model_file(good, "m").model.to_json());
  t.str("");
  t.u64(0);
  t.u64(1);
  t.str("conv2d/kernel");
  t.u32(2);
  t.u64(uint64_t{1} << 40);
  t.u64(uint64_t{1} << 40);
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", 1, t.bytes())), Contains("does not fit in the"));
}

TEST_CASE("a small model file cannot make a big model: the architecture is bounded by the weights held", "[model_file]") {
  // Well sealed, no weights, and an architecture asking for a (1000, 100000) kernel: 400 MB from a few hundred bytes.
  const std::string big = R"({"class_name": "Sequential", "config": {"name": "big", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 1000]}},
      {"class_name": "Dense", "config": {"name": "dense", "units": 100000}}]}})";
  binary::Writer w;
  w.str(big);
  w.str("");
  w.u64(0);  // class names
  w.u64(0);  // weights
  w.u8(0);   // no optimizer state
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", 1, w.bytes())),
             Contains("m.elucid (architecture)") && Contains("400,400,000 bytes of weights, beyond the limit of 1,048,576 bytes"));
  // The same model with its weights loads.
  CHECK(model_from_json(big, "big.json").count_params() == 100100000);
}

TEST_CASE("weights that do not fit the architecture are an error naming the weight", "[model_file]") {
  Sequential model = small_model(false);
  binary::Writer w;
  w.str(model.to_json());
  w.str("");
  w.u64(0);
  w.u64(1);
  w.str("conv2d/kernel");
  w.u32(1);
  w.u64(2);
  w.floats(std::vector<float>{1, 2});
  w.u8(0);
  CHECK_THAT(error_of(binary::seal("ELUCIDMD", 1, w.bytes())), Contains("m.elucid: set_weights: the model has"));
}

TEST_CASE("saving makes a missing folder, a folder that cannot be made fails naming the path, and a failed save keeps the old file", "[model_file]") {
  auto dir = test::scratch("model_file_save_errors");
  Sequential model = small_model();
  const std::string in_new_folder = (dir / "new_folder" / "deeper" / "m.elucid").string();
  model.save(in_new_folder);  // as Keras' model.save and ModelCheckpoint make the folder
  CHECK(load_model(in_new_folder).count_params() == model.count_params());
  write_file_atomically((dir / "a_file").string(), "x");
  const std::string under_file = (dir / "a_file" / "m.elucid").string();
  try {
    model.save(under_file);
    FAIL("saved under a file");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Contains(under_file));
  }
  const std::string path = (dir / "m.elucid").string();
  model.save(path);
  const std::string before = read_file(path);
  std::filesystem::create_directory(dir / "blocker.elucid");
  CHECK_THROWS_AS(model.save((dir / "blocker.elucid").string()), Error);
  CHECK(read_file(path) == before);
  CHECK_THAT(error_of(""), Contains("is empty"));
  try {
    load_model((dir / "nothing.elucid").string());
    FAIL("loaded a missing file");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Contains("nothing.elucid"));
  }
}
