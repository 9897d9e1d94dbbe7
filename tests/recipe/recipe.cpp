// Recipes: every section read into its struct, paths resolved against the recipe's folder, and every mistake an
// error naming the file, the JSON path and (for a typo) the nearest known key.
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/recipe/recipe.hpp>
#include <elucid/recipe/train_recipe.hpp>

#include "support/error_of.hpp"
#include "support/recipe_testing.hpp"

#include <stb/stb_image_write.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>

using namespace elucid;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {
// The tiny recipe with `from` replaced by `to` (the text must contain `from`).
std::string tiny_with(const std::string& from, const std::string& to, const std::string& extra = "") {
  std::string text = test::tiny_recipe(3, extra);
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
  try {
    Recipe r = parse_recipe(text, "dir/recipe.json");
    build_model(r);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for the recipe");
  return "";
}
}  // namespace

TEST_CASE("a recipe reads into its settings, with paths next to the recipe", "[recipe]") {
  test::OneThread one_thread;
  Recipe r = parse_recipe(test::tiny_recipe(4, R"(, "output": {"model": "out/tiny.elucid", "training_curves": "c.svg",
      "history_csv": null, "checkpoint_every": 3})"), "runs/tiny.json");
  CHECK(r.seed == 3);
  CHECK(r.fit.epochs == 4);
  CHECK(r.fit.batch_size == 16);
  CHECK(r.fit.validation_split == 0.25);
  CHECK(r.fit.verbose == 0);
  CHECK(r.fit.shuffle);
  CHECK_FALSE(r.fit.seed);
  REQUIRE(r.callbacks.size() == 2);
  CHECK(r.callbacks[0].class_name == "EarlyStopping");
  CHECK(r.callbacks[0].early_stopping.patience == 5);
  CHECK(r.callbacks[1].reduce_lr.factor == 0.5);
  CHECK(r.terminate_on_nan);
  CHECK(r.data.kind == DataSource::Kind::Idx);
  CHECK(r.data.train_images == "runs/train-images.idx");
  CHECK(r.data.class_names.size() == 4);
  CHECK(r.output.model == "runs/out/tiny.elucid");
  CHECK(r.output.history_csv.empty());  // null: not written
  CHECK(r.output.checkpoint_dir == "runs/tiny.checkpoints");  // the default
  CHECK(r.output.training_curves == "runs/c.svg");
  CHECK(r.output.checkpoint_every == 3);
  REQUIRE(r.compile);
  CHECK(r.compile->optimizer->learning_rate() == 0.01f);
  CHECK(r.model_path == "model");

  Recipe elsewhere = parse_recipe(test::tiny_recipe(), "runs/tiny.json", "/tmp/out");
  CHECK(elsewhere.output.model == "/tmp/out/tiny.elucid");
  CHECK(elsewhere.data.train_images == "runs/train-images.idx");  // inputs stay next to the recipe
}

TEST_CASE("a recipe's model has the C++ API's initial weights for the recipe's seed", "[recipe]") {
  test::OneThread one_thread;
  auto dir = test::scratch("recipe_seed_model");
  test::write_text(dir / "r.json", R"({"seed": 42, "model": ")" + std::string(ELUCID_SOURCE_DIR) +
                                       R"(/examples/recipes/seed_model.json", "data": {"dataset": "mnist"}})");
  Recipe r = load_recipe((dir / "r.json").string());
  CHECK(r.model_source == std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/seed_model.json");
  Sequential a = build_model(r);
  CHECK(a.count_params() == 93322);
  CHECK_FALSE(a.compiled());
  set_random_seed(42);
  Sequential b = model_from_json(read_file(r.model_source));
  set_random_seed(0);
  const auto wa = a.weights(), wb = b.weights();
  REQUIRE(wa.size() == wb.size());
  for (size_t i = 0; i < wa.size(); ++i)
    CHECK(std::memcmp(wa[i].tensor.data(), wb[i].tensor.data(), sizeof(float) * wa[i].tensor.size()) == 0);
}

