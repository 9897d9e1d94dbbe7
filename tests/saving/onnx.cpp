// ONNX export: the graphs export_onnx writes, read back with ONNX's own classes: they pass ONNX's checker and its
// strict shape inference, their nodes are the ones saving/onnx.hpp promises (op types in order for the seed model,
// 'same' pads with the odd cell at the end, epsilon, ELU's alpha, no Dropout), names and bytes are stable, and a
// layer the graph cannot express is one error naming it. The numbers against ONNX Runtime: scripts/check-onnx.sh.
#include <elucid/apps/seed_model.hpp>
#include <elucid/elucid.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/saving/json.hpp>
#include <elucid/saving/onnx.hpp>

#include "support/data_files.hpp"

#include <catch2/catch.hpp>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace elucid;
using namespace elucid::layers;
using Catch::Matchers::Contains;

namespace {

// The Keras example (apps/seed_model.hpp), 93,322 parameters, with weights of a fixed seed.
Sequential seed_model() {
  set_random_seed(5);
  return examples::seed_model();
}

// The model of a recipe in the source tree (its "model" section).
Sequential recipe_model(const std::string& relative_path) {
  const std::string path = std::string(ELUCID_SOURCE_DIR) + "/" + relative_path;
  return model_from_json(json::parse(read_file(path), path)["model"].dump(), path);
}

// tests/tfjs/every_layer.json's model: every layer class elucid reads, with options off their defaults.
Sequential every_layer_model() { return recipe_model("tests/tfjs/every_layer.json"); }

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(bytes));
  return m;
}

// The checker, then shape inference in strict mode: it fails on an op whose input shapes do not fit it, and on an
// inferred output shape other than the declared one.
void check_graph(onnx::ModelProto& m) {
  REQUIRE_NOTHROW(onnx::checker::check_model(m));
  onnx::ShapeInferenceOptions strict{/*check_type=*/true, /*error_mode=*/1, /*enable_data_propagation=*/false};
  REQUIRE_NOTHROW(onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), strict));
}

std::vector<std::string> op_types(const onnx::ModelProto& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  return ops;
}

const onnx::NodeProto& node_named(const onnx::ModelProto& m, const std::string& output) {
  for (const auto& n : m.graph().node())
    if (n.output(0) == output) return n;
  FAIL("no node writes " << output);
  throw std::logic_error("unreachable");
}

const onnx::AttributeProto& attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a;
  FAIL(n.name() << " has no attribute " << name);
  throw std::logic_error("unreachable");
}

std::vector<int64_t> ints(const onnx::AttributeProto& a) { return {a.ints().begin(), a.ints().end()}; }

// "batch", 28, 28, 1 -> {-1, 28, 28, 1}, the symbolic dimension as -1.
std::vector<int64_t> dims(const onnx::ValueInfoProto& v) {
  std::vector<int64_t> d;
  for (const auto& dim : v.type().tensor_type().shape().dim()) d.push_back(dim.has_dim_param() ? -1 : dim.dim_value());
  return d;
}

