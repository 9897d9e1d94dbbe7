// The mixed_bfloat16 dtype policy: its names, the global policy and a layer's own, the policy in every model file,
// what a model under it computes (bfloat16 operands, float32 sums and outputs), and training under it: the same bits
// at 1 and 2 threads and on resume, and a model that learns.
#include <elucid/elucid.hpp>
#include <elucid/callbacks/backup_and_restore.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/saving/checkpoint.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/train/interrupt.hpp>

#include "support/data_files.hpp"
#include "support/error_of.hpp"
#include "support/interrupt_at.hpp"
#include "support/recipe_testing.hpp"
#include "support/same_bits.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
namespace fs = std::filesystem;

namespace {
// Sets the global policy for one test and puts float32 back when it ends.
struct GlobalPolicy {
  explicit GlobalPolicy(const std::string& name) { mixed_precision::set_global_policy(name); }
  ~GlobalPolicy() { mixed_precision::set_global_policy("float32"); }
  GlobalPolicy(const GlobalPolicy&) = delete;
  GlobalPolicy& operator=(const GlobalPolicy&) = delete;
};

// False, after a warning that names the test's skip, on a CPU without AVX512_BF16 (there the policy computes in
// float32, so there is nothing of bfloat16 to check).
bool bf16_cpu() {
  if (kernels::cpu_has_avx512_bf16()) return true;
  WARN("skipped: this CPU has no AVX512_BF16; mixed_bfloat16 computes in float32 here");
  return false;
}

// The nearest bfloat16 of x (ties to even), as a double: the test's own rounding, independent of the kernels'.
double bf16_of(float x) {
  uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const uint32_t lower = bits & 0xffffu, upper = bits >> 16;
  uint32_t rounded = upper + (lower > 0x8000u || (lower == 0x8000u && (upper & 1u)) ? 1u : 0u);
  rounded <<= 16;
  float y = 0;
  std::memcpy(&y, &rounded, sizeof y);
  return y;
}

// A small CNN of the seed model's kinds of layers on (8, 8, 1) images, 4 classes.
Sequential small_mixed_cnn() {
  Sequential model("small_cnn");
  model.add(Conv2D(8, {3, 3}, {.activation = "elu", .input_shape = {8, 8, 1}, .name = "conv_a"}));
  model.add(MaxPooling2D({2, 2}, {.name = "pool"}));
  model.add(Conv2D(8, {3, 3}, {.padding = "same", .activation = "relu", .name = "conv_b"}));
  model.add(Flatten({.name = "flat"}));
  model.add(Dense(16, {.activation = "elu", .name = "hidden"}));
  model.add(Dense(4, {.name = "logits"}));
  return model;
}

// 4 classes of (8, 8, 1) images: a bright 3x3 square in one of the four corners of a noisy canvas.
std::pair<Tensor, Tensor> corner_squares(int64_t n, uint64_t seed) {
  Tensor x({n, 8, 8, 1}), y({n});
  Random rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 4, top = (c / 2) * 5, left = (c % 2) * 5;
    float* image = x.data() + i * 64;
    for (int64_t p = 0; p < 64; ++p) image[p] = rng.uniform(0.0f, 0.3f);
    for (int64_t r = top; r < top + 3; ++r)
      for (int64_t k = left; k < left + 3; ++k) image[r * 8 + k] = 0.9f;
    y.data()[i] = static_cast<float>(c);
  }
  return {x, y};
}

void compile_small(train::Trainer& model) {
  model.compile(optimizers::Adam({.learning_rate = 0.01f}), losses::SparseCategoricalCrossentropy({.from_logits = true}),
                {"accuracy"});
}
}  // namespace

TEST_CASE("dtype policies: Keras' names, the global policy layers take when made, a layer's own .dtype",
          "[dtype_policy]") {
  const mixed_precision::DTypePolicy f32, mixed("mixed_bfloat16");
  CHECK(f32.name() == "float32");
  CHECK(f32.compute_dtype() == "float32");
  CHECK(mixed.name() == "mixed_bfloat16");
  CHECK(mixed.compute_dtype() == "bfloat16");
  CHECK(mixed.variable_dtype() == "float32");
  CHECK_THAT(test::error_of([] { mixed_precision::DTypePolicy("mixed_float16"); }),
             Equals("dtype policy \"mixed_float16\" is not supported; elucid runs \"float32\" and \"mixed_bfloat16\""));
  CHECK(mixed_precision::global_policy() == f32);

  Dense before(4);
  GlobalPolicy scope("mixed_bfloat16");
  CHECK(mixed_precision::global_policy() == mixed);
  CHECK(before.dtype_policy() == f32);  // a layer keeps the policy it was made with
  CHECK(Dense(4).dtype_policy() == mixed);
  CHECK(Conv2D(4, {3, 3}, {.dtype = "float32"}).dtype_policy() == f32);
  CHECK(BatchNormalization({.dtype = "float32"}).dtype_policy() == f32);
  mixed_precision::set_global_policy("float32");
  CHECK(MaxPooling2D({2, 2}, {.dtype = "mixed_bfloat16"}).dtype_policy() == mixed);
  CHECK_THAT(test::error_of([] { Conv2D(4, {3, 3}, {.name = "c", .dtype = "bfloat16"}); }),
             Equals("Conv2D \"c\": dtype policy \"bfloat16\" is not supported; elucid runs \"float32\" and "
                    "\"mixed_bfloat16\""));
}