TEST_CASE("a recipe starts from a Keras file's weights: its model, or initial_weights", "[recipe]") {
  test::OneThread one_thread;
  auto dir = test::scratch("recipe_initial_weights");
  // A model of the tiny recipe's architecture with other weights (another seed), saved in Keras' formats.
  Recipe tiny = parse_recipe(test::tiny_recipe(), (dir / "tiny.json").string());
  tiny.seed = 77;
  Sequential source = build_model(tiny);
  source.save((dir / "m.keras").string());
  source.save((dir / "w.weights.h5").string());
  source.save((dir / "m.elucid").string());
  const auto same_weights = [&](const Sequential& m) {
    const auto a = m.weights(), b = source.weights();
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::memcmp(a[i].tensor.data(), b[i].tensor.data(), sizeof(float) * a[i].tensor.size()) != 0) return false;
    return true;
  };
  CHECK_FALSE(same_weights(build_model(parse_recipe(test::tiny_recipe(), (dir / "r.json").string()))));
  // "model" naming a .keras: the architecture, the weights and (with no "compile") its compile settings.
  std::string text = test::tiny_recipe();
  const size_t from = text.find("\"model\":");  // the model and compile sections replaced by the file
  std::string keras_model = text.substr(0, from) + "\"model\": \"m.keras\",\n  " + text.substr(text.find("\"fit\":"));
  Recipe r = parse_recipe(keras_model, (dir / "r.json").string());
  CHECK(r.initial_weights == (dir / "m.keras").string());
  Sequential from_keras = build_model(r);
  CHECK(same_weights(from_keras));
  REQUIRE(from_keras.compiled());
  CHECK(from_keras.optimizer().name() == "Adam");
  // "initial_weights": a Keras 3 weights file or an elucid model file, into the recipe's own model.
  for (const char* file : {"w.weights.h5", "m.elucid"}) {
    const std::string with = test::tiny_recipe(3, std::string(", \"initial_weights\": \"") + file + "\"");
    CHECK(same_weights(build_model(parse_recipe(with, (dir / "r.json").string()))));
  }
  const std::string here = (dir / "a.json").string();
  CHECK(parse_recipe(test::tiny_recipe(3, ", \"initial_weights\": \"m.elucid\""), here).run_key !=
        parse_recipe(test::tiny_recipe(3), here).run_key);
  // A missing file when the recipe is read; weights that do not fit when the model is built (before training).
  CHECK_THROWS_WITH(parse_recipe(test::tiny_recipe(3, ", \"initial_weights\": \"none.h5\""), (dir / "r.json").string()),
                    Catch::Matchers::Contains("initial_weights: " + (dir / "none.h5").string() + ": no such file"));
  Sequential other("other");
  other.add(layers::Dense(2, {.input_shape = Shape{3}}));
  other.save((dir / "other.weights.h5").string());
  Recipe bad = parse_recipe(test::tiny_recipe(3, ", \"initial_weights\": \"other.weights.h5\""), (dir / "r.json").string());
  CHECK_THROWS_WITH(build_model(bad), Catch::Matchers::Contains("r.json: initial_weights: "));
}

TEST_CASE("unknown keys name the path and the nearest known key", "[recipe]") {
  test::OneThread one_thread;
  CHECK_THAT(error_of(tiny_with("\"epochs\"", "\"epoch\"")),
             Equals("dir/recipe.json: fit.epoch: unknown key; did you mean 'epochs'?"));
  CHECK_THAT(error_of(tiny_with("\"callbacks\"", "\"callback\"")),
             Equals("dir/recipe.json: callback: unknown key; did you mean 'callbacks'?"));
  CHECK_THAT(error_of(tiny_with("\"patience\": 5", "\"patiense\": 5")),
             Equals("dir/recipe.json: callbacks[0].config.patiense: unknown key; did you mean 'patience'?"));
  CHECK_THAT(error_of(tiny_with("\"test_labels\"", "\"test_lables\"")),
             Equals("dir/recipe.json: data.test_lables: unknown key; did you mean 'test_labels'?"));
  CHECK_THAT(error_of(tiny_with("\"learning_rate\"", "\"learning_rat\"")),
             Contains("dir/recipe.json: compile.optimizer.config.learning_rat: unknown key; did you mean 'learning_rate'?"));
  CHECK_THAT(error_of(tiny_with("\"seed\": 3", "\"zzzzzz\": 3")), Contains("zzzzzz: unknown key; known keys: 'description'"));
  CHECK_THAT(error_of(tiny_with("\"EarlyStopping\"", "\"EarlyStoping\"")),
             Equals("dir/recipe.json: callbacks[0].class_name: unknown callback \"EarlyStoping\"; did you mean 'EarlyStopping'?"));
  CHECK_THAT(error_of(tiny_with("\"train_images\": \"train-images.idx\"", "\"dataset\": \"fashion_mnst\"")),
             Contains("data.dataset: unknown data set \"fashion_mnst\"; did you mean 'fashion_mnist'?"));
}