const onnx::TensorProto& initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return t;
  FAIL("no initializer " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the seed model exports as Transpose, Conv, Elu, MaxPool ... MatMul, Add", "[onnx]") {
  Sequential model = seed_model();
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  CHECK(m.producer_name() == "elucid");
  CHECK(m.producer_version() == version);
  REQUIRE(m.opset_import_size() == 1);
  CHECK(m.opset_import(0).domain().empty());
  CHECK(m.opset_import(0).version() == kOnnxOpset);
  CHECK(op_types(m) == std::vector<std::string>{"Transpose", "Conv",    "Elu",     "MaxPool", "Conv", "Elu",
                                                "MaxPool",   "Conv",    "Elu",     "Transpose", "Flatten", "MatMul",
                                                "Add",       "Elu",     "MatMul",  "Add"});
  // NHWC in, as Keras; back to channels last before Flatten, so the flat vector is in H, W, C order.
  REQUIRE(m.graph().input_size() == 1);
  CHECK(m.graph().input(0).name() == "conv2d_input");
  CHECK(dims(m.graph().input(0)) == std::vector<int64_t>{-1, 28, 28, 1});
  CHECK(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param() == "batch");
  CHECK(ints(attribute(m.graph().node(0), "perm")) == std::vector<int64_t>{0, 3, 1, 2});
  CHECK(ints(attribute(node_named(m, "flatten/Transpose"), "perm")) == std::vector<int64_t>{0, 2, 3, 1});
  REQUIRE(m.graph().output_size() == 1);
  CHECK(m.graph().output(0).name() == "dense_1");
  CHECK(dims(m.graph().output(0)) == std::vector<int64_t>{-1, 10});
  CHECK(node_named(m, "conv2d").op_type() == "Elu");
  CHECK(attribute(node_named(m, "conv2d"), "alpha").f() == 1.0f);
  CHECK(ints(attribute(node_named(m, "conv2d/Conv"), "pads")) == std::vector<int64_t>{0, 0, 0, 0});

  // The weights by elucid's names, the Conv2D kernel as ONNX's (F, C, KH, KW).
  CHECK(m.graph().initializer_size() == 10);
  int64_t params = 0;
  for (const auto& t : m.graph().initializer()) params += t.float_data_size();
  CHECK(params == 93322);
  const onnx::TensorProto& k = initializer(m, "conv2d_1/kernel");
  CHECK(std::vector<int64_t>(k.dims().begin(), k.dims().end()) == std::vector<int64_t>{64, 32, 3, 3});
  const Tensor kernel = model.get_layer("conv2d_1")->weights()[0].tensor;  // (3, 3, 32, 64)
  // ONNX's W[f, c, i, j] is Keras' kernel[i, j, c, f].
  CHECK(k.float_data(((5 * 32 + 7) * 3 + 2) * 3 + 1) == kernel.data()[((2 * 3 + 1) * 32 + 7) * 64 + 5]);
  const onnx::TensorProto& d = initializer(m, "dense/kernel");
  CHECK(std::vector<int64_t>(d.dims().begin(), d.dims().end()) == std::vector<int64_t>{576, 64});
}

