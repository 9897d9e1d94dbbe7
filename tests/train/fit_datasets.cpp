// fit() on the data sets of data/: an image folder (Keras' image_dataset_from_directory) trains like tensors do.
#include <elucid/elucid.hpp>
#include <elucid/data/image_folder.hpp>

#include <stb/stb_image_write.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

using namespace elucid;
using namespace elucid::layers;
namespace fs = std::filesystem;

TEST_CASE("a model trains from an image folder through fit", "[fit][image_folder]") {
  // Two classes of 16x16 RGB PNGs: "bright" images and "dark" ones, with noise; a README that must be ignored.
  const fs::path dir = fs::path(ELUCID_BINARY_DIR) / "test_fit_image_folder";
  fs::remove_all(dir);
  Random rng(5);
  for (const char* cls : {"bright", "dark"}) {
    fs::create_directories(dir / cls);
    for (int i = 0; i < 24; ++i) {
      std::vector<unsigned char> rgb(16 * 16 * 3);
      for (auto& p : rgb) p = static_cast<unsigned char>((cls[0] == 'b' ? 150 : 20) + rng.below(80));
      const std::string path = (dir / cls / ("img" + std::to_string(i) + ".png")).string();
      REQUIRE(stbi_write_png(path.c_str(), 16, 16, 3, rgb.data(), 16 * 3) == 1);
    }
  }
  { std::ofstream(dir / "README.txt") << "not an image"; }

  auto train = data::image_dataset_from_directory(
      dir.string(), {.image_size = {16, 16}, .validation_split = 0.25, .subset = "training", .seed = 3});
  auto validation = data::image_dataset_from_directory(
      dir.string(), {.image_size = {16, 16}, .validation_split = 0.25, .subset = "validation", .seed = 3});
  CHECK(train->size() == 36);
  CHECK(validation->size() == 12);
  CHECK(train->class_names() == std::vector<std::string>{"bright", "dark"});

  Sequential model;
  model.add(Conv2D(4, {3, 3}, {.activation = "elu", .input_shape = {16, 16, 3}}));
  model.add(GlobalAveragePooling2D());
  model.add(Dense(2));
  model.compile(optimizers::Adam({.learning_rate = 0.05f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  History h = model.fit(train, {.batch_size = 8, .epochs = 8, .verbose = 0, .validation_data = validation});
  CHECK(h["val_accuracy"].back() == 1.0);
  auto [loss, accuracy] = model.evaluate(*validation);
  CHECK(accuracy == 1.0);
  fs::remove_all(dir);
}

TEST_CASE("evaluate and predict take the shared data sets fit takes", "[fit][evaluate][predict]") {
  // load_data() and image_dataset_from_directory return shared pointers; Keras passes them to all three alike.
  Tensor x({6, 2}), y({6});
  for (int64_t i = 0; i < 6; ++i) {
    x.data()[2 * i] = static_cast<float>(i % 2);
    x.data()[2 * i + 1] = 1.0f - static_cast<float>(i % 2);
    y.data()[i] = static_cast<float>(i % 2);
  }
  auto data = std::make_shared<data::TensorDataset>(x, y);
  Sequential model;
  model.add(Dense(2, {.input_shape = {2}}));
  model.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(data, {.epochs = 1, .verbose = 0});
  const Evaluation by_pointer = model.evaluate(data);
  CHECK(by_pointer.loss == model.evaluate(*data).loss);
  const Tensor predicted = model.predict(data, {.batch_size = 4});
  CHECK(predicted.shape() == Shape{6, 2});
  CHECK(std::equal(predicted.data(), predicted.data() + 12, model.predict(x).data()));
  CHECK_THROWS_WITH(model.evaluate(std::shared_ptr<const data::Dataset>()), Catch::Contains("null"));
}