TEST_CASE("wrong types and values name the path and what was expected", "[recipe]") {
  test::OneThread one_thread;
  CHECK_THAT(error_of(tiny_with("\"epochs\": 3", "\"epochs\": \"3\"")),
             Equals("dir/recipe.json: fit.epochs: expected an integer, got a string"));
  CHECK_THAT(error_of(tiny_with("\"batch_size\": 16", "\"batch_size\": 0")),
             Equals("dir/recipe.json: fit.batch_size: expected an integer in [1, 1048576], got 0"));
  CHECK_THAT(error_of(tiny_with("\"batch_size\": 16", "\"batch_size\": 16.5")),
             Equals("dir/recipe.json: fit.batch_size: expected an integer, got the number 16.5"));
  CHECK_THAT(error_of(tiny_with("\"validation_split\": 0.25", "\"validation_split\": 1.5")),
             Contains("fit.validation_split: expected a fraction in [0, 1), got 1.5"));
  CHECK_THAT(error_of(tiny_with("\"metrics\": [\"accuracy\"]", "\"metrics\": \"accuracy\"")),
             Equals("dir/recipe.json: compile.metrics: expected an array, got a string"));
  CHECK_THAT(error_of(tiny_with("\"metrics\": [\"accuracy\"]", "\"metrics\": [\"acuracy\"]")),
             Contains("compile.metrics[0]: unknown metric"));
  CHECK_THAT(error_of(tiny_with("\"class_name\": \"Adam\"", "\"class_name\": \"Adamax\"")),
             Contains("compile.optimizer: optimizer \"Adamax\" is not supported"));
  CHECK_THAT(error_of(tiny_with("\"train_labels\": \"train-labels.idx\",", "")),
             Contains("data: 'train_images' needs 'train_labels'"));
  CHECK_THAT(error_of(tiny_with("\"train_images\"", "\"image_folder\": \"x\", \"train_images\"")),
             Contains("data: more than one data source given"));
  CHECK_THAT(error_of(test::tiny_recipe(3, R"(, "output": {"model": 5})")),
             Equals("dir/recipe.json: output.model: expected a string, got an integer"));
  CHECK_THAT(error_of("[1]"), Equals("dir/recipe.json: expected an object, got an array"));
  // A value inside the optimizer's config: the file and the path once, not once more for the optimizer.
  CHECK_THAT(error_of(tiny_with("\"learning_rate\": 0.01", "\"learning_rate\": -0.01")),
             Equals("dir/recipe.json: compile.optimizer.config.learning_rate: the learning rate must be 0 or more, "
                    "got -0.01"));
  CHECK_THAT(error_of(tiny_with("\"learning_rate\": 0.01", "\"learning_rate\": 0.01, \"beta_1\": \"x\"")),
             Equals("dir/recipe.json: compile.optimizer.config.beta_1: expected a number, got a string"));
}

TEST_CASE("malformed recipes give the line and column", "[recipe]") {
  test::OneThread one_thread;
  CHECK_THAT(error_of("{\n  \"seed\": 1,\n  \"fit\": {\"epochs\": 3,}\n}"),
             Contains("dir/recipe.json: line 3, column 23: syntax error"));
  CHECK_THAT(error_of("{\"seed\": 1"), Contains("dir/recipe.json: line 1, column 11: syntax error"));
}

TEST_CASE("errors in the model name the model's JSON path inside the recipe, or its file", "[recipe]") {
  test::OneThread one_thread;
  CHECK_THAT(error_of(tiny_with("\"filters\": 4", "\"filters\": -4")),
             Contains("dir/recipe.json: model.config.layers[0].config.filters: expected an integer in [1"));
  CHECK_THAT(error_of(tiny_with("\"class_name\": \"MaxPooling2D\"", "\"class_name\": \"LSTM\"")),
             Contains("dir/recipe.json: model.config.layers[1]: layer class \"LSTM\" is not supported"));
  CHECK_THAT(error_of(tiny_with("\"kernel_size\": [3, 3]", "\"kernel_size\": [13, 13]")),
             Contains("dir/recipe.json: model.config.layers[0]: Conv2D \"conv2d\""));
  CHECK_THAT(error_of(R"({"model": "missing.json", "data": {"dataset": "mnist"}})"),
             Contains("dir/recipe.json: model: dir/missing.json: cannot open"));
}

