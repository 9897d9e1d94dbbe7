// A Functional model through the `elucid` command: a recipe whose model is a Functional Keras JSON trains, and its
// model file is evaluated, predicted with, summarised and exported to every format (Keras' files, TensorFlow.js,
// ONNX); a recipe starts from such files or from initial_weights; a run resumes exactly.
#include <elucid/elucid.hpp>
#include <elucid/recipe/recipe.hpp>

#include "support/error_of.hpp"
#include "support/recipe_testing.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace elucid;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
// tests/support/recipe_testing.hpp's tiny recipe with a residual block for its model: a stem convolution, a
// convolution and BatchNormalization added back to it, then pooling and the classifier.
std::string residual_recipe(const std::string& output) {
  std::string recipe = test::tiny_recipe(2, R"(, "output": {"model": ")" + output + R"("})");
  const size_t begin = recipe.find(R"("model": {)"), end = recipe.find(R"("compile")");
  const std::string model = R"("model": {"class_name": "Functional", "config": {"name": "tiny_residual", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 12, 12, 1], "name": "image"}, "name": "image",
     "inbound_nodes": []},
    {"class_name": "Conv2D", "config": {"name": "stem", "filters": 4, "kernel_size": [3, 3], "padding": "same",
     "activation": "relu"}, "name": "stem", "inbound_nodes": [[["image", 0, 0, {}]]]},
    {"class_name": "Conv2D", "config": {"name": "conv", "filters": 4, "kernel_size": [3, 3], "padding": "same"},
     "name": "conv", "inbound_nodes": [[["stem", 0, 0, {}]]]},
    {"class_name": "BatchNormalization", "config": {"name": "bn"}, "name": "bn", "inbound_nodes": [[["conv", 0, 0, {}]]]},
    {"class_name": "Add", "config": {"name": "add"}, "name": "add", "inbound_nodes": [[["stem", 0, 0, {}], ["bn", 0, 0, {}]]]},
    {"class_name": "MaxPooling2D", "config": {"name": "pool"}, "name": "pool", "inbound_nodes": [[["add", 0, 0, {}]]]},
    {"class_name": "Flatten", "config": {"name": "flatten"}, "name": "flatten", "inbound_nodes": [[["pool", 0, 0, {}]]]},
    {"class_name": "Dense", "config": {"name": "logits", "units": 4}, "name": "logits",
     "inbound_nodes": [[["flatten", 0, 0, {}]]]}],
    "input_layers": [["image", 0, 0]], "output_layers": [["logits", 0, 0]]}},
  )";
  return recipe.replace(begin, end - begin, model);
}
}  // namespace

