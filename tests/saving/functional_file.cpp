// A Functional model in elucid's model file: saved and loaded back (load_model<Functional>, read_model_file), it
// predicts the same bits and goes on training as the model that was saved would; the Keras formats refuse it.
#include <elucid/elucid.hpp>

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
}  // namespace

TEST_CASE("a Functional model's file loads back: same predictions, and training goes on as it would have",
          "[functional][model_file]") {
  const fs::path dir = test::scratch("functional_file");
  set_random_seed(5);
  Functional model = branching_model();
  model.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  auto [x, y] = branching_data(1);
  model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
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

  // The formats that take Sequential models only so far refuse it by the path's ending; nothing is written.
  for (const char* name : {"m.keras", "m.h5", "m.weights.h5", "m.onnx"}) {
    CHECK_THAT(test::error_of([&] { model.save((dir / name).string()); }), Contains("a Functional model is saved in elucid's model file only so far"));
    CHECK_FALSE(fs::exists(dir / name));
  }
  // A Sequential model's file asked for as Functional names what it holds.
  Sequential sequential;
  sequential.add(Dense(2, {.input_shape = {3}}));
  sequential.save((dir / "seq.elucid").string());
  CHECK_THAT(test::error_of([&] { load_model<Functional>((dir / "seq.elucid").string()); }),
             Contains("seq.elucid: holds a Sequential model \"sequential\": load it with load_model<Sequential>"));
}
