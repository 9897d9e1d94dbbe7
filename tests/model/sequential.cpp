// Sequential: the seed model's Keras summary, training to high accuracy, determinism, and every bad input.
#include <elucid/apps/seed_model.hpp>
#include <elucid/data/synthetic.hpp>
#include <elucid/elucid.hpp>

#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace elucid;
using namespace elucid::layers;

namespace {
using examples::seed_model;
using test::same_bits;
}  // namespace

TEST_CASE("the seed model's summary matches tf.keras 2.x line for line", "[sequential][keras][threads]") {
  Sequential model = seed_model();
  CHECK(model.count_params() == 93322);
  const std::string expected = read_file(std::string(ELUCID_SOURCE_DIR) + "/tests/fixtures/seed_model.tf2.summary.txt");
  CHECK(model.summary_string() == expected);
  CHECK(model.output_shape() == Shape{10});
  auto names = model.weights();
  REQUIRE(names.size() == 10);
  CHECK(names[0].name == "conv2d/kernel");
  CHECK(names[0].tensor.shape() == Shape{3, 3, 1, 32});
  CHECK(names[9].name == "dense_1/bias");
}

TEST_CASE("the image layers show their output shapes and no parameters in the summary, as tf.keras 2.x", "[sequential][keras]") {
  Sequential model;
  model.add(Rescaling(1.0 / 255, {.input_shape = {28, 28, 1}}));
  model.add(ZeroPadding2D(2));
  model.add(Conv2D(4, 3));
  model.add(Cropping2D({{1, 0}, {2, 3}}));
  model.add(Reshape({-1, 100}));
  model.add(Reshape({29, 10, 10}));
  model.add(UpSampling2D({1, 2}));
  model.add(GlobalMaxPooling2D());
  const std::string summary = model.summary_string();
  INFO(summary);
  // Keras cuts the first column to 28 characters.
  CHECK(summary.find("rescaling (Rescaling)        (None, 28, 28, 1)         0         \n") != std::string::npos);
  CHECK(summary.find("zero_padding2d (ZeroPadding2 (None, 32, 32, 1)         0         \n") != std::string::npos);
  CHECK(summary.find("conv2d (Conv2D)              (None, 30, 30, 4)         40        \n") != std::string::npos);
  CHECK(summary.find("cropping2d (Cropping2D)      (None, 29, 25, 4)         0         \n") != std::string::npos);
  CHECK(summary.find("reshape (Reshape)            (None, 29, 100)           0         \n") != std::string::npos);
  CHECK(summary.find("up_sampling2d (UpSampling2D) (None, 29, 20, 10)        0         \n") != std::string::npos);
  CHECK(summary.find("global_max_pooling2d (Global (None, 10)                0         \n") != std::string::npos);
  CHECK(model.count_params() == 40);
}

TEST_CASE("the convolution and normalization layers show Keras' names, shapes and parameter counts in the summary",
          "[sequential][keras]") {
  Sequential model;
  model.add(DepthwiseConv2D(3, {.depth_multiplier = 2, .input_shape = {28, 28, 8}}));  // 3*3*8*2 + 16
  model.add(SeparableConv2D(32, 3, {.padding = "same"}));                              // 3*3*16 + 16*32 + 32
  model.add(Conv2DTranspose(16, 3, {.strides = 2}));                                   // 3*3*16*32 + 16
  model.add(LayerNormalization());                                                     // 16 + 16
  const std::string summary = model.summary_string();
  INFO(summary);
  CHECK(summary.find("depthwise_conv2d (DepthwiseC (None, 26, 26, 16)        160       \n") != std::string::npos);
  CHECK(summary.find("separable_conv2d (SeparableC (None, 26, 26, 32)        688       \n") != std::string::npos);
  CHECK(summary.find("conv2d_transpose (Conv2DTran (None, 53, 53, 16)        4624      \n") != std::string::npos);
  CHECK(summary.find("layer_normalization (LayerNo (None, 53, 53, 16)        32        \n") != std::string::npos);
  CHECK(model.count_params() == 160 + 688 + 4624 + 32);
}

