// Functional models: graphs of layer calls as Keras' functional API, their layers, names, weights, summary, JSON,
// training, and every bad graph.
#include <elucid/elucid.hpp>

#include "support/error_of.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;

namespace {
// A residual block on (6, 6, 2) images: Conv-ReLU-Conv, the input added back, then a classifier of 3 classes.
Functional residual_model() {
  KerasTensor inputs = Input({6, 6, 2});
  KerasTensor x = Conv2D(2, {3, 3}, {.padding = "same", .activation = "relu"})(inputs);
  x = Conv2D(2, {3, 3}, {.padding = "same"})(x);
  x = ReLU()(Add()({x, inputs}));
  KerasTensor outputs = Dense(3)(Flatten()(x));
  return Functional(inputs, outputs, "residual");
}

Tensor random_batch(Shape shape, uint64_t seed) {
  Random rng(seed);
  Tensor x(std::move(shape));
  for (float& v : x.values()) v = rng.uniform() * 2 - 1;
  return x;
}
}  // namespace

TEST_CASE("a Functional chain is the Sequential of the same layers: same weights, same predictions", "[functional]") {
  set_random_seed(7);
  Sequential sequential;
  sequential.add(Conv2D(3, {3, 3}, {.activation = "elu", .input_shape = {6, 6, 1}}));
  sequential.add(Flatten());
  sequential.add(Dense(4));
  set_random_seed(7);
  KerasTensor in = Input({6, 6, 1});
  KerasTensor out = Dense(4)(Flatten()(Conv2D(3, {3, 3}, {.activation = "elu"})(in)));
  Functional functional(in, out);
  CHECK(functional.layers().size() == 4);
  CHECK(functional.layers()[0]->name() == "input_1");
  CHECK(functional.layers()[1]->name() == "conv2d");
  CHECK(functional.layers()[3]->name() == "dense");
  CHECK(functional.count_params() == sequential.count_params());
  CHECK(test::same_bits(functional.get_weights(), sequential.get_weights()));
  const Tensor x = random_batch({5, 6, 6, 1}, 3);
  const Tensor from_functional = functional.predict(x), from_sequential = sequential.predict(x);
  CHECK(std::ranges::equal(from_functional.values(), from_sequential.values()));
  CHECK(functional.output_shapes() == std::vector<Shape>{Shape{4}});
}