TEST_CASE("elucid train takes a Functional recipe, and evaluate, predict, summary and export take its model file",
          "[cli][functional]") {
  auto dir = test::scratch("cli_functional");
  test::write_tiny_idx(dir);
  test::write_text(dir / "residual.json", residual_recipe("residual.elucid"));

  test::Run r = test::run_elucid(dir, "summary residual.json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("Connected to"));
  CHECK_THAT(r.out, Contains("add (Add)                       (None, 12, 12, 4)    0           stem[0][0]"));

  r = test::run_elucid(dir, "train residual.json");
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("Wrote residual.elucid"));
  Functional model = load_model<Functional>((dir / "residual.elucid").string());
  CHECK(model.name() == "tiny_residual");
  CHECK(model.compiled());
  CHECK(model.class_names.size() == 4);
  CHECK_THAT(test::error_of([&] { load_model((dir / "residual.elucid").string()); }),
             Contains("residual.elucid: holds a Functional model \"tiny_residual\": load it with load_model<Functional>"));

  r = test::run_elucid(dir, "evaluate residual.elucid --images test-images.idx --labels test-labels.idx");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("samples: 24\nloss: "));
  r = test::run_elucid(dir, "summary residual.elucid");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("bn (BatchNormalization)         (None, 12, 12, 4)    16          conv[0][0]"));
  CHECK_THAT(r.out, Contains("Optimizer: Adam"));
  CHECK_THAT(r.out, Contains("Classes: top left, top right, bottom left, bottom right"));
  r = test::run_elucid(dir, "export residual.elucid residual.keras.json --format keras-json");
  CHECK(r.status == 0);
  CHECK(test::read_text(dir / "residual.keras.json") == model.to_json());

  // A recipe's initial_weights give a Functional model the weights of a file: elucid's, or Keras' .weights.h5.
  model.save_weights((dir / "residual.weights.h5").string());
  for (const char* file : {"residual.elucid", "residual.weights.h5"}) {
    std::string text = residual_recipe("again.elucid");
    const std::string output = R"("output": {)";
    text.replace(text.find(output), output.size(), std::string(R"("initial_weights": ")") + file + "\", " + output);
    const std::unique_ptr<train::Trainer> started = build_recipe_model(parse_recipe(text, (dir / "again.json").string()));
    CHECK(test::same_bits(started->get_weights(), model.get_weights()));
  }

  // The Keras formats: exported, summarized and evaluated from the file, the same predictions.
  r = test::run_elucid(dir, "export residual.elucid residual.keras");
  CHECK(r.status == 0);
  r = test::run_elucid(dir, "export residual.elucid residual.h5");
  CHECK(r.status == 0);
  r = test::run_elucid(dir, "export residual.elucid residual_tfjs --format tfjs");
  CHECK(r.status == 0);
  for (const char* name : {"residual.keras", "residual.h5", "residual_tfjs"}) {
    r = test::run_elucid(dir, std::string("summary ") + name);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("bn (BatchNormalization)         (None, 12, 12, 4)    16          conv[0][0]"));
    const Functional from_keras = load_model<Functional>((dir / name).string());
    CHECK(from_keras.to_json() == model.to_json());
    CHECK(test::same_bits(from_keras.get_weights(), model.get_weights()));
    // A recipe whose model is the file: its architecture, weights and compile settings.
    const std::string text = residual_recipe("again.elucid");
    if (std::string(name) == "residual_tfjs") continue;  // a recipe's model is a Keras JSON, .keras or .h5 file
    const std::string with_file = text.substr(0, text.find("\"model\":")) + "\"model\": \"" + name + "\",\n  " +
                                  text.substr(text.find("\"fit\":"));
    const std::unique_ptr<train::Trainer> started = build_recipe_model(parse_recipe(with_file, (dir / "again.json").string()));
    CHECK(dynamic_cast<const Functional*>(started.get()) != nullptr);
    CHECK(test::same_bits(started->get_weights(), model.get_weights()));
    CHECK(started->compiled());
  }

  // ONNX: exported by the command, by save, and as a recipe's output.
  r = test::run_elucid(dir, "export residual.elucid residual.onnx");
  CHECK(r.status == 0);
  CHECK(test::read_text(dir / "residual.onnx") == onnx_model_bytes(model));
  model.save((dir / "m.onnx").string());
  CHECK(test::read_text(dir / "m.onnx") == onnx_model_bytes(model));
  test::write_text(dir / "to_onnx.json", residual_recipe("trained.onnx"));
  r = test::run_elucid(dir, "train to_onnx.json");
  CHECK(r.status == 0);
  CHECK(fs::exists(dir / "trained.onnx"));
}

TEST_CASE("a Functional recipe resumed from a checkpoint inside an epoch ends with the same model file", "[cli][functional]") {
  auto dir = test::scratch("cli_functional_resume");
  test::write_tiny_idx(dir);
  std::string recipe = residual_recipe("residual.elucid");
  const std::string output = R"("output": {"model": "residual.elucid"})";
  recipe.replace(recipe.find(output), output.size(),
                 R"("output": {"model": "residual.elucid", "checkpoint_dir": "ckpt", "checkpoint_every": 2})");
  test::write_text(dir / "residual.json", recipe);
  REQUIRE(test::run_elucid(dir, "train residual.json").status == 0);
  const std::string whole = test::read_text(dir / "residual.elucid");
  // As if the run had stopped after the mid-epoch checkpoint of its last epoch: that checkpoint is the newest.
  fs::remove(dir / "residual.elucid");
  fs::remove(dir / "ckpt" / "checkpoint-e0002-b000000.elucid");
  REQUIRE(fs::exists(dir / "ckpt" / "checkpoint-e0001-b000004.elucid"));
  test::Run r = test::run_elucid(dir, "train residual.json --resume");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("Resuming from ckpt/checkpoint-e0001-b000004.elucid (epoch 2, batch 4)"));
  CHECK(test::read_text(dir / "residual.elucid") == whole);
}