TEST_CASE("callback arguments are checked when the recipe is read", "[recipe]") {
  test::OneThread one_thread;
  const std::string mc = R"(, "callbacks": [{"class_name": "ModelCheckpoint", "config": {"filepath": "m-{epoch:02d}-{val_loss:.3f}.elucid", "save_freq": 5}}])";
  std::string text = test::tiny_recipe(3);
  text = text.substr(0, text.find(",\n  \"callbacks\"")) + text.substr(text.find(",\n  \"data\""));
  Recipe r = parse_recipe(text.substr(0, text.rfind('}')) + mc + "}", "r.json");
  REQUIRE(r.callbacks.size() == 1);
  CHECK(r.callbacks[0].path == "m-{epoch:02d}-{val_loss:.3f}.elucid");
  CHECK(r.callbacks[0].model_checkpoint.save_freq == 5);
  auto bad = [&](const std::string& config) {
    return error_of(text.substr(0, text.rfind('}')) + R"(, "callbacks": [{"class_name": "ModelCheckpoint", "config": )" +
                    config + "}]}");
  };
  CHECK_THAT(bad(R"({"filepath": "m-{epoch:x}.elucid"})"), Contains("callbacks[0].config: ModelCheckpoint: file path"));
  CHECK_THAT(bad(R"({"filepath": "m-{epoch:x}.elucid"})"), Contains("the format \"x\" is not supported"));
  CHECK_THAT(bad(R"({"filepath": "m-{epoch.elucid"})"), Contains("a '{' without its '}'"));
  CHECK_THAT(bad(R"({"filepath": "m.elucid", "save_freq": "batch"})"),
             Contains("callbacks[0].config.save_freq: expected \"epoch\" or a number of batches"));
  CHECK_THAT(bad(R"({"filepath": "m.elucid", "mode": "maximum"})"), Contains("callbacks[0].config: ModelCheckpoint"));
}

TEST_CASE("the run key ignores epochs and verbosity, and nothing else", "[recipe]") {
  test::OneThread one_thread;
  const std::string key = parse_recipe(test::tiny_recipe(3), "r.json").run_key;
  CHECK(parse_recipe(test::tiny_recipe(9), "r.json").run_key == key);
  CHECK(parse_recipe(tiny_with("\"verbose\": 0", "\"verbose\": 2"), "r.json").run_key == key);
  CHECK(parse_recipe(tiny_with("\"batch_size\": 16", "\"batch_size\": 8"), "r.json").run_key != key);
  CHECK(parse_recipe(tiny_with("\"seed\": 3", "\"seed\": 4"), "r.json").run_key != key);
}

TEST_CASE("a recipe trains, writes its outputs and evaluates on its test set", "[recipe]") {
  test::OneThread one_thread;
  auto dir = test::scratch("recipe_train");
  test::write_tiny_idx(dir);
  test::write_text(dir / "tiny.json", test::tiny_recipe(2, R"(, "output": {"training_curves": "curves.svg",
      "confusion_matrix": "confusion.svg"})"));
  Recipe recipe = load_recipe((dir / "tiny.json").string());
  Sequential model = build_model(recipe);
  check_recipe_outputs(recipe);
  std::ostringstream out;
  TrainRecipeResult result = train_recipe(recipe, model, {.resume = false, .out = &out});
  CHECK(result.history.epoch == std::vector<int>{0, 1});
  REQUIRE(result.test);
  CHECK(result.test->metrics.at("accuracy") > 0.5);
  CHECK(result.written.size() == 4);
  ModelFile saved = load_model_file((dir / "tiny.elucid").string());
  CHECK(saved.class_names[3] == "bottom right");
  CHECK(saved.model.optimizer().iterations() == 2 * 5);  // 72 training samples in batches of 16
  const std::string csv = test::read_text(dir / "tiny.history.csv");
  CHECK(csv.rfind("epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,", 0) == 0);
  CHECK(test::read_text(dir / "curves.svg").rfind("<svg", 0) == 0);
  CHECK(std::filesystem::exists(dir / "confusion.svg"));
  CHECK(std::filesystem::exists(dir / "tiny.checkpoints" / "checkpoint-e0002-b000000.elucid"));
}

TEST_CASE("a model without compile settings is refused before training", "[recipe]") {
  test::OneThread one_thread;
  auto dir = test::scratch("recipe_no_compile");
  test::write_tiny_idx(dir);
  std::string text = test::tiny_recipe(1);
  const size_t from = text.find("  \"compile\"");
  text.erase(from, text.find("  \"fit\"") - from);
  test::write_text(dir / "r.json", text);
  Recipe recipe = load_recipe((dir / "r.json").string());
  Sequential model = build_model(recipe);
  CHECK_THROWS_WITH(train_recipe(recipe, model), Contains("r.json: no compile settings"));
}

TEST_CASE("a model of two outputs is refused before training: a recipe's data give one label per sample",
          "[recipe][several_outputs]") {
  auto dir = test::scratch("recipe_two_outputs");
  test::write_tiny_idx(dir);
  layers::KerasTensor image = layers::Input({12, 12, 1});
  layers::KerasTensor flat = layers::Flatten()(image);
  Functional two({image}, {layers::Dense(4)(flat), layers::Dense(1)(flat)});
  two.compile("adam", "mse");
  std::string text = test::tiny_recipe(1);
  const size_t from = text.find("  \"model\"");
  text.replace(from, text.find("  \"compile\"") - from, "  \"model\": \"two.json\",\n");
  test::write_text(dir / "two.json", to_keras3_json(two));
  test::write_text(dir / "r.json", text);
  Recipe recipe = load_recipe((dir / "r.json").string());
  const std::unique_ptr<train::Trainer> model = build_recipe_model(recipe);
  CHECK_THAT(test::error_of([&] { train_recipe(recipe, *model); }),
             Contains("r.json: model: it takes 1 input and gives 2 outputs; a recipe's data give one input and one "
                      "label per sample"));
}

TEST_CASE("the example recipes read and build", "[recipe]") {
  test::OneThread one_thread;
  for (const char* name : {"fashion_mnist_seed.json", "fashion_mnist_seed_quick.json", "fashion_mnist_mlp.json",
                           "image_folder.json"}) {
    CAPTURE(name);
    Recipe r = load_recipe(std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/" + name);
    Sequential model = build_model(r);
    CHECK(model.compiled());
    CHECK(model.count_params() > 0);
  }
  // The Functional one: a residual network with augmentation, through build_recipe_model.
  Recipe r = load_recipe(std::string(ELUCID_SOURCE_DIR) + "/examples/recipes/fashion_mnist_resnet.json");
  const std::unique_ptr<train::Trainer> model = build_recipe_model(r);
  REQUIRE(dynamic_cast<Functional*>(model.get()) != nullptr);
  CHECK(model->compiled());
  CHECK(model->count_params() == 143402);
  CHECK(model->input_shape() == Shape{28, 28, 1});
  CHECK_THAT(test::error_of([&] { build_model(r); }), Catch::Matchers::Contains("functional_from_json"));
}

TEST_CASE("an image-folder recipe trains on a folder of PNG files, a fifth held out as its test set", "[recipe]") {
  test::OneThread one_thread;
  auto dir = test::scratch("recipe_image_folder");
  // Two classes of 16x16 colour pictures: a red square top left, or a blue one bottom right.
  for (int c = 0; c < 2; ++c) {
    const std::string cls = c == 0 ? "red" : "blue";
    std::filesystem::create_directories(dir / "photos" / cls);
    for (int i = 0; i < 10; ++i) {
      std::vector<uint8_t> rgb(16 * 16 * 3, static_cast<uint8_t>(20 + i));
      for (int r = c * 8; r < c * 8 + 8; ++r)
        for (int k = c * 8; k < c * 8 + 8; ++k) rgb[static_cast<size_t>((r * 16 + k) * 3 + (c == 0 ? 0 : 2))] = 240;
      const std::string file = (dir / "photos" / cls / (std::to_string(i) + ".png")).string();
      REQUIRE(stbi_write_png(file.c_str(), 16, 16, 3, rgb.data(), 16 * 3) != 0);
    }
  }
  test::write_text(dir / "photos.json", R"({
    "seed": 2, "threads": 1,
    "model": {"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3]}},
      {"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": 3, "activation": "elu", "padding": "same"}},
      {"class_name": "GlobalAveragePooling2D", "config": {}},
      {"class_name": "Dense", "config": {"units": 2}}]}},
    "compile": {"optimizer": "adam", "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true}},
                "metrics": ["accuracy"]},
    "fit": {"epochs": 1, "batch_size": 4, "verbose": 0},
    "data": {"image_folder": "photos", "test_split": 0.2, "seed": 7},
    "output": {"confusion_matrix": "confusion.svg"}
  })");
  Recipe recipe = load_recipe((dir / "photos.json").string());
  Sequential model = build_model(recipe);
  std::ostringstream out;
  TrainRecipeResult result = train_recipe(recipe, model, {.resume = false, .out = &out});
  REQUIRE(result.test);
  ModelFile saved = load_model_file((dir / "photos.elucid").string());
  CHECK(saved.class_names == std::vector<std::string>{"blue", "red"});
  CHECK(saved.model.optimizer().iterations() == 4);  // 16 training pictures (images resized to 8x8) in batches of 4
  CHECK(std::filesystem::exists(dir / "confusion.svg"));
}