TEST_CASE("Keras JSON carries each layer's dtype policy: tf.keras 2.x Policy objects, Keras 3 DTypePolicy",
          "[dtype_policy][keras]") {
  Sequential model = [] {
    GlobalPolicy scope("mixed_bfloat16");
    Sequential m = small_mixed_cnn();
    m.add(Activation("softmax", {.dtype = "float32"}));
    return m;
  }();
  const json::Json tf2 = json::Json::parse(to_json(model));
  const json::Json& layers_json = tf2["config"]["layers"];
  CHECK(layers_json[0]["config"]["dtype"] == "float32");  // the InputLayer: the model's input is float32
  CHECK(layers_json[1]["config"]["dtype"] ==
        json::Json::parse(R"({"class_name": "Policy", "config": {"name": "mixed_bfloat16"}})"));
  CHECK(layers_json.back()["config"]["dtype"] == "float32");
  const auto policies = [](const Sequential& m) {
    std::vector<std::string> names;
    for (const auto& layer : m.layers())
      if (layer->class_name() != "InputLayer") names.push_back(layer->dtype_policy().name());
    return names;
  };
  const std::vector<std::string> want = {"mixed_bfloat16", "mixed_bfloat16", "mixed_bfloat16", "mixed_bfloat16",
                                         "mixed_bfloat16", "mixed_bfloat16", "float32"};
  CHECK(policies(model) == want);
  CHECK(policies(model_from_json(tf2.dump(), "tf2.json")) == want);

  const json::Json k3 = json::Json::parse(to_keras3_json(model));
  CHECK(k3["config"]["layers"][1]["config"]["dtype"] ==
        json::Json::parse(R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"},
                              "registered_name": null})"));
  CHECK(policies(model_from_json(k3.dump(), "k3.json")) == want);

  // Keras 3 also takes the policy's name as a string; an input's dtype is its tensors' and stays float32.
  json::Json named = tf2;
  named["config"]["layers"][1]["config"]["dtype"] = "mixed_bfloat16";
  named["config"]["layers"][2]["config"]["dtype"] = "float32";
  const Sequential from_named = model_from_json(named.dump(), "named.json");
  CHECK(from_named.get_layer("conv_a")->dtype_policy().name() == "mixed_bfloat16");
  CHECK(from_named.get_layer("pool")->dtype_policy().name() == "float32");
  json::Json wrong = tf2;
  wrong["config"]["layers"][2]["config"]["dtype"]["config"]["name"] = "mixed_float16";
  CHECK_THAT(test::error_of([&] { model_from_json(wrong.dump(), "m.json"); }),
             Contains("m.json: config.layers[2].config: MaxPooling2D \"pool\": dtype: dtype policy "
                      "\"mixed_float16\" is not supported"));
  json::Json input = tf2;
  input["config"]["layers"][0]["config"]["dtype"] = "bfloat16";
  CHECK_THAT(test::error_of([&] { model_from_json(input.dump(), "m.json"); }),
             Contains("dtype: \"bfloat16\" is not supported for an input; elucid's inputs are float32"));
}