TEST_CASE("the seed model learns a separable image set to over 95% accuracy", "[sequential][train][threads]") {
  auto [x, y] = datasets::synthetic_squares(400, 1);
  auto [xt, yt] = datasets::synthetic_squares(200, 2);
  Sequential model = seed_model();
  model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  std::ostringstream log;
  History history = model.fit(x, y, {.batch_size = 32, .epochs = 3, .validation_split = 0.1, .out = &log});
  CHECK(history.epoch == std::vector<int>{0, 1, 2});
  CHECK(history["loss"].size() == 3);
  CHECK(history["val_accuracy"].size() == 3);
  CHECK(history["loss"].back() < history["loss"].front());
  auto [loss, accuracy] = model.evaluate(xt, yt);
  CHECK(accuracy >= 0.95);
  CHECK(loss < 0.5);
  Tensor probabilities = model.predict(xt);
  CHECK(probabilities.shape() == Shape{200, 10});
  // The log is the Keras layout: "Epoch 1/3", then the bar with val_ figures. 360 samples / 32 = 12 steps.
  CHECK(log.str().rfind("Epoch 1/3\n12/12 [==============================] - ", 0) == 0);
  CHECK(log.str().find(" - val_loss: ") != std::string::npos);
}

TEST_CASE("the same seed gives bit-identical training, at 1 and at 2 threads", "[sequential][determinism][threads]") {
  const auto data = datasets::synthetic_squares(96, 3);  // not a structured binding: clang 14 cannot capture one
  const Tensor &x = data.first, &y = data.second;
  auto train = [&](int threads) {
    set_num_threads(threads);
    set_random_seed(1234);
    Sequential model = seed_model();
    model.add(Dropout(0.25));
    model.add(Dense(10));
    model.compile(optimizers::Adam(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
    History h = model.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0, .validation_split = 0.25, .seed = 7});
    return std::make_pair(model.get_weights(), h);
  };
  auto [w1, h1] = train(1);
  auto [w1b, h1b] = train(1);
  auto [w2, h2] = train(2);
  set_num_threads(0);
  set_random_seed(0);
  CHECK(same_bits(w1, w1b));
  CHECK(same_bits(w1, w2));
  CHECK(h1["loss"] == h2["loss"]);
  CHECK(h1["val_accuracy"] == h1b["val_accuracy"]);
}