TEST_CASE("the model with every layer class passes ONNX's checker and strict shape inference", "[onnx]") {
  Sequential model = every_layer_model();
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  CHECK(m.graph().input(0).name() == "input_1");  // Keras' name when the first layer declares no shape
  CHECK(dims(m.graph().input(0)) == std::vector<int64_t>{-1, 28, 28, 1});
  CHECK(m.graph().output(0).name() == "softmax");
  CHECK(dims(m.graph().output(0)) == std::vector<int64_t>{-1, 10});
  // Dropout leaves no node; the layer after it reads the ReLU's output (channels last after LayerNormalization).
  for (const auto& n : m.graph().node()) CHECK(n.op_type() != "Dropout");
  CHECK(node_named(m, "conv_elu/Transpose").input(0) == "relu");
  // BatchNormalization: epsilon 0.01 written, the moving statistics as its inputs.
  const onnx::NodeProto& bn = node_named(m, "batch_norm");
  CHECK(bn.op_type() == "BatchNormalization");
  CHECK(attribute(bn, "epsilon").f() == 0.01f);
  CHECK(bn.input(3) == "batch_norm/moving_mean");
  CHECK(bn.input(4) == "batch_norm/moving_variance");
  // conv_stride: 3x3, stride 2, 'same' on 21 x 28: two rows of padding (one above, one below) and one column, the
  // odd one at the right.
  CHECK(ints(attribute(node_named(m, "conv_stride/Conv"), "pads")) == std::vector<int64_t>{1, 0, 1, 1});
  // The depthwise convolutions: a Conv of one group per input channel; the transposed ones ConvTranspose; the
  // separable ones a grouped Conv, then a 1x1 Conv; LayerNormalization from ReduceMean, Sub, ..., Add.
  CHECK(attribute(node_named(m, "depthwise/Conv"), "group").i() == 8);  // conv_same has 8 filters
  CHECK(node_named(m, "conv_transpose/Conv").op_type() == "ConvTranspose");
  CHECK(node_named(m, "separable/depthwise").op_type() == "Conv");
  CHECK(node_named(m, "layer_norm/mean").op_type() == "ReduceMean");
  CHECK(ints(attribute(node_named(m, "conv_dilated/Conv"), "dilations")) == std::vector<int64_t>{2, 2});
  CHECK(ints(attribute(node_named(m, "max_pool"), "pads")) == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(node_named(m, "conv_stride").op_type() == "Selu");
  CHECK(node_named(m, "upsample").op_type() == "Resize");
  CHECK(node_named(m, "zero_pad").op_type() == "Pad");
  CHECK(node_named(m, "crop").op_type() == "Slice");
  CHECK(node_named(m, "reshape").op_type() == "Reshape");
  CHECK(node_named(m, "dense_gelu").op_type() == "Mul");
  CHECK(node_named(m, "dense_gelu/Erf").op_type() == "Erf");
  CHECK(attribute(node_named(m, "softmax"), "axis").i() == -1);
  // Every weight is an initializer of its name and size.
  for (const NamedTensor& w : model.weights()) {
    INFO(w.name);
    CHECK(initializer(m, w.name).float_data_size() == w.tensor.size());
  }
}

TEST_CASE("ONNX keeps ELU's alpha, the odd 'same' pad at the end, and softmax on the channel axis", "[onnx]") {
  Sequential model;
  model.add(Conv2D(2, {3, 3}, {.strides = 2, .padding = "same", .activation = activations::elu(0.5),
                               .input_shape = Shape{8, 7, 1}}));
  model.add(ELU({.alpha = 0.25}));
  model.add(AveragePooling2D({2, 2}, {.strides = {1, 1}, .padding = "same"}));
  model.add(Softmax());
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  CHECK(attribute(node_named(m, "conv2d"), "alpha").f() == 0.5f);
  CHECK(attribute(node_named(m, "elu"), "alpha").f() == 0.25f);
  // 8 rows, stride 2: 4 out, (4 - 1) * 2 + 3 - 8 = 1 padded row, at the bottom; 7 columns: 4 out, 2, one each side.
  CHECK(ints(attribute(node_named(m, "conv2d/Conv"), "pads")) == std::vector<int64_t>{0, 1, 1, 1});
  // A 2x2 window, stride 1, 'same' on 4 x 4: one row and column at the bottom and right; averages over cells only.
  const onnx::NodeProto& pool = node_named(m, "average_pooling2d");
  CHECK(ints(attribute(pool, "pads")) == std::vector<int64_t>{0, 0, 1, 1});
  CHECK(attribute(pool, "count_include_pad").i() == 0);
  // Softmax on the images, still channels first: axis 1; then the Transpose back, which takes the output's name.
  CHECK(attribute(node_named(m, "softmax/channels_first"), "axis").i() == 1);
  const onnx::NodeProto& last = m.graph().node(m.graph().node_size() - 1);
  CHECK(last.op_type() == "Transpose");
  CHECK(last.output(0) == "softmax");
  CHECK(m.graph().output(0).name() == "softmax");
  CHECK(dims(m.graph().output(0)) == std::vector<int64_t>{-1, 4, 4, 2});
}

TEST_CASE("ONNX: a grouped Conv2D is Conv with group, bilinear UpSampling2D is Resize linear with half-pixel centers",
          "[onnx]") {
  Sequential model;
  model.add(Conv2D(6, {3, 2}, {.padding = "same", .groups = 3, .input_shape = Shape{5, 4, 3}}));
  model.add(UpSampling2D({2, 3}, {.interpolation = "bilinear"}));
  model.add(UpSampling2D(2));
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  CHECK(op_types(m) == std::vector<std::string>{"Transpose", "Conv", "Resize", "Resize", "Transpose"});
  CHECK(attribute(node_named(m, "conv2d"), "group").i() == 3);
  // The kernel (3, 2, 1, 6) as (6, 1, 3, 2): ONNX's W[f, c, i, j] is Keras' kernel[i, j, c, f] here as without groups.
  const onnx::TensorProto& k = initializer(m, "conv2d/kernel");
  CHECK(std::vector<int64_t>(k.dims().begin(), k.dims().end()) == std::vector<int64_t>{6, 1, 3, 2});
  const Tensor kernel = model.layers()[0]->weights()[0].tensor;
  CHECK(k.float_data((5 * 3 + 2) * 2 + 1) == kernel.data()[(2 * 2 + 1) * 6 + 5]);
  // The two Resize nodes in order; the last layer's is followed by the Transpose back, which takes its name.
  std::vector<const onnx::NodeProto*> resizes;
  for (const auto& node : m.graph().node())
    if (node.op_type() == "Resize") resizes.push_back(&node);
  REQUIRE(resizes.size() == 2);
  const onnx::NodeProto& bilinear = *resizes[0];
  CHECK(attribute(bilinear, "mode").s() == "linear");
  CHECK(attribute(bilinear, "coordinate_transformation_mode").s() == "half_pixel");
  const onnx::TensorProto& scales = initializer(m, "up_sampling2d/scales");
  CHECK(std::vector<float>(scales.float_data().begin(), scales.float_data().end()) == std::vector<float>{1, 1, 2, 3});
  const onnx::NodeProto& nearest = *resizes[1];
  CHECK(attribute(nearest, "mode").s() == "nearest");
  CHECK(attribute(nearest, "coordinate_transformation_mode").s() == "asymmetric");
  CHECK(dims(m.graph().output(0)) == std::vector<int64_t>{-1, 20, 24, 6});

  // tests/onnx/no_tfjs.json, which scripts/check-onnx.sh runs in ONNX Runtime: the checker and strict shapes pass.
  Sequential no_tfjs = recipe_model("tests/onnx/no_tfjs.json");
  onnx::ModelProto n = parse(onnx_model_bytes(no_tfjs));
  check_graph(n);
  CHECK(attribute(node_named(n, "grouped_dilated/Conv"), "group").i() == 4);
  CHECK(attribute(node_named(n, "grouped_elu/Conv"), "group").i() == 2);
  CHECK(attribute(node_named(n, "grouped_no_bias"), "group").i() == 3);
  CHECK(attribute(node_named(n, "bilinear_rows"), "mode").s() == "linear");
  CHECK(dims(n.graph().output(0)) == std::vector<int64_t>{-1, 10});
}

TEST_CASE("ONNX export names the output after a final Dropout and writes Identity when no node does", "[onnx]") {
  Sequential model;
  model.add(Dense(3, {.input_shape = Shape{4}}));
  model.add(Dropout(0.5));
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  CHECK(op_types(m) == std::vector<std::string>{"MatMul", "Add"});
  CHECK(m.graph().output(0).name() == "dropout");
  CHECK(m.graph().input(0).name() == "dense_input");

  Sequential only_dropout;
  only_dropout.add(Dropout(0.5, {.input_shape = Shape{4}}));
  onnx::ModelProto d = parse(onnx_model_bytes(only_dropout));
  check_graph(d);
  CHECK(op_types(d) == std::vector<std::string>{"Identity"});
}

TEST_CASE("ONNX export: augmentation layers leave no node, RandomCrop crops the center and resizes", "[onnx]") {
  // (12, 8, 3) -> RandomFlip, RandomContrast (nothing) -> RandomCrop(4, 4): the centered 8 x 8 window (rows 2 to 10),
  // resized to 4 x 4 -> Flatten -> Dense.
  Sequential model;
  model.add(RandomFlip("horizontal", {.input_shape = Shape{12, 8, 3}}));
  model.add(RandomContrast(0.2));
  model.add(RandomCrop(4, 4));
  model.add(Flatten());
  model.add(Dense(2));
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  CHECK(op_types(m) == std::vector<std::string>{"Transpose", "Slice", "Shape", "Slice", "Concat", "Resize", "Transpose",
                                                "Flatten", "MatMul", "Add"});
  CHECK(node_named(m, "random_crop").op_type() == "Resize");
  // A window already of the target's size is a Slice alone.
  Sequential exact;
  exact.add(RandomCrop(6, 8, {.input_shape = Shape{10, 8, 1}}));
  onnx::ModelProto e = parse(onnx_model_bytes(exact));
  check_graph(e);
  CHECK(op_types(e) == std::vector<std::string>{"Transpose", "Slice", "Transpose"});
}

TEST_CASE("ONNX export gives the same bytes for the same model, and after a save and a load", "[onnx]") {
  Sequential model = every_layer_model();
  const std::string bytes = onnx_model_bytes(model);
  CHECK(onnx_model_bytes(model) == bytes);
  const auto dir = test::scratch("onnx_same_bytes");
  save_model(model, (dir / "m.elucid").string());
  CHECK(onnx_model_bytes(load_model((dir / "m.elucid").string())) == bytes);
  export_onnx(model, (dir / "sub" / "m.onnx").string());
  CHECK(read_file((dir / "sub" / "m.onnx").string()) == bytes);
  std::filesystem::remove_all(dir);
}

namespace {
// A layer of the user's own, which the ONNX exporter does not know.
class Doubling : public Layer {
 public:
  std::string class_name() const override { return "Doubling"; }
  std::string default_name_stem() const override { return "doubling"; }
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }
  Tensor forward(const Tensor& x, bool) override { return ops::mul(x, x); }
};
}  // namespace