TEST_CASE("a residual block: shapes, parameters, Keras' functional summary, and it trains", "[functional]") {
  Functional model = residual_model();
  CHECK(model.count_params() == 2 * (3 * 3 * 2 * 2 + 2) + (72 * 3 + 3));
  const std::string expected =
      "Model: \"residual\"\n"
      "__________________________________________________________________________________________________\n"
      "Layer (type)                    Output Shape         Param #     Connected to                     \n"
      "==================================================================================================\n"
      "input_1 (InputLayer)            [(None, 6, 6, 2)]    0                                            \n"
      "__________________________________________________________________________________________________\n"
      "conv2d (Conv2D)                 (None, 6, 6, 2)      38          input_1[0][0]                    \n"
      "__________________________________________________________________________________________________\n"
      "conv2d_1 (Conv2D)               (None, 6, 6, 2)      38          conv2d[0][0]                     \n"
      "__________________________________________________________________________________________________\n"
      "add (Add)                       (None, 6, 6, 2)      0           conv2d_1[0][0]                   \n"
      "                                                                 input_1[0][0]                    \n"
      "__________________________________________________________________________________________________\n"
      "re_lu (ReLU)                    (None, 6, 6, 2)      0           add[0][0]                        \n"
      "__________________________________________________________________________________________________\n"
      "flatten (Flatten)               (None, 72)           0           re_lu[0][0]                      \n"
      "__________________________________________________________________________________________________\n"
      "dense (Dense)                   (None, 3)            219         flatten[0][0]                    \n"
      "==================================================================================================\n"
      "Total params: 295\n"
      "Trainable params: 295\n"
      "Non-trainable params: 0\n"
      "__________________________________________________________________________________________________\n";
  CHECK(model.summary_string() == expected);

  model.compile(optimizers::Adam({.learning_rate = 0.02f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
  const Tensor x = random_batch({24, 6, 6, 2}, 5);
  Tensor y({24});
  for (int64_t i = 0; i < 24; ++i) y.values()[static_cast<size_t>(i)] = x.values()[static_cast<size_t>(i * 72)] > 0 ? 1.0f : 0.0f;
  const History history = model.fit(x, y, {.batch_size = 8, .epochs = 15, .verbose = 0});
  CHECK(history["loss"].back() < 0.5 * history["loss"].front());
}

TEST_CASE("a Functional model gives the same bits at 1 and 2 threads", "[functional][threads]") {
  const auto train = [](int threads) {
    set_num_threads(threads);
    set_random_seed(3);
    Functional model = residual_model();
    model.compile("adam", "sparse_categorical_crossentropy");
    const Tensor x = random_batch({16, 6, 6, 2}, 9);
    Tensor y({16});
    for (int64_t i = 0; i < 16; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
    model.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0});
    return model.get_weights();
  };
  const auto one = train(1), two = train(2);
  set_num_threads(0);
  CHECK(test::same_bits(one, two));
}

TEST_CASE("a layer called twice shares its weights, with two inputs and two outputs", "[functional]") {
  KerasTensor a = Input({4}, "left"), b = Input({4}, "right");
  auto shared = std::make_shared<Dense>(3);
  KerasTensor pa = (*shared)(a), pb = (*shared)(b);
  KerasTensor both = Concatenate()({pa, pb});
  KerasTensor difference = Subtract()({pa, pb});
  Functional model({a, b}, {both, difference}, "siamese");
  CHECK(model.count_params() == 4 * 3 + 3);  // one Dense
  CHECK(model.layers().size() == 5);          // left, right, dense, concatenate, subtract
  CHECK(model.node_index(*pb.node()) == 1);
  CHECK(model.output_shapes() == std::vector<Shape>{Shape{6}, Shape{3}});
  const Tensor x = random_batch({2, 4}, 1);
  const Tensor outs[] = {x, x};
  const std::vector<Tensor> y = model.forward(outs, false);
  REQUIRE(y.size() == 2);
  CHECK(y[0].shape() == Shape{2, 6});
  for (float v : y[1].values()) CHECK(v == 0.0f);  // the same input through the same weights
  CHECK_THAT(model.summary_string(), Contains("dense (Dense)                   (None, 3)            15          left[0][0]"));
  CHECK_THAT(model.summary_string(), Contains("                                                                 right[0][0]"));
}

TEST_CASE("to_json writes tf.keras 2.x's Functional layout", "[functional][keras]") {
  KerasTensor in = Input({4});
  KerasTensor h = Dense(4, {.activation = "relu"})(in);
  Functional model(in, Add()({h, in}), "tiny");
  const std::string json = model.to_json();
  CHECK_THAT(json, Contains("{\"class_name\": \"Functional\", \"config\": {\"name\": \"tiny\", \"layers\": [{\"class_name\": "
                            "\"InputLayer\", \"config\": {\"batch_input_shape\": [null, 4], \"dtype\": \"float32\", "
                            "\"sparse\": false, \"ragged\": false, \"name\": \"input_1\"}, \"name\": \"input_1\", "
                            "\"inbound_nodes\": []}, {\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\""));
  CHECK_THAT(json, Contains("\"name\": \"dense\", \"inbound_nodes\": [[[\"input_1\", 0, 0, {}]]]}"));
  CHECK_THAT(json, Contains("{\"class_name\": \"Add\", \"config\": {\"name\": \"add\", \"trainable\": true, \"dtype\": "
                            "\"float32\"}, \"name\": \"add\", \"inbound_nodes\": [[[\"dense\", 0, 0, {}], [\"input_1\", 0, "
                            "0, {}]]]}], \"input_layers\": [[\"input_1\", 0, 0]], \"output_layers\": [[\"add\", 0, 0]]}, "
                            "\"keras_version\": \"2.4.0\", \"backend\": \"tensorflow\"}"));
  CHECK(model_file_bytes(model).size() > 100);
}

TEST_CASE("bad graphs are refused at the call or when the model is made, naming the layers and shapes", "[functional]") {
  KerasTensor a = Input({8, 8, 16}), b = Input({8, 8, 32});
  CHECK_THAT(test::error_of([&] { Add()({a, b}); }),
             Contains("Add: inputs of different shapes (8, 8, 16), (8, 8, 32); they must all have one shape"));
  CHECK_THAT(test::error_of([&] { Concatenate({.axis = 1})({a, b}); }),
             Contains("Concatenate: inputs (8, 8, 16), (8, 8, 32) differ off axis 1"));
  CHECK(Concatenate()({a, b}).shape() == Shape{8, 8, 48});
  CHECK_THAT(test::error_of([&] { Subtract()({a, a, a}); }), Contains("Subtract: takes exactly 2 inputs, was given 3"));
  CHECK_THAT(test::error_of([&] { Dense(3)({a, b}); }), Contains("Dense: takes one input, was given 2"));
  CHECK_THAT(test::error_of([&] { Conv2D(4, {9, 9})(a); }), Contains("Conv2D"));

  KerasTensor c = Conv2D(16, {1, 1})(a);
  CHECK_THAT(test::error_of([&] { Functional({b}, {c}); }),
             Contains("the outputs need InputLayer (8, 8, 16), which is not one of the model's inputs"));
  CHECK_THAT(test::error_of([&] { Functional({a, b}, {c}); }), Contains("reaches no output"));
  CHECK_THAT(test::error_of([&] { Functional({c}, {c}); }), Contains("an input is the output of Conv2D"));
  KerasTensor d = Dense(2, {.name = "same"})(Flatten({.name = "same"})(a));
  CHECK_THAT(test::error_of([&] { Functional(a, d); }), Contains("two layers are named \"same\""));

  Dense named(3);
  KerasTensor v = Input({4});
  CHECK_THAT(test::error_of([&] { named(v); }), Contains("no std::shared_ptr holds"));
  auto shared = std::make_shared<Dense>(3);
  Functional first(v, (*shared)(v));
  KerasTensor w = Input({5});
  CHECK_THAT(test::error_of([&] { Functional(w, (*shared)(w)); }), Contains("already built for input (4,), cannot take (5,)"));
}

namespace {
// Two inputs, an image and a vector of sizes, joined after pooling: the model of the several-input tests.
Functional image_and_meta_model() {
  KerasTensor image = Input({6, 6, 2}, "image");
  KerasTensor meta = Input({3}, "meta");
  KerasTensor pooled = Flatten()(MaxPooling2D({2, 2})(Conv2D(4, {3, 3}, {.padding = "same", .activation = "relu"})(image)));
  KerasTensor joined = Concatenate()({pooled, Dense(4, {.activation = "elu"})(meta)});
  return Functional({image, meta}, {Dense(3)(joined)}, "image_and_meta");
}
}  // namespace

TEST_CASE("a model of two inputs fits, evaluates and predicts on a list or a map of them, the same bits either way",
          "[functional]") {
  const Tensor images = random_batch({40, 6, 6, 2}, 4), meta = random_batch({40, 3}, 5);
  Tensor y({40});
  for (int64_t i = 0; i < 40; ++i) y.values()[static_cast<size_t>(i)] = static_cast<float>(i % 3);
  const auto train = [&](bool as_map, int threads) {
    set_num_threads(threads);
    set_random_seed(6);
    Functional model = image_and_meta_model();
    model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    FitOptions options{.batch_size = 16, .epochs = 3, .verbose = 0};
    options.validation_split = 0.2;
    const History history = as_map ? model.fit(Functional::NamedInputs{{"meta", meta}, {"image", images}}, y, options)
                                   : model.fit({images, meta}, y, options);
    CHECK(history["val_loss"].size() == 3);
    return model;
  };
  Functional by_list = train(false, 2);
  Functional by_map = train(true, 2);
  Functional one_thread = train(false, 1);
  set_num_threads(0);
  CHECK(test::same_bits(by_list.get_weights(), by_map.get_weights()));
  CHECK(test::same_bits(by_list.get_weights(), one_thread.get_weights()));

  // predict and evaluate take them the same ways, and agree with the forward of the whole batch.
  const Tensor p = by_list.predict({images, meta}, {.batch_size = 7});
  const Tensor q = by_list.predict(Functional::NamedInputs{{"image", images}, {"meta", meta}});
  CHECK(p.shape() == Shape{40, 3});
  CHECK(std::ranges::equal(p.values(), q.values()));
  const std::vector<Tensor> inputs = {images, meta};
  const Tensor direct = by_list.forward(inputs, false)[0];
  for (size_t i = 0; i < direct.values().size(); ++i) REQUIRE(std::abs(direct.values()[i] - p.values()[i]) < 1e-6f);
  const Evaluation a = by_list.evaluate({images, meta}, y), b = by_list.evaluate(Functional::NamedInputs{{"image", images}, {"meta", meta}}, y);
  CHECK(a.loss == b.loss);
  CHECK(a["accuracy"] == b["accuracy"]);

  // Wrong inputs: one error each, naming the input and the shapes.
  CHECK_THROWS_WITH(by_list.fit(images, y), Contains("fit: the model takes 2 inputs; the data give 1 per sample"));
  CHECK_THROWS_WITH(by_list.predict({meta, images}),
                    Contains("predict: samples: input 0 \"image\" has shape (3,); the model takes (6, 6, 2)"));
  CHECK_THROWS_WITH(by_list.fit(Functional::NamedInputs{{"image", images}}, y),
                    Contains("fit: no input named \"meta\" among the 1 given"));
  CHECK_THROWS_WITH(by_list.evaluate(Functional::NamedInputs{{"image", images}, {"meta", meta}, {"size", meta}}, y),
                    Contains("evaluate: the model has no input named \"size\"; its first is \"image\" of 2"));
  CHECK_THROWS_WITH(by_list.predict(Functional::NamedInputs{{"image", images}, {"image", images}}),
                    Contains("predict: input \"image\" is given twice"));
  CHECK_THROWS_WITH(by_list.fit({images, random_batch({39, 3}, 1)}, y), Contains("input 1 (39, 3) has 39 samples but y (40,) has 40"));
}