TEST_CASE("data.test_split holds out the test images, and its old name validation_split is read with a note", "[recipe]") {
  // The tiny recipe with its data section replaced by an image folder's.
  const auto recipe_with = [](const std::string& data) {
    std::string text = test::tiny_recipe(3);
    const size_t begin = text.find("\"data\": {"), end = text.find("]}", begin) + 2;
    return text.replace(begin, end - begin, R"("data": {"image_folder": "photos", )" + data + "}");
  };
  Recipe r = parse_recipe(recipe_with(R"("test_split": 0.2, "seed": 7)"), "dir/recipe.json");
  CHECK(r.data.kind == DataSource::Kind::ImageFolder);
  CHECK(r.data.test_split == 0.2);
  CHECK(r.data.split_seed == 7);
  CHECK(r.notes.empty());
  Recipe old = parse_recipe(recipe_with(R"("validation_split": 0.2, "seed": 7)"), "dir/recipe.json");
  CHECK(old.data.test_split == 0.2);
  REQUIRE(old.notes.size() == 1);
  CHECK_THAT(old.notes[0], Contains("data.validation_split is read as data.test_split"));
  CHECK(old.run_key == r.run_key);  // the same run under either name
  CHECK_THAT(error_of(recipe_with(R"("test_split": 0.2, "validation_split": 0.2, "seed": 7)")),
             Contains("data.validation_split: is test_split's old name; give test_split alone"));
  CHECK_THAT(error_of(recipe_with(R"("test_split": 1.0, "seed": 7)")),
             Contains("data.test_split: expected a fraction in [0, 1)"));
}