TEST_CASE("under mixed_bfloat16 Dense multiplies bfloat16 operands, sums in float32, and other layers see bfloat16 "
          "inputs", "[dtype_policy][bf16]") {
  if (!bf16_cpu()) return;
  set_random_seed(3);
  Sequential model = [] {
    GlobalPolicy scope("mixed_bfloat16");
    Sequential m("dense_tanh");
    m.add(Dense(6, {.bias_initializer = "glorot_uniform", .input_shape = {20}}));
    m.add(Activation("tanh"));
    m.add(Dense(3, {.dtype = "float32"}));
    return m;
  }();
  Random rng(8);
  Tensor x({5, 20});
  for (float& v : x.values()) v = rng.uniform(-2.0f, 2.0f);
  const std::vector<NamedTensor> w = model.get_weights();
  const Tensor &k1 = w[0].tensor, &b1 = w[1].tensor, &k2 = w[2].tensor, &b2 = w[3].tensor;
  const Tensor y = model.predict(x);
  // The reference in double: dense_1 on bfloat16 x and kernel (its bias in float32), tanh of the sums rounded to
  // bfloat16 (the Activation's autocast), then the float32 Dense on those.
  double worst = 0, from_float32 = 0;
  for (int64_t n = 0; n < 5; ++n) {
    std::vector<double> hidden(6);
    std::vector<float> hidden_f32(6);
    for (int64_t j = 0; j < 6; ++j) {
      double sum = b1.data()[j], sum_f32 = b1.data()[j];
      for (int64_t i = 0; i < 20; ++i) {
        sum += bf16_of(x.data()[n * 20 + i]) * bf16_of(k1.data()[i * 6 + j]);
        sum_f32 += static_cast<double>(x.data()[n * 20 + i]) * k1.data()[i * 6 + j];
      }
      hidden[static_cast<size_t>(j)] = std::tanh(bf16_of(static_cast<float>(sum)));
      hidden_f32[static_cast<size_t>(j)] = static_cast<float>(std::tanh(sum_f32));
    }
    for (int64_t o = 0; o < 3; ++o) {
      double want = b2.data()[o], want_f32 = b2.data()[o];
      for (int64_t j = 0; j < 6; ++j) {
        want += static_cast<double>(static_cast<float>(hidden[static_cast<size_t>(j)])) * k2.data()[j * 3 + o];
        want_f32 += static_cast<double>(hidden_f32[static_cast<size_t>(j)]) * k2.data()[j * 3 + o];
      }
      const double got = y.data()[n * 3 + o];
      worst = std::max(worst, std::fabs(got - want) / (1.0 + std::fabs(want)));
      from_float32 = std::max(from_float32, std::fabs(got - want_f32));
    }
  }
  CHECK(worst < 2e-6);
  CHECK(from_float32 > 1e-4);  // the bfloat16 path did run: float32 products give visibly other numbers
}

TEST_CASE("under mixed_bfloat16 SeparableConv2D's pointwise product takes bfloat16 operands, its depthwise step "
          "bfloat16 inputs", "[dtype_policy][bf16]") {
  if (!bf16_cpu()) return;
  set_random_seed(4);
  Sequential model = [] {
    GlobalPolicy scope("mixed_bfloat16");
    Sequential m("separable");
    m.add(SeparableConv2D(5, {3, 3}, {.depth_multiplier = 2, .bias_initializer = "glorot_uniform",
                                      .input_shape = {6, 6, 3}}));
    return m;
  }();
  Random rng(9);
  Tensor x({2, 6, 6, 3});
  for (float& v : x.values()) v = rng.uniform(-2.0f, 2.0f);
  const std::vector<NamedTensor> w = model.get_weights();
  const Tensor &pointwise = w[1].tensor, &bias = w[2].tensor;  // (1, 1, 6, 5), (5)
  // The depthwise step in float32 on the rounded input (its op is checked in tests/core/ops/conv.cpp), then the
  // pointwise product in double over bfloat16 operands.
  const Tensor depthwise = ops::depthwise_conv2d(ops::round_to_bfloat16(x), w[0].tensor, Tensor(), {});
  const Tensor y = model.predict(x);
  REQUIRE(y.shape() == Shape{2, 4, 4, 5});
  double worst = 0;
  for (int64_t p = 0; p < 2 * 4 * 4; ++p)
    for (int64_t f = 0; f < 5; ++f) {
      double want = bias.data()[f];
      for (int64_t c = 0; c < 6; ++c)
        want += bf16_of(depthwise.data()[p * 6 + c]) * bf16_of(pointwise.data()[c * 5 + f]);
      worst = std::max(worst, std::fabs(y.data()[p * 5 + f] - want) / (1.0 + std::fabs(want)));
    }
  CHECK(worst < 2e-6);
}