TEST_CASE("validation_split takes the last samples, before shuffling", "[sequential][keras][threads]") {
  // 10 samples, split 0.3: training gets samples 0..6, validation 7..9. Labels 0 for training, 1 for validation:
  // a model that only ever sees label 0 scores 0 on validation.
  Tensor x({10, 2}, 1.0f), y({10});
  for (int i = 7; i < 10; ++i) y.data()[i] = 1;
  Sequential model;
  model.add(Dense(2, {.kernel_initializer = "zeros", .input_shape = Shape{2}}));
  model.compile(optimizers::SGD({.learning_rate = 0.5f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  History h = model.fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .validation_split = 0.3});
  CHECK(h["accuracy"].back() == 1.0);
  CHECK(h["val_accuracy"].back() == 0.0);
}

TEST_CASE("layer names, pop, get_layer, set_weights", "[sequential][threads]") {
  Sequential model = seed_model();
  CHECK(model.layers()[3]->name() == "max_pooling2d_1");
  CHECK(model.get_layer("dense_1")->class_name() == "Dense");
  CHECK_THROWS_WITH(model.get_layer("dense_9"), Catch::StartsWith("Sequential \"sequential\" has no layer \"dense_9\"; it has: conv2d,"));
  model.pop();
  CHECK(model.output_shape() == Shape{64});
  model.add(Dense(5, {.name = "head"}));
  CHECK(model.layers().back()->name() == "head");
  CHECK_THROWS_WITH(model.add(Dense(5, {.name = "head"})),
                    "Sequential::add: a layer named \"head\" is already in the model");

  auto w = model.get_weights();
  w[0].tensor.fill(0.5f);
  model.set_weights(w);
  CHECK(model.weights()[0].tensor.data()[0] == 0.5f);
  w.pop_back();
  CHECK_THROWS_WITH(model.set_weights(w), "set_weights: the model has 10 weight tensors, got 9");
}

TEST_CASE("impossible models and bad fit arguments fail before training, with the numbers", "[sequential][errors][threads]") {
  Sequential model = seed_model();
  CHECK_THROWS_WITH(model.add(Conv2D(8, {3, 3})), Catch::Contains("Conv2D \"conv2d_3\"") && Catch::Contains("(10,)"));
  CHECK(model.layers().size() == 8);  // the impossible layer was not kept

  Sequential small;
  CHECK_THROWS_WITH(small.add(Conv2D(4, {5, 5}, {.input_shape = Shape{4, 4, 1}})), Catch::Contains("(4, 4, 1)"));
  CHECK(small.layers().empty());

  Sequential lazy;
  lazy.add(Dense(3));
  lazy.add(Dense(2));
  CHECK_FALSE(lazy.built());
  CHECK_THROWS_WITH(lazy.summary_string(), Catch::Contains("has not been built yet"));
  CHECK_THROWS_WITH(lazy.fit(Tensor({4, 3}), Tensor({4})), "fit: the model must be compiled first (call compile())");
  lazy.compile(optimizers::SGD(), losses::SparseCategoricalCrossentropy({.from_logits = true}), {"accuracy"});
  CHECK_THROWS_WITH(lazy.fit(Tensor({4, 3}), Tensor({5})),
                    "fit: x (4, 3) and y (5,) must hold the same number of samples");
  CHECK_THROWS_WITH(lazy.fit(Tensor({4, 3}), Tensor({4}), {.batch_size = 0}), "fit: batch_size must be at least 1, got 0");
  CHECK_THROWS_WITH(lazy.fit(Tensor(Shape{0, 3}), Tensor(Shape{0})), "fit: the training data set is empty");
  CHECK_THROWS_WITH(lazy.fit(Tensor({4, 3}), Tensor({4}), {.validation_split = 1.5}),
                    Catch::StartsWith("fit: validation_split must be in [0, 1), got 1.5"));
  Tensor y({4}, std::vector<float>{0, 1, 2, 1});
  CHECK_THROWS_WITH(lazy.fit(Tensor({4, 3}), y, {.verbose = 0}),
                    "fit: label 2 of sample 2 is not a class index in [0, 2) for the model's 2 outputs");
  Tensor x({4, 3}, 1.0f);
  x.at({3, 1}) = std::nanf("");
  CHECK_THROWS_WITH(lazy.fit(x, Tensor({4}), {.verbose = 0}), "fit: input of sample 3 holds nan at element 1");
  CHECK(lazy.built());  // fit built it from the data's shape
  CHECK_THROWS_WITH(lazy.fit(Tensor({4, 5}), Tensor({4}), {.verbose = 0}),
                    "fit: samples of shape (5,) do not match the model's input (3,)");
  CHECK_THROWS_WITH(lazy.predict(Tensor({2, 4})), "predict: samples of shape (4,) do not match the model's input (3,)");
}

TEST_CASE("train_on_batch and test_on_batch return the loss and metrics", "[sequential][threads]") {
  Sequential model;
  model.add(Dense(3, {.input_shape = Shape{4}}));
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  Tensor x({8, 4}, 0.5f), y({8}, 1.0f);
  Logs before = model.test_on_batch(x, y);
  Logs first = model.train_on_batch(x, y);
  CHECK(first.at("loss") == Approx(before.at("loss")));  // the step's loss is computed before its update
  CHECK(model.optimizer().iterations() == 1);
  model.compile(optimizers::Adam({.learning_rate = 0.1f}), losses::get("sparse_categorical_crossentropy"), {"accuracy"});
  for (int i = 0; i < 20; ++i) model.train_on_batch(x, y);
  Logs after = model.test_on_batch(x, y);
  CHECK(after.at("loss") < before.at("loss"));
  CHECK(after.at("accuracy") == 1.0);
  CHECK_THROWS_WITH(model.compile("adam", "hinge"), Catch::StartsWith("unknown loss \"hinge\""));
}