TEST_CASE("max_train_samples and max_test_samples of 0 are refused, naming the key", "[recipe]") {
  const std::string from = R"("train_labels": "train-labels.idx",)";
  CHECK_THAT(error_of(tiny_with(from, from + R"( "max_train_samples": 0,)")),
             Equals("dir/recipe.json: data.max_train_samples: 0 keeps no sample; give a positive number, or leave the "
                    "key out to keep every sample"));
  CHECK_THAT(error_of(tiny_with(from, from + R"( "max_test_samples": 0,)")),
             Contains("data.max_test_samples: 0 keeps no sample"));
  Recipe r = parse_recipe(tiny_with(from, from + R"( "max_train_samples": 5,)"), "dir/recipe.json");
  CHECK(r.data.max_train_samples == 5);
  CHECK(r.data.max_test_samples == 0);  // left out: every sample
}

TEST_CASE("a recipe's dtype_policy is every layer's, over the Keras JSON's, and part of the run key", "[recipe][dtype_policy]") {
  test::OneThread one_thread;
  const Recipe plain = parse_recipe(test::tiny_recipe(), "dir/recipe.json");
  CHECK_FALSE(plain.dtype_policy);
  const Sequential plain_model = build_model(plain);
  for (const auto& layer : plain_model.layers()) CHECK(layer->dtype_policy().name() == "float32");
  const Recipe mixed = parse_recipe(test::tiny_recipe(3, R"(, "dtype_policy": "mixed_bfloat16")"), "dir/recipe.json");
  REQUIRE(mixed.dtype_policy);
  CHECK(mixed.dtype_policy->name() == "mixed_bfloat16");
  const Sequential mixed_model = build_model(mixed);
  for (const auto& layer : mixed_model.layers()) CHECK(layer->dtype_policy().name() == "mixed_bfloat16");
  CHECK(mixed.run_key != plain.run_key);  // a checkpoint of one does not resume the other
  CHECK_THAT(error_of(test::tiny_recipe(3, R"(, "dtype_policy": "mixed_float16")")),
             Equals("dir/recipe.json: dtype_policy: dtype policy \"mixed_float16\" is not supported; elucid runs "
                    "\"float32\" and \"mixed_bfloat16\""));
  CHECK_THAT(error_of(test::tiny_recipe(3, R"(, "dtype_policy": 16)")),
             Equals("dir/recipe.json: dtype_policy: expected a string, got an integer"));
}