TEST_CASE("mixed_bfloat16 training gives the same bits at 1 and 2 threads, and the model learns",
          "[dtype_policy][bf16][threads]") {
  if (!bf16_cpu()) return;
  const auto data = corner_squares(160, 4);
  const Tensor &x = data.first, &y = data.second;
  auto train = [&](int threads) {
    set_num_threads(threads);
    set_random_seed(12);
    GlobalPolicy scope("mixed_bfloat16");
    Sequential model = small_mixed_cnn();
    compile_small(model);
    History h = model.fit(x, y, {.batch_size = 16, .epochs = 4, .verbose = 0, .validation_split = 0.25, .seed = 2});
    return std::make_pair(model.get_weights(), h);
  };
  auto [w1, h1] = train(1);
  auto [w2, h2] = train(2);
  set_num_threads(0);
  CHECK(test::same_bits(w1, w2));
  CHECK(h1["loss"] == h2["loss"]);
  CHECK(h1["val_accuracy"].back() >= 0.95);

  // The same run in float32 differs (the policy changed the arithmetic) and learns as well.
  set_random_seed(12);
  Sequential f32 = small_mixed_cnn();
  compile_small(f32);
  History hf = f32.fit(x, y, {.batch_size = 16, .epochs = 4, .verbose = 0, .validation_split = 0.25, .seed = 2});
  CHECK_FALSE(test::same_bits(w1, f32.get_weights()));
  CHECK(hf["val_accuracy"].back() >= 0.95);
}

TEST_CASE("a mixed_bfloat16 model's files keep its policy, and it goes on training to the same bits",
          "[dtype_policy][bf16][model_file][keras_v3][keras_h5]") {
  if (!bf16_cpu()) return;
  test::OneThread one_thread;
  const fs::path dir = test::scratch("dtype_policy_files");
  const auto [x, y] = corner_squares(32, 6);
  for (const char* name : {"m.elucid", "m.keras", "m.h5"}) {
    CAPTURE(name);
    set_random_seed(5);
    Sequential model = [] {
      GlobalPolicy scope("mixed_bfloat16");
      return small_mixed_cnn();
    }();
    compile_small(model);
    model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
    const std::string path = (dir / name).string();
    model.save(path);
    Sequential loaded = load_model<Sequential>(path);
    for (const auto& layer : loaded.layers())
      if (layer->class_name() != "InputLayer") CHECK(layer->dtype_policy().name() == "mixed_bfloat16");
    model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
    loaded.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
    CHECK(test::same_bits(loaded.get_weights(), model.get_weights()));
  }
  // TensorFlow.js computes in float32 and reads a layer's dtype as a string: the folder says float32.
  Sequential model = [] {
    GlobalPolicy scope("mixed_bfloat16");
    return small_mixed_cnn();
  }();
  export_tfjs(model, (dir / "tfjs").string());
  const json::Json written = json::Json::parse(test::read_text(dir / "tfjs" / "model.json"));
  for (const json::Json& layer : written["modelTopology"]["config"]["layers"])
    CHECK(layer["config"]["dtype"] == "float32");
}

TEST_CASE("a mixed_bfloat16 run interrupted mid-epoch resumes to the same bits", "[dtype_policy][bf16][checkpoint]") {
  if (!bf16_cpu()) return;
  test::OneThread one_thread;
  const auto [x, y] = corner_squares(48, 7);
  auto options = [](const std::string& dir, int64_t interrupt_batch) {
    FitOptions o{.batch_size = 8, .epochs = 2, .verbose = 0, .validation_split = 0.25, .seed = 4};
    o.callbacks = {std::make_shared<test::InterruptAtBatch>(interrupt_batch),
                   std::make_shared<callbacks::BackupAndRestore>(dir, callbacks::BackupAndRestoreOptions{.save_freq = 1})};
    return o;
  };
  auto fresh = [] {
    set_random_seed(9);
    GlobalPolicy scope("mixed_bfloat16");
    Sequential model = small_mixed_cnn();
    compile_small(model);
    return model;
  };
  Sequential reference = fresh();
  const History full = reference.fit(x, y, options((test::scratch("mixed_resume_ref") / "c").string(), -1));
  const std::string dir = (test::scratch("mixed_resume") / "c").string();
  Sequential first = fresh();
  CHECK_THROWS_AS(first.fit(x, y, options(dir, 1)), Interrupted);
  clear_interrupt();
  const auto saved = callbacks::BackupAndRestore::list(dir);
  REQUIRE_FALSE(saved.empty());
  const Checkpoint c = load_checkpoint(saved.back());
  Sequential resumed = fresh();
  restore_checkpoint(resumed, c, saved.back());
  FitOptions rest_options = options(dir, -1);
  rest_options.resume = c.fit;
  const History rest = resumed.fit(x, y, rest_options);
  CHECK(test::same_bits(resumed.get_weights(), reference.get_weights()));
  CHECK(rest["loss"].back() == full["loss"].back());
}