TEST_CASE("a layer ONNX export does not know, or a model not built, is one error naming it", "[onnx]") {
  Sequential model;
  model.add(Dense(3, {.input_shape = Shape{4}}));
  model.add(Doubling());
  CHECK_THROWS_WITH(onnx_model_bytes(model),
                    Contains("Doubling \"doubling\"") && Contains("cannot be exported to ONNX"));
  const auto dir = test::scratch("onnx_errors");
  CHECK_THROWS_AS(export_onnx(model, (dir / "m.onnx").string()), Error);
  CHECK_FALSE(std::filesystem::exists(dir / "m.onnx"));

  Sequential unbuilt;
  unbuilt.add(Dense(3));
  CHECK_THROWS_WITH(onnx_model_bytes(unbuilt), Contains("not built"));

  // A path that cannot be written: the error names it.
  write_file_atomically((dir / "file").string(), "x");
  CHECK_THROWS_WITH(export_onnx(seed_model(), (dir / "file" / "m.onnx").string()), Contains("file"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("ONNX: a Functional model's graph has its inputs and outputs by layer name, a node per merge layer",
          "[onnx][functional]") {
  const std::string path = std::string(ELUCID_SOURCE_DIR) + "/tests/onnx/merge_layouts.json";
  set_random_seed(3);
  const Functional model = functional_from_json(read_file(path), path);
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  REQUIRE(m.graph().input_size() == 1);
  CHECK(m.graph().input(0).name() == "image");
  CHECK(dims(m.graph().input(0)) == std::vector<int64_t>{-1, 28, 28, 1});
  REQUIRE(m.graph().output_size() == 1);
  CHECK(m.graph().output(0).name() == "logits");
  CHECK(dims(m.graph().output(0)) == std::vector<int64_t>{-1, 10});
  // The elementwise merges in the first input's layout: Reshape's Keras-order output goes channels first for Add.
  CHECK(node_named(m, "subtract").op_type() == "Sub");
  CHECK(node_named(m, "add_mixed_layouts").op_type() == "Sum");
  CHECK(node_named(m, "add_mixed_layouts").input(1) == "add_mixed_layouts/input1/Transpose");
  CHECK(ints(attribute(node_named(m, "add_mixed_layouts/input1/Transpose"), "perm")) == std::vector<int64_t>{0, 3, 1, 2});
  // Multiply of three: a chain of two Mul.
  CHECK(node_named(m, "multiply_three/Mul1").op_type() == "Mul");
  CHECK(node_named(m, "multiply_three").input(0) == "multiply_three/Mul1");
  // Concatenate along the channels joins channels first at axis 1; along the rows, in Keras' order at axis 1 of
  // (batch, H, W, C), its inputs turned back first.
  CHECK(attribute(node_named(m, "concat_channels"), "axis").i() == 1);
  CHECK(node_named(m, "concat_rows").input(0) == "concat_rows/input0/Transpose");
  CHECK(attribute(node_named(m, "concat_rows"), "axis").i() == 1);
  CHECK(node_named(m, "average").op_type() == "Mean");
  CHECK(node_named(m, "maximum").op_type() == "Max");
  CHECK(node_named(m, "logits").op_type() == "Add");
  // Every layer's weights once, by elucid's names.
  CHECK(initializer(m, "conv_elu/kernel").dims_size() == 4);
  CHECK(m.graph().initializer_size() >= 6);
  // The same model gives the same bytes.
  CHECK(onnx_model_bytes(model) == onnx_model_bytes(model));
}

TEST_CASE("ONNX: a Functional model with several outputs, one of them channels first, names each after its layer",
          "[onnx][functional]") {
  set_random_seed(4);
  KerasTensor image = Input({6, 6, 2}, "image");
  KerasTensor features = Conv2D(3, {3, 3}, {.padding = "same", .name = "features"})(image);
  KerasTensor logits = Dense(4, {.name = "logits"})(Flatten()(features));
  const Functional model({image}, {features, logits}, "two_heads");
  onnx::ModelProto m = parse(onnx_model_bytes(model));
  check_graph(m);
  REQUIRE(m.graph().output_size() == 2);
  CHECK(m.graph().output(0).name() == "features");
  CHECK(dims(m.graph().output(0)) == std::vector<int64_t>{-1, 6, 6, 3});
  CHECK(m.graph().output(1).name() == "logits");
  // The Conv's own value, which Flatten reads too, is renamed; a Transpose back to Keras' order gives the output.
  CHECK(node_named(m, "features").op_type() == "Transpose");
  CHECK(node_named(m, "features/channels_first").op_type() == "Conv");

  // A shared layer (called twice) is refused, naming it.
  KerasTensor a = Input({4}, "a"), b = Input({4}, "b");
  auto shared = std::make_shared<Dense>(3, DenseOptions{.name = "shared"});
  KerasTensor joined = Add()({(*shared)(a), (*shared)(b)});
  const Functional siamese({a, b}, {joined}, "siamese");
  CHECK_THROWS_WITH(onnx_model_bytes(siamese), Contains("\"shared\"") && Contains("called more than once"));
}
