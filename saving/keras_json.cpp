// Keras model JSON: one table of layer codecs, a row per layer class with its reader (Keras' config keys into the
// layer's options struct, refusing set options elucid lacks) and its writer (the options back into tf.keras 2.x's
// keys, in its order), the two side by side. Reading finds a row by the JSON's class name, writing by
// layer.class_name(), and the "supported:" list is the table's, so a new layer class is one row and two functions.
#include <elucid/saving/keras_json.hpp>

#include <elucid/core/error.hpp>
#include <elucid/layers/layers.hpp>
#include <elucid/model/functional.hpp>
#include <elucid/saving/keras_objects.hpp>
#include <elucid/core/format.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

namespace elucid {

using json::Json;
using json::Value;
using namespace layers;

namespace {
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxSide = 1 << 20;  // any kernel, stride or pool side beyond this is a mistake
const char* const kKerasVersion = "2.4.0";  // the tf.keras layout to_json() writes (as the seed model's JSON)

// What one layer's reader knows: its config, where it is, and the shape coming into it (when known).
struct LayerInput {
  Value item;  // {"class_name": ..., "config": ...}
  Value config;
  std::string class_name;
  std::optional<Shape> input;  // the sample shape the layer below gives
  int64_t max_bytes = kMaxModelBytes;  // the model's weights may take at most this many bytes
  double* total_weights = nullptr;     // the weights of the layers read so far, which check_size adds to
  std::string label() const {
    const std::string name = config.has("name") && config.at("name").is_string() ? config.at("name").as_string() : "";
    return name.empty() ? class_name : class_name + " \"" + name + "\"";
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    config.fail(label() + ": " + key + ": " + problem);
  }
};

// A key Keras writes as null when the feature is off.
void require_null(const LayerInput& in, const std::string& key, const std::string& feature) {
  if (in.config.has(key)) in.fail(key, feature + " is not supported (set to " + in.config.at(key).json().dump() + ")");
}

void require_value(const LayerInput& in, const std::string& key, const Json& expected, const std::string& feature) {
  if (!in.config.has(key)) return;
  const Json& got = in.config.at(key).json();
  const bool same = got.is_number() && expected.is_number() ? got.get<double>() == expected.get<double>() : got == expected;
  if (!same) in.fail(key, feature + " is not supported (set to " + got.dump() + ")");
}

void check_data_format(const LayerInput& in) {
  if (in.config.has("data_format") && in.config.at("data_format").as_string() != "channels_last")
    in.fail("data_format", "\"" + in.config.at("data_format").as_string() +
                               "\" is not supported; elucid works channels_last (N, H, W, C)");
}

// The keys every Keras layer has: name, trainable, dtype. A frozen layer is refused; the dtype policy is returned
// (none when the config has no "dtype": the layer keeps the global policy, as in Keras). An InputLayer's dtype is its
// tensors' and must be float32.
std::optional<mixed_precision::DTypePolicy> check_common(const LayerInput& in) {
  if (in.config.has("trainable") && !in.config.at("trainable").as_bool())
    in.fail("trainable", "a frozen layer (trainable: false) is not supported");
  if (!in.config.has("dtype")) return std::nullopt;
  const Value dtype = in.config.at("dtype");
  // tf.keras 2.x writes "float32" or a Policy object {"class_name": "Policy", "config": {"name": ...}}; Keras 3 a
  // DTypePolicy object of the same form.
  const std::string name = dtype.is_string() ? dtype.as_string() : dtype.at("config").at("name").as_string();
  if (in.class_name == "InputLayer" && name != "float32")
    in.fail("dtype", "\"" + name + "\" is not supported for an input; elucid's inputs are float32");
  try {
    return mixed_precision::DTypePolicy(name);
  } catch (const Error& e) {
    in.fail("dtype", e.what());
  }
}

std::string name_of(const LayerInput& in) { return in.config.get_string("name", ""); }

Size2D size2d(const LayerInput& in, const std::string& key, Size2D fallback) {
  if (!in.config.has(key)) return fallback;
  const Value v = in.config.at(key);
  if (!v.is_array()) {
    const int side = static_cast<int>(v.as_int(1, kMaxSide));
    return {side, side};
  }
  const auto items = v.as_array();
  if (items.size() != 2) v.fail("expected 2 numbers (height, width), got " + std::to_string(items.size()));
  return {static_cast<int>(items[0].as_int(1, kMaxSide)), static_cast<int>(items[1].as_int(1, kMaxSide))};
}

// ZeroPadding2D's padding and Cropping2D's cropping: 1, [1, 2] or [[1, 2], [3, 4]] ((top, bottom), (left, right)).
Edges2D edges2d(const LayerInput& in, const std::string& key, Edges2D fallback) {
  if (!in.config.has(key)) return fallback;
  const Value v = in.config.at(key);
  auto side = [](const Value& n) { return static_cast<int>(n.as_int(0, kMaxSide)); };
  if (!v.is_array()) return side(v);
  const auto items = v.as_array();
  if (items.size() != 2) v.fail("expected 2 items (height, width), got " + std::to_string(items.size()));
  if (!items[0].is_array() && !items[1].is_array()) return {side(items[0]), side(items[1])};
  std::pair<int, int> pairs[2];
  for (size_t i = 0; i < 2; ++i) {
    const auto pair = items[i].as_array();
    if (pair.size() != 2) items[i].fail("expected 2 numbers (before, after), got " + std::to_string(pair.size()));
    pairs[i] = {side(pair[0]), side(pair[1])};
  }
  return {pairs[0], pairs[1]};
}

std::string padding(const LayerInput& in) {
  const std::string p = in.config.get_string("padding", "valid");
  std::string lower;
  for (char c : p) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != "valid" && lower != "same") in.fail("padding", "\"" + p + "\" is not supported; use \"valid\" or \"same\"");
  return lower;
}

// A batch shape [null, 28, 28, 1] -> the sample shape (28, 28, 1).
Shape sample_shape(const Value& v) {
  const auto items = v.as_array();
  if (items.empty()) v.fail("expected a batch shape such as [null, 28, 28, 1], got an empty array");
  if (!items[0].is_null()) items[0].as_int(1, kMaxInt);  // a fixed batch size is allowed, and ignored
  Shape shape;
  for (size_t i = 1; i < items.size(); ++i) {
    if (items[i].is_null()) items[i].fail("a dimension of unknown size (null) is not supported");
    shape.push_back(items[i].as_int(1, int64_t{1} << 32));
  }
  return shape;
}

std::optional<Shape> declared_shape(const Value& config) {
  for (const char* key : {"batch_input_shape", "batch_shape"})
    if (config.has(key)) return sample_shape(config.at(key));
  return std::nullopt;
}

// The weights a layer would make, refused past kMaxModelBytes before anything is allocated.
void check_size(const LayerInput& in, double weights, const std::string& what) {
  *in.total_weights += weights;
  if (*in.total_weights * 4 > static_cast<double>(in.max_bytes))
    in.config.fail(in.label() + ": " + what + " would need " + thousands(static_cast<int64_t>(std::min(weights * 4, 9e18))) +
                   " bytes of weights, beyond " + (in.max_bytes == kMaxModelBytes ? "elucid's limit of " : "the limit of ") +
                   thousands(in.max_bytes) + " bytes per model");
}

double last_dim(const LayerInput& in) { return in.input && !in.input->empty() ? static_cast<double>(in.input->back()) : 0; }

// ---- pieces that several readers or writers share ----

Json shape_json(const Shape& shape) {
  Json j = Json::array({nullptr});
  for (int64_t d : shape) j.push_back(d);
  return j;
}

Json pair_json(Size2D s) { return Json::array({s.height, s.width}); }
Json edges_json(const Edges2D& e) { return Json::array({Json::array({e.top, e.bottom}), Json::array({e.left, e.right})}); }
// Keras writes padding in lower case; elucid accepts either case when reading.
std::string padding_json(const std::string& padding) {
  return padding == "SAME" ? "same" : padding == "VALID" ? "valid" : padding;
}

// The regularizer and constraint keys tf.keras writes as null for a layer that has none.
void write_nulls(Json& c, std::initializer_list<const char*> keys) {
  for (const char* key : keys) c[key] = nullptr;
}

void read_initializer(const LayerInput& in, const char* key, initializers::Initializer& target) {
  if (in.config.has(key)) target = keras::initializer_from_json(in.config.at(key), in.label());
}

// A one-axis option (Softmax, BatchNormalization) must name the last axis: -1, or the rank of a sample (the batch
// axis counts in Keras' numbering). tf.keras writes an int, or a list of one once the layer is built.
void check_last_axis(const LayerInput& in, const std::string& several_axes, const std::string& last_axis) {
  if (!in.config.has("axis")) return;
  const Value a = in.config.at("axis");
  const auto one = a.is_array() ? a.as_array() : std::vector<Value>{a};
  if (one.size() != 1) in.fail("axis", several_axes + " is not supported");
  const int64_t axis = one[0].as_int(-64, 64), rank = in.input ? static_cast<int64_t>(in.input->size()) : -1;
  if (axis != -1 && axis != rank) in.fail("axis", "only the " + last_axis + " is supported, got " + std::to_string(axis));
}

// Conv2D and Dense share their kernel options: no regularizer, constraint or LoRA; then activation, use_bias and the
// two initializers, read and written the same way for both options structs.
void refuse_kernel_extras(const LayerInput& in) {
  for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer"}) require_null(in, key, "a regularizer");
  for (const char* key : {"kernel_constraint", "bias_constraint"}) require_null(in, key, "a constraint");
  require_null(in, "lora_rank", "LoRA");
}

template <class Options>  // Conv2DOptions, DenseOptions
void read_kernel_options(const LayerInput& in, Options& o) {
  if (in.config.has("activation")) o.activation = keras::activation_from_json(in.config.at("activation"), in.label());
  o.use_bias = in.config.get_bool("use_bias", true);
  read_initializer(in, "kernel_initializer", o.kernel_initializer);
  read_initializer(in, "bias_initializer", o.bias_initializer);
  o.name = name_of(in);
}

template <class Options>
void write_kernel_options(const Layer& layer, const Options& o, Json& c) {
  c["activation"] = keras::activation_to_json(o.activation, layer.label());
  c["use_bias"] = o.use_bias;
  c["kernel_initializer"] = keras::initializer_to_json(o.kernel_initializer);
  c["bias_initializer"] = keras::initializer_to_json(o.bias_initializer);
  write_nulls(c, {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"});
}

// The convolutions' window keys, from kernel_size to groups, as tf.keras 2.x's Conv writes them (groups 1 for all but
// a grouped Conv2D).
template <class Options>  // Conv2DOptions, DepthwiseConv2DOptions, ...
void write_window(Json& c, Size2D kernel_size, const Options& o, int groups = 1) {
  c["kernel_size"] = pair_json(kernel_size);
  c["strides"] = pair_json(o.strides);
  c["padding"] = padding_json(o.padding);
  c["data_format"] = "channels_last";
  c["dilation_rate"] = pair_json(o.dilation_rate);
  c["groups"] = groups;
}

// ---- one reader and one writer per class, in the table's order ----
// A writer adds its class's keys after the common ones (name, trainable, batch_input_shape, dtype). It is found by
// layer.class_name() and reads the layer as the row's class through as<T>.

// The layer as the class its row writes. A layer of the user's own that borrows a built-in class name is refused
// with a message, not read as a class it is not.
template <class T>
const T& as(const Layer& layer) {
  if (const auto* concrete = dynamic_cast<const T*>(&layer)) return *concrete;
  throw Error(layer.label() + ": class " + layer.class_name() + " is not elucid's own " + layer.class_name() +
              " layer, so it cannot be written as Keras JSON");
}

Size2D required_kernel_size(const LayerInput& in) {
  if (!in.config.has("kernel_size")) in.fail("kernel_size", "missing");
  return size2d(in, "kernel_size", {0, 0});
}

// Conv2D and Conv2DTranspose share their keys; Conv2DTranspose adds output_padding, which must be null, and its
// groups must be 1 (Conv2D's divides the input channels and filters: the layer checks).
template <class Convolution>  // Conv2D, Conv2DTranspose
std::shared_ptr<Layer> read_conv2d(const LayerInput& in) {
  const Value& c = in.config;
  const int64_t filters = c.at("filters").as_int(1, kMaxInt);
  const Size2D kernel = required_kernel_size(in);
  check_data_format(in);
  int64_t groups = 1;
  if constexpr (std::is_same_v<Convolution, Conv2DTranspose>) {
    require_value(in, "groups", 1, "groups > 1 (grouped convolution)");
    require_null(in, "output_padding", "output_padding");
  } else {
    groups = c.get_int("groups", 1, 1, std::numeric_limits<int>::max());
  }
  refuse_kernel_extras(in);
  // A grouped kernel is (KH, KW, C / groups, F).
  const double weights =
      static_cast<double>(filters) * (kernel.height * double(kernel.width) * last_dim(in) / double(groups) + 1);
  check_size(in, weights, "a " + std::to_string(kernel.height) + "x" + std::to_string(kernel.width) + " kernel with " +
                             std::to_string(filters) + " filters");
  Conv2DOptions o;
  o.strides = size2d(in, "strides", o.strides);
  o.padding = padding(in);
  o.dilation_rate = size2d(in, "dilation_rate", o.dilation_rate);
  o.groups = static_cast<int>(groups);
  read_kernel_options(in, o);
  return std::make_shared<Convolution>(static_cast<int>(filters), kernel, o);
}

template <class Convolution>
void write_conv2d(const Layer& layer, Json& c) {
  const auto& l = as<Convolution>(layer);
  const auto& o = l.options();
  c["filters"] = l.filters();
  write_window(c, l.kernel_size(), o, o.groups);
  write_kernel_options(layer, o, c);
  if constexpr (std::is_same_v<Convolution, Conv2DTranspose>) c["output_padding"] = nullptr;
}

// DepthwiseConv2D and SeparableConv2D share their depthwise options: the window, depth_multiplier, activation, use_bias
// and the depthwise and bias initializers; no regularizer or constraint.
template <class Options>  // DepthwiseConv2DOptions, SeparableConv2DOptions
void read_depthwise_options(const LayerInput& in, Options& o) {
  const Value& c = in.config;
  check_data_format(in);
  require_value(in, "groups", 1, "groups > 1");
  for (const char* key : {"depthwise_regularizer", "bias_regularizer", "activity_regularizer"}) require_null(in, key, "a regularizer");
  for (const char* key : {"depthwise_constraint", "bias_constraint"}) require_null(in, key, "a constraint");
  o.strides = size2d(in, "strides", o.strides);
  o.padding = padding(in);
  o.dilation_rate = size2d(in, "dilation_rate", o.dilation_rate);
  o.depth_multiplier = static_cast<int>(c.get_int("depth_multiplier", 1, 1, kMaxSide));
  if (c.has("activation")) o.activation = keras::activation_from_json(c.at("activation"), in.label());
  o.use_bias = c.get_bool("use_bias", true);
  read_initializer(in, "depthwise_initializer", o.depthwise_initializer);
  read_initializer(in, "bias_initializer", o.bias_initializer);
  o.name = name_of(in);
}

std::shared_ptr<Layer> read_depthwise_conv2d(const LayerInput& in) {
  const Size2D kernel = required_kernel_size(in);
  DepthwiseConv2DOptions o;
  read_depthwise_options(in, o);
  const double channels = last_dim(in) * o.depth_multiplier;
  check_size(in, kernel.height * double(kernel.width) * channels + channels,
             "a " + std::to_string(kernel.height) + "x" + std::to_string(kernel.width) + " depthwise kernel");
  return std::make_shared<DepthwiseConv2D>(kernel, o);
}

// The keys DepthwiseConv2D and SeparableConv2D share, from kernel_size to depthwise_initializer in tf.keras 2.x's order:
// Conv's keys without the kernel_* ones, then depth_multiplier and depthwise_initializer.
template <class Options>
void write_depthwise_options(const Layer& layer, Size2D kernel_size, const Options& o, Json& c) {
  write_window(c, kernel_size, o);
  c["activation"] = keras::activation_to_json(o.activation, layer.label());
  c["use_bias"] = o.use_bias;
  c["bias_initializer"] = keras::initializer_to_json(o.bias_initializer);
  write_nulls(c, {"bias_regularizer", "activity_regularizer", "bias_constraint"});
  c["depth_multiplier"] = o.depth_multiplier;
  c["depthwise_initializer"] = keras::initializer_to_json(o.depthwise_initializer);
}

// Then the depthwise regularizer and constraint, both null.
void write_depthwise_conv2d(const Layer& layer, Json& c) {
  const auto& l = as<DepthwiseConv2D>(layer);
  const auto& o = l.options();
  write_depthwise_options(layer, l.kernel_size(), o, c);
  write_nulls(c, {"depthwise_regularizer", "depthwise_constraint"});
}

std::shared_ptr<Layer> read_separable_conv2d(const LayerInput& in) {
  const int64_t filters = in.config.at("filters").as_int(1, kMaxInt);
  const Size2D kernel = required_kernel_size(in);
  SeparableConv2DOptions o;
  read_depthwise_options(in, o);
  // tf.keras 2.x's config carries its base class's kernel_* keys, unused by the layer: an initializer is ignored.
  require_null(in, "kernel_regularizer", "a regularizer");
  require_null(in, "kernel_constraint", "a constraint");
  require_null(in, "pointwise_regularizer", "a regularizer");
  require_null(in, "pointwise_constraint", "a constraint");
  read_initializer(in, "pointwise_initializer", o.pointwise_initializer);
  const double depth = last_dim(in) * o.depth_multiplier;
  check_size(in, kernel.height * double(kernel.width) * depth + depth * static_cast<double>(filters) + static_cast<double>(filters),
             "a " + std::to_string(kernel.height) + "x" + std::to_string(kernel.width) + " separable kernel with " +
                 std::to_string(filters) + " filters");
  return std::make_shared<SeparableConv2D>(static_cast<int>(filters), kernel, o);
}

// tf.keras 2.x's order: Conv's keys, then the depthwise and pointwise ones. The kernel_initializer,
// kernel_regularizer and kernel_constraint keys that tf.keras 2.x also writes (its base class's, unused) are left
// out: TensorFlow.js refuses a SeparableConv2D that has them, and Keras 3 does not take them.
void write_separable_conv2d(const Layer& layer, Json& c) {
  const auto& l = as<SeparableConv2D>(layer);
  const auto& o = l.options();
  c["filters"] = l.filters();
  write_depthwise_options(layer, l.kernel_size(), o, c);
  c["pointwise_initializer"] = keras::initializer_to_json(o.pointwise_initializer);
  write_nulls(c, {"depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint", "pointwise_constraint"});
}

template <class Pooling>  // MaxPooling2D, AveragePooling2D
std::shared_ptr<Layer> read_pooling2d(const LayerInput& in) {
  check_data_format(in);
  const Size2D pool = size2d(in, "pool_size", {2, 2});
  Pooling2DOptions o;
  o.strides = size2d(in, "strides", {0, 0});  // null: the pool size
  o.padding = padding(in);
  o.name = name_of(in);
  return std::make_shared<Pooling>(pool, o);
}

void write_pooling2d(const Layer& layer, Json& c) {
  const auto& l = as<Pooling2D>(layer);
  c["pool_size"] = pair_json(l.pool_size());
  c["padding"] = padding_json(l.options().padding);
  c["strides"] = pair_json(l.strides());
  c["data_format"] = "channels_last";
}

template <class GlobalPooling>  // GlobalAveragePooling2D, GlobalMaxPooling2D
std::shared_ptr<Layer> read_global_pooling2d(const LayerInput& in) {
  check_data_format(in);
  return std::make_shared<GlobalPooling>(
      GlobalPooling2DOptions{.keepdims = in.config.get_bool("keepdims", false), .name = name_of(in)});
}

void write_global_pooling2d(const Layer& layer, Json& c) {
  c["data_format"] = "channels_last";
  c["keepdims"] = as<GlobalPooling2D>(layer).options().keepdims;
}

std::shared_ptr<Layer> read_flatten(const LayerInput& in) {
  check_data_format(in);
  return std::make_shared<Flatten>(FlattenOptions{.name = name_of(in)});
}

void write_flatten(const Layer& /*layer*/, Json& c) { c["data_format"] = "channels_last"; }

// Add, Subtract, Multiply, Average, Maximum: name, trainable, dtype and nothing else.
template <class M>
std::shared_ptr<Layer> read_merge(const LayerInput& in) {
  return std::make_shared<M>(MergeOptions{.name = name_of(in)});
}

void write_merge(const Layer& /*layer*/, Json& /*config*/) {}

std::shared_ptr<Layer> read_concatenate(const LayerInput& in) {
  const int axis = static_cast<int>(in.config.get_int("axis", -1, -8, 8));
  return std::make_shared<Concatenate>(ConcatenateOptions{.axis = axis, .name = name_of(in)});
}

void write_concatenate(const Layer& layer, Json& c) { c["axis"] = as<Concatenate>(layer).options().axis; }

std::shared_ptr<Layer> read_zero_padding2d(const LayerInput& in) {
  check_data_format(in);
  return std::make_shared<ZeroPadding2D>(edges2d(in, "padding", 1), ZeroPadding2DOptions{.name = name_of(in)});
}

void write_zero_padding2d(const Layer& layer, Json& c) {
  c["padding"] = edges_json(as<ZeroPadding2D>(layer).padding());
  c["data_format"] = "channels_last";
}

std::shared_ptr<Layer> read_cropping2d(const LayerInput& in) {
  check_data_format(in);
  return std::make_shared<Cropping2D>(edges2d(in, "cropping", 0), Cropping2DOptions{.name = name_of(in)});
}

void write_cropping2d(const Layer& layer, Json& c) {
  c["cropping"] = edges_json(as<Cropping2D>(layer).cropping());
  c["data_format"] = "channels_last";
}

std::shared_ptr<Layer> read_rescaling(const LayerInput& in) {
  // Keras 3 also takes a list per channel; elucid one number (as_number names the path when it is not).
  const double scale = in.config.at("scale").as_number();
  return std::make_shared<Rescaling>(scale,
                                     RescalingOptions{.offset = in.config.get_number("offset", 0.0), .name = name_of(in)});
}

void write_rescaling(const Layer& layer, Json& c) {
  const auto& l = as<Rescaling>(layer);
  c["scale"] = l.scale();
  c["offset"] = l.options().offset;
}

std::shared_ptr<Layer> read_reshape(const LayerInput& in) {
  const Value v = in.config.at("target_shape");
  Shape target;
  for (const Value& d : v.as_array()) target.push_back(d.as_int(-1, int64_t{1} << 32));
  return std::make_shared<Reshape>(target, ReshapeOptions{.name = name_of(in)});
}

void write_reshape(const Layer& layer, Json& c) {
  Json target = Json::array();
  for (int64_t d : as<Reshape>(layer).target_shape()) target.push_back(d);
  c["target_shape"] = target;
}

std::shared_ptr<Layer> read_upsampling2d(const LayerInput& in) {
  check_data_format(in);
  const std::string given = in.config.get_string("interpolation", "nearest");
  std::string interpolation;  // Keras 3 lower-cases it
  for (char c : given) interpolation += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (interpolation != "nearest" && interpolation != "bilinear")
    in.fail("interpolation", "\"" + given + "\" is not supported; use \"nearest\" or \"bilinear\"");
  return std::make_shared<UpSampling2D>(size2d(in, "size", {2, 2}),
                                        UpSampling2DOptions{.interpolation = interpolation, .name = name_of(in)});
}

void write_upsampling2d(const Layer& layer, Json& c) {
  const auto& l = as<UpSampling2D>(layer);
  c["size"] = pair_json(l.size());
  c["data_format"] = "channels_last";
  c["interpolation"] = l.options().interpolation;
}

std::shared_ptr<Layer> read_dense(const LayerInput& in) {
  const int64_t units = in.config.at("units").as_int(1, kMaxInt);
  refuse_kernel_extras(in);
  check_size(in, static_cast<double>(units) * (last_dim(in) + 1),
             "a (" + std::to_string(static_cast<int64_t>(last_dim(in))) + ", " + std::to_string(units) + ") kernel");
  DenseOptions o;
  read_kernel_options(in, o);
  return std::make_shared<Dense>(static_cast<int>(units), o);
}

void write_dense(const Layer& layer, Json& c) {
  const auto& l = as<Dense>(layer);
  c["units"] = l.units();
  write_kernel_options(layer, l.options(), c);
}

std::shared_ptr<Layer> read_dropout(const LayerInput& in) {
  const Value& c = in.config;
  require_null(in, "noise_shape", "noise_shape");
  DropoutOptions o;
  if (c.has("seed")) o.seed = static_cast<uint64_t>(c.at("seed").as_int(0, kMaxInt));
  o.name = name_of(in);
  return std::make_shared<Dropout>(c.at("rate").as_number(), o);
}

void write_dropout(const Layer& layer, Json& c) {
  const auto& l = as<Dropout>(layer);
  c["rate"] = l.rate();
  c["noise_shape"] = nullptr;
  c["seed"] = l.options().seed ? Json(*l.options().seed) : Json();
}

std::optional<uint64_t> seed_of(const LayerInput& in) {
  if (!in.config.has("seed")) return {};  // also null
  return static_cast<uint64_t>(in.config.at("seed").as_int(0, kMaxInt));
}

Json seed_json(const std::optional<uint64_t>& seed) { return seed ? Json(*seed) : Json(); }

std::shared_ptr<Layer> read_random_flip(const LayerInput& in) {
  check_data_format(in);
  return std::make_shared<RandomFlip>(in.config.get_string("mode", "horizontal_and_vertical"),
                                      RandomFlipOptions{.seed = seed_of(in), .name = name_of(in)});
}

void write_random_flip(const Layer& layer, Json& c) {
  const auto& l = as<RandomFlip>(layer);
  c["mode"] = l.mode();
  c["seed"] = seed_json(l.options().seed);
}

// A factor: one number, or [lower, upper].
Factor factor_of(const LayerInput& in, const std::string& key) {
  const Value v = in.config.at(key);
  if (!v.is_array()) return Factor(v.as_number());
  const auto items = v.as_array();
  if (items.size() != 2) v.fail("expected a number or 2 numbers (lower, upper), got " + std::to_string(items.size()));
  return Factor(items[0].as_number(), items[1].as_number());
}

Json factor_json(const Factor& f) { return f.one_number ? Json(f.lower) : Json::array({f.lower, f.upper}); }

std::shared_ptr<Layer> read_random_contrast(const LayerInput& in) {
  RandomContrastOptions o{.seed = seed_of(in), .name = name_of(in)};
  if (in.config.has("value_range")) {  // Keras 3's; tf.keras 2.x clips to [0, 255]
    const Value v = in.config.at("value_range");
    const auto items = v.as_array();
    if (items.size() != 2) v.fail("expected 2 numbers (low, high), got " + std::to_string(items.size()));
    o.value_range = {items[0].as_number(), items[1].as_number()};
  }
  return std::make_shared<RandomContrast>(factor_of(in, "factor"), o);
}

void write_random_contrast(const Layer& layer, Json& c) {
  const auto& l = as<RandomContrast>(layer);
  c["factor"] = factor_json(l.factor());
  const auto [low, high] = l.options().value_range;
  if (low != 0 || high != 255) c["value_range"] = Json::array({low, high});  // tf.keras 2.x has no such key
  c["seed"] = seed_json(l.options().seed);
}

std::shared_ptr<Layer> read_random_crop(const LayerInput& in) {
  check_data_format(in);
  return std::make_shared<RandomCrop>(in.config.at("height").as_int(1, kMaxSide), in.config.at("width").as_int(1, kMaxSide),
                                      RandomCropOptions{.seed = seed_of(in), .name = name_of(in)});
}

void write_random_crop(const Layer& layer, Json& c) {
  const auto& l = as<RandomCrop>(layer);
  c["height"] = l.height();
  c["width"] = l.width();
  c["seed"] = seed_json(l.options().seed);
}

// RandomTranslation, RandomRotation and RandomZoom's common keys.
TransformOptions transform_options(const LayerInput& in) {
  check_data_format(in);
  const Value& c = in.config;
  return {.fill_mode = c.get_string("fill_mode", "reflect"),
          .interpolation = c.get_string("interpolation", "bilinear"),
          .seed = seed_of(in),
          .fill_value = c.get_number("fill_value", 0.0),
          .name = name_of(in)};
}

void write_transform_options(const TransformOptions& o, Json& c) {
  c["fill_mode"] = o.fill_mode;
  c["fill_value"] = o.fill_value;
  c["interpolation"] = o.interpolation;
  c["seed"] = seed_json(o.seed);
}

std::shared_ptr<Layer> read_random_translation(const LayerInput& in) {
  return std::make_shared<RandomTranslation>(factor_of(in, "height_factor"), factor_of(in, "width_factor"),
                                             transform_options(in));
}

void write_random_translation(const Layer& layer, Json& c) {
  const auto& l = as<RandomTranslation>(layer);
  c["height_factor"] = factor_json(l.height_factor());
  c["width_factor"] = factor_json(l.width_factor());
  write_transform_options(l.options(), c);
}

std::shared_ptr<Layer> read_random_rotation(const LayerInput& in) {
  return std::make_shared<RandomRotation>(factor_of(in, "factor"), transform_options(in));
}

void write_random_rotation(const Layer& layer, Json& c) {
  const auto& l = as<RandomRotation>(layer);
  c["factor"] = factor_json(l.factor());
  write_transform_options(l.options(), c);
}

std::shared_ptr<Layer> read_random_zoom(const LayerInput& in) {
  std::optional<Factor> width;
  if (in.config.has("width_factor")) width = factor_of(in, "width_factor");  // null: the height zoom
  return std::make_shared<RandomZoom>(factor_of(in, "height_factor"), width, transform_options(in));
}

void write_random_zoom(const Layer& layer, Json& c) {
  const auto& l = as<RandomZoom>(layer);
  c["height_factor"] = factor_json(l.height_factor());
  c["width_factor"] = l.width_factor() ? factor_json(*l.width_factor()) : Json();
  write_transform_options(l.options(), c);
}

std::shared_ptr<Layer> read_activation(const LayerInput& in) {
  return std::make_shared<layers::Activation>(keras::activation_from_json(in.config.at("activation"), in.label()),
                                              ActivationOptions{.name = name_of(in)});
}

void write_activation(const Layer& layer, Json& c) {
  const activations::Activation& a = as<layers::Activation>(layer).activation();
  c["activation"] = a.name();  // the layer form may carry ELU's alpha: use an ELU layer for that
  if (a.kind() == activations::Kind::Elu && a.alpha() != 1.0) keras::activation_to_json(a, layer.label());  // throws with the reason
}

std::shared_ptr<Layer> read_elu(const LayerInput& in) {
  return std::make_shared<ELU>(ELUOptions{.alpha = in.config.get_number("alpha", 1.0), .name = name_of(in)});
}

void write_elu(const Layer& layer, Json& c) { c["alpha"] = as<ELU>(layer).alpha(); }

std::shared_ptr<Layer> read_relu(const LayerInput& in) {
  require_null(in, "max_value", "max_value");
  require_value(in, "negative_slope", 0, "negative_slope (a leaky ReLU)");
  require_value(in, "threshold", 0, "threshold");
  return std::make_shared<ReLU>(ActivationOptions{.name = name_of(in)});
}

void write_relu(const Layer& /*layer*/, Json& c) {
  c["max_value"] = nullptr;
  c["negative_slope"] = 0.0;
  c["threshold"] = 0.0;
}

std::shared_ptr<Layer> read_softmax(const LayerInput& in) {
  check_last_axis(in, "a softmax over several axes", "last axis");
  return std::make_shared<Softmax>(SoftmaxOptions{.axis = -1, .name = name_of(in)});
}

void write_softmax(const Layer& layer, Json& c) { c["axis"] = as<Softmax>(layer).options().axis; }

std::shared_ptr<Layer> read_batch_normalization(const LayerInput& in) {
  const Value& c = in.config;
  check_last_axis(in, "normalising over several axes", "last (channels) axis");
  for (const char* key : {"beta_regularizer", "gamma_regularizer"}) require_null(in, key, "a regularizer");
  for (const char* key : {"beta_constraint", "gamma_constraint"}) require_null(in, key, "a constraint");
  require_value(in, "renorm", false, "renorm (batch renormalization)");
  require_value(in, "synchronized", false, "synchronized batch statistics");
  require_null(in, "virtual_batch_size", "virtual_batch_size");
  require_null(in, "adjustment", "adjustment");
  check_size(in, 4 * last_dim(in), "batch normalization");
  BatchNormalizationOptions o;
  o.momentum = c.get_number("momentum", o.momentum);
  o.epsilon = c.get_number("epsilon", o.epsilon);
  o.center = c.get_bool("center", o.center);
  o.scale = c.get_bool("scale", o.scale);
  read_initializer(in, "beta_initializer", o.beta_initializer);
  read_initializer(in, "gamma_initializer", o.gamma_initializer);
  read_initializer(in, "moving_mean_initializer", o.moving_mean_initializer);
  read_initializer(in, "moving_variance_initializer", o.moving_variance_initializer);
  o.name = name_of(in);
  return std::make_shared<BatchNormalization>(o);
}

void write_batch_normalization(const Layer& layer, Json& c) {
  const auto& o = as<BatchNormalization>(layer).options();
  // A built tf.keras layer writes its axis resolved to a list: [3] for (N, H, W, C).
  const int64_t rank = layer.built_input_shape() ? static_cast<int64_t>(layer.built_input_shape()->size()) : -1;
  c["axis"] = rank > 0 ? Json::array({rank}) : Json(o.axis);
  c["momentum"] = o.momentum;
  c["epsilon"] = o.epsilon;
  c["center"] = o.center;
  c["scale"] = o.scale;
  c["beta_initializer"] = keras::initializer_to_json(o.beta_initializer);
  c["gamma_initializer"] = keras::initializer_to_json(o.gamma_initializer);
  c["moving_mean_initializer"] = keras::initializer_to_json(o.moving_mean_initializer);
  c["moving_variance_initializer"] = keras::initializer_to_json(o.moving_variance_initializer);
  write_nulls(c, {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
}

std::shared_ptr<Layer> read_layer_normalization(const LayerInput& in) {
  const Value& c = in.config;
  check_last_axis(in, "normalising over several axes", "last axis");
  for (const char* key : {"beta_regularizer", "gamma_regularizer"}) require_null(in, key, "a regularizer");
  for (const char* key : {"beta_constraint", "gamma_constraint"}) require_null(in, key, "a constraint");
  require_value(in, "rms_scaling", false, "rms_scaling");
  check_size(in, 2 * last_dim(in), "layer normalization");
  LayerNormalizationOptions o;
  o.epsilon = c.get_number("epsilon", o.epsilon);
  o.center = c.get_bool("center", o.center);
  o.scale = c.get_bool("scale", o.scale);
  read_initializer(in, "beta_initializer", o.beta_initializer);
  read_initializer(in, "gamma_initializer", o.gamma_initializer);
  o.name = name_of(in);
  return std::make_shared<LayerNormalization>(o);
}

void write_layer_normalization(const Layer& layer, Json& c) {
  const auto& o = as<LayerNormalization>(layer).options();
  // A built tf.keras layer writes its axis resolved to a list: [3] for (N, H, W, C).
  const int64_t rank = layer.built_input_shape() ? static_cast<int64_t>(layer.built_input_shape()->size()) : -1;
  c["axis"] = rank > 0 ? Json::array({rank}) : Json(o.axis);
  c["epsilon"] = o.epsilon;
  c["center"] = o.center;
  c["scale"] = o.scale;
  c["beta_initializer"] = keras::initializer_to_json(o.beta_initializer);
  c["gamma_initializer"] = keras::initializer_to_json(o.gamma_initializer);
  write_nulls(c, {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
}

// ---- the table ----

// One row per layer class: the name Keras and layer.class_name() give it, the older names Keras still reads it
// under, its reader and its writer.
struct LayerCodec {
  std::string_view class_name;
  std::vector<std::string_view> aliases;
  std::shared_ptr<Layer> (*read)(const LayerInput& in);
  void (*write)(const Layer& layer, Json& config);
  bool reads(std::string_view name) const { return name == class_name || std::ranges::find(aliases, name) != aliases.end(); }
};

// In the order the "supported:" message lists them. Built on first use, so no static initialisation order matters.
const std::vector<LayerCodec>& codecs() {
  static const std::vector<LayerCodec> table = {
      {"Conv2D", {"Convolution2D"}, read_conv2d<Conv2D>, write_conv2d<Conv2D>},
      {"Conv2DTranspose", {"Convolution2DTranspose"}, read_conv2d<Conv2DTranspose>, write_conv2d<Conv2DTranspose>},
      {"DepthwiseConv2D", {}, read_depthwise_conv2d, write_depthwise_conv2d},
      {"SeparableConv2D", {"SeparableConvolution2D"}, read_separable_conv2d, write_separable_conv2d},
      {"MaxPooling2D", {"MaxPool2D"}, read_pooling2d<MaxPooling2D>, write_pooling2d},
      {"AveragePooling2D", {"AvgPool2D"}, read_pooling2d<AveragePooling2D>, write_pooling2d},
      {"GlobalAveragePooling2D", {"GlobalAvgPool2D"}, read_global_pooling2d<GlobalAveragePooling2D>, write_global_pooling2d},
      {"GlobalMaxPooling2D", {"GlobalMaxPool2D"}, read_global_pooling2d<GlobalMaxPooling2D>, write_global_pooling2d},
      {"Flatten", {}, read_flatten, write_flatten},
      {"Add", {}, read_merge<Add>, write_merge},
      {"Subtract", {}, read_merge<Subtract>, write_merge},
      {"Multiply", {}, read_merge<Multiply>, write_merge},
      {"Average", {}, read_merge<Average>, write_merge},
      {"Maximum", {}, read_merge<Maximum>, write_merge},
      {"Concatenate", {}, read_concatenate, write_concatenate},
      {"ZeroPadding2D", {}, read_zero_padding2d, write_zero_padding2d},
      {"Cropping2D", {}, read_cropping2d, write_cropping2d},
      {"Rescaling", {}, read_rescaling, write_rescaling},
      {"Reshape", {}, read_reshape, write_reshape},
      {"UpSampling2D", {}, read_upsampling2d, write_upsampling2d},
      {"Dense", {}, read_dense, write_dense},
      {"Dropout", {}, read_dropout, write_dropout},
      {"RandomFlip", {}, read_random_flip, write_random_flip},
      {"RandomContrast", {}, read_random_contrast, write_random_contrast},
      {"RandomCrop", {}, read_random_crop, write_random_crop},
      {"RandomTranslation", {}, read_random_translation, write_random_translation},
      {"RandomRotation", {}, read_random_rotation, write_random_rotation},
      {"RandomZoom", {}, read_random_zoom, write_random_zoom},
      {"Activation", {}, read_activation, write_activation},
      {"ELU", {}, read_elu, write_elu},
      {"ReLU", {}, read_relu, write_relu},
      {"Softmax", {}, read_softmax, write_softmax},
      {"BatchNormalization", {}, read_batch_normalization, write_batch_normalization},
      {"LayerNormalization", {}, read_layer_normalization, write_layer_normalization},
  };
  return table;
}

// InputLayer has no row: it is the model's input, not one of model.layers(). read_model takes its shape and
// model_to_json writes one from the model's input shape.
Shape read_input_layer(const LayerInput& in) {
  require_value(in, "sparse", false, "a sparse input");
  require_value(in, "ragged", false, "a ragged input");
  const auto declared = declared_shape(in.config);
  if (!declared) in.fail("batch_input_shape", "missing: an InputLayer needs its shape");
  return *declared;
}

// tf.keras puts the model's InputLayer first, named after the first layer when that layer declared the shape.
Json input_layer_json(const Sequential& model) {
  Json c = Json::object();
  c["batch_input_shape"] = shape_json(model.input_shape());
  c["dtype"] = "float32";
  c["sparse"] = false;
  c["ragged"] = false;
  c["name"] = keras::input_layer_name(model);
  return Json{{"class_name", "InputLayer"}, {"config", c}};
}

std::string supported_classes() {
  std::string list = "InputLayer";
  for (const LayerCodec& row : codecs()) list += ", " + std::string(row.class_name);
  return list;
}

std::shared_ptr<Layer> read_layer(const LayerInput& in) {
  const auto& table = codecs();
  const auto row = std::ranges::find_if(table, [&](const LayerCodec& r) { return r.reads(in.class_name); });
  if (row != table.end()) return row->read(in);
  const std::string name = name_of(in);
  in.item.fail("layer class \"" + in.class_name + "\"" + (name.empty() ? "" : " (layer \"" + name + "\")") +
               " is not supported; supported: " + supported_classes());
}

Json layer_json(const Layer& layer) {
  const std::string class_name = layer.class_name();
  Json c = Json::object();
  c["name"] = layer.name();
  c["trainable"] = true;
  if (layer.declared_input_shape) c["batch_input_shape"] = shape_json(*layer.declared_input_shape);
  // tf.keras 2.x: the name of the default policy, a Policy object for a mixed one.
  const mixed_precision::DTypePolicy policy = layer.dtype_policy();
  if (policy.is_mixed_bfloat16())
    c["dtype"] = Json{{"class_name", "Policy"}, {"config", Json{{"name", policy.name()}}}};
  else
    c["dtype"] = "float32";
  const auto& table = codecs();
  const auto row = std::ranges::find_if(table, [&](const LayerCodec& r) { return r.class_name == class_name; });
  if (row == table.end()) throw Error(layer.label() + ": layer class " + class_name + " cannot be written as Keras JSON");
  row->write(layer, c);
  return Json{{"class_name", class_name}, {"config", c}};
}
}  // namespace

namespace keras {

std::string input_layer_name(const Sequential& model) {
  const auto& layers = model.layers();
  const bool declared = !layers.empty() && layers[0]->declared_input_shape.has_value();
  return declared ? layers[0]->name() + "_input" : std::string("input_1");
}

ModelJson read_model(const Value& top, int64_t max_bytes) {
  top.require_object();
  const std::string cls = top.at("class_name").as_string();
  if (cls == "Functional" || cls == "Model")
    top.at("class_name").fail("\"" + cls + "\" is a Functional model: read it with functional_from_json; "
                              "model_from_json reads Sequential models");
  if (cls != "Sequential")
    top.at("class_name").fail("only Sequential and Functional models are supported, got \"" + cls + "\"");
  const Value config = top.at("config");
  // Old Keras wrote the layer list as the config itself.
  const Value layer_list = config.is_array() ? config : config.at("layers");
  const std::string name = config.is_object() ? config.get_string("name", "sequential") : "sequential";
  ModelJson result{Sequential(name), std::nullopt};
  Sequential& model = result.model;

  std::optional<Shape> shape;  // the sample shape coming into the next layer, once known
  if (config.is_object() && config.has("build_input_shape")) shape = sample_shape(config.at("build_input_shape"));
  bool input_given = false;
  double total = 0;
  const auto items = layer_list.as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    const Value& item = items[i];
    item.require_object();
    LayerInput in{item, item.at("config"), item.at("class_name").as_string(), std::nullopt, max_bytes, &total};
    in.config.require_object();
    const auto policy = check_common(in);
    if (in.class_name == "InputLayer") {
      if (i != 0) item.fail("an InputLayer must come first");
      shape = read_input_layer(in);
      input_given = true;
      continue;
    }
    // The first layer may declare the input shape itself (tf.keras' batch_input_shape), or Keras 3 may give it in
    // the layer's build_config.
    const std::optional<Shape> own = declared_shape(in.config);
    const bool first = model.layers().empty();
    if (first && own) {
      if (shape && *own != *shape)
        in.fail("batch_input_shape", to_string(*own) + " does not match the InputLayer's " + to_string(*shape));
      shape = own;
    } else if (first && !shape && item.has("build_config") && item.at("build_config").has("input_shape")) {
      shape = sample_shape(item.at("build_config").at("input_shape"));
    }
    in.input = shape;
    try {
      auto layer = read_layer(in);
      layer->declared_input_shape = own;
      if (policy) layer->set_dtype_policy(*policy);
      if (first && shape && !own) model.add(std::make_shared<InputLayer>(InputLayerOptions{.shape = *shape}));
      model.add(layer);
      if (shape) shape = model.output_shape();
    } catch (const Error& e) {
      item.fail(e);  // messages from the readers name the path already; those from the layers get it here
    }
  }
  if (input_given && model.layers().empty()) top.fail("the model has an InputLayer and no other layer");
  if (top.has("compile_config")) result.compile = compile_config_from_json(top.at("compile_config"), /*strict=*/false);
  return result;
}

// ---- Functional models: the graph of calls in a config's inbound_nodes ----
namespace {
// One tensor a functional config names: tf.keras 2.x's [layer name, node index, tensor index(, kwargs)] or Keras 3's
// {"class_name": "__keras_tensor__", "config": {"keras_history": [layer name, node index, tensor index]}}.
struct TensorRef {
  std::string layer;
  int64_t node = 0;
  Value where;
};

TensorRef tensor_ref(const Value& v) {
  if (v.is_object()) {
    if (v.at("class_name").as_string() != "__keras_tensor__")
      v.fail("expected a __keras_tensor__, got \"" + v.at("class_name").as_string() + "\"");
    return tensor_ref(v.at("config").at("keras_history"));
  }
  const std::vector<Value> items = v.as_array();
  if (items.size() < 3 || items.size() > 4) v.fail("expected [layer name, node index, tensor index], got " + v.json().dump());
  if (items[2].as_int(0, kMaxInt) != 0)
    items[2].fail("tensor index " + items[2].json().dump() + ": elucid's layers have one output each");
  return {items[0].as_string(), items[1].as_int(0, kMaxInt), v};
}

// Keras 3 passes a call's tensors in its args, as they were given: Add()([x, y]) has args [[x, y]].
void collect_keras_tensors(const Value& v, std::vector<TensorRef>& refs) {
  if (v.is_array()) {
    for (const Value& item : v.as_array()) collect_keras_tensors(item, refs);
  } else if (v.is_object() && v.has("class_name") && v.at("class_name").is_string() &&
             v.at("class_name").as_string() == "__keras_tensor__") {
    refs.push_back(tensor_ref(v));
  }
}

// The tensors one call of a layer takes (one of its inbound_nodes), in order.
std::vector<TensorRef> call_inputs(const Value& node) {
  std::vector<TensorRef> refs;
  if (node.is_object()) {
    collect_keras_tensors(node.at("args"), refs);  // Keras 3: {"args": [...], "kwargs": {...}}
  } else {
    for (const Value& entry : node.as_array()) refs.push_back(tensor_ref(entry));  // tf.keras 2.x
  }
  if (refs.empty()) node.fail("a call on no tensor");
  return refs;
}

// input_layers / output_layers: a list of [name, node, tensor], or one such triple (Keras 3, one tensor).
std::vector<TensorRef> endpoint_refs(const Value& v) {
  const std::vector<Value> items = v.as_array();
  if (!items.empty() && items[0].is_string()) return {tensor_ref(v)};
  std::vector<TensorRef> refs;
  refs.reserve(items.size());
  for (const Value& item : items) refs.push_back(tensor_ref(item));
  if (refs.empty()) v.fail("an empty list");
  return refs;
}

// One entry of config.layers while the graph is read: its layer once made, and the outputs of its calls so far.
struct GraphLayer {
  Value item;
  std::string name;
  std::vector<Value> calls;  // its inbound_nodes
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> outputs;  // outputs[i]: what its call i gave
  std::vector<std::vector<TensorRef>> call_refs = {};  // the tensors each call takes, read once
};
}  // namespace

FunctionalJson read_functional(const Value& top, int64_t max_bytes) {
  top.require_object();
  const Value config = top.at("config");
  config.require_object();
  std::vector<GraphLayer> graph;
  std::map<std::string, size_t> index_of;  // layer name -> its entry in graph
  double total = 0;
  for (const Value& item : config.at("layers").as_array()) {
    item.require_object();
    const Value layer_config = item.at("config");
    layer_config.require_object();
    const std::string name =
        item.has("name") ? item.at("name").as_string() : layer_config.get_string("name", "");
    if (name.empty()) item.fail("a layer of a functional model needs a name (its calls are named by it)");
    if (index_of.contains(name))
      item.fail("layer name \"" + name + "\" is used twice (" + graph[index_of[name]].item.path() + " and " +
                item.path() + ")");
    index_of[name] = graph.size();
    GraphLayer entry{item, name, item.has("inbound_nodes") ? item.at("inbound_nodes").as_array() : std::vector<Value>{},
                     nullptr, {}};
    if (item.at("class_name").as_string() == "InputLayer") {
      LayerInput in{item, layer_config, "InputLayer", std::nullopt, max_bytes, &total};
      check_common(in);
      entry.outputs.push_back(Input(read_input_layer(in), name));
      entry.calls.clear();  // an input is called on nothing
    } else if (entry.calls.empty()) {
      item.fail("layer \"" + name + "\" is called on no tensor (no inbound_nodes): it is not part of the graph");
    }
    for (const Value& call : entry.calls) entry.call_refs.push_back(call_inputs(call));
    graph.push_back(std::move(entry));
  }
  // The tensor `ref` names, once the call that makes it has been read; nullopt while it waits for its call.
  const auto tensor_of = [&](const TensorRef& ref) -> std::optional<KerasTensor> {
    const auto found = index_of.find(ref.layer);
    if (found == index_of.end()) ref.where.fail("names layer \"" + ref.layer + "\", which the model does not have");
    const GraphLayer& source = graph[found->second];
    const size_t calls = std::max(source.calls.size(), source.outputs.size());
    if (static_cast<size_t>(ref.node) >= calls)
      ref.where.fail("names call " + std::to_string(ref.node) + " of layer \"" + ref.layer + "\", which has " +
                     std::to_string(calls));
    if (static_cast<size_t>(ref.node) >= source.outputs.size()) return std::nullopt;
    return source.outputs[static_cast<size_t>(ref.node)];
  };
  // As Keras reads it: the calls in order, each once the tensors it takes are there; a pass that makes no call while
  // some wait means they wait on each other (a cycle).
  for (bool progress = true; progress;) {
    progress = false;
    for (GraphLayer& entry : graph) {
      while (entry.outputs.size() < entry.calls.size()) {
        const Value& call = entry.calls[entry.outputs.size()];
        const std::vector<TensorRef>& refs = entry.call_refs[entry.outputs.size()];
        std::vector<KerasTensor> inputs;
        for (const TensorRef& ref : refs)
          if (const auto tensor = tensor_of(ref)) inputs.push_back(*tensor);
        if (inputs.size() < refs.size()) break;  // this call waits; the next pass tries again
        try {
          if (!entry.layer) {
            LayerInput in{entry.item, entry.item.at("config"), entry.item.at("class_name").as_string(),
                          inputs[0].shape(), max_bytes, &total};
            const auto policy = check_common(in);
            entry.layer = read_layer(in);
            if (policy) entry.layer->set_dtype_policy(*policy);
          }
          entry.outputs.push_back(inputs.size() == 1 ? (*entry.layer)(inputs[0]) : (*entry.layer)(inputs));
        } catch (const Error& e) {
          call.fail(e);
        }
        progress = true;
      }
    }
  }
  for (const GraphLayer& entry : graph) {
    if (entry.outputs.size() >= entry.calls.size()) continue;  // every call made (an input has one and no call)
    std::string waits;
    for (const TensorRef& ref : entry.call_refs[entry.outputs.size()])
      if (!tensor_of(ref)) waits += (waits.empty() ? "\"" : ", \"") + ref.layer + "\"";
    entry.calls[entry.outputs.size()].fail("layer \"" + entry.name + "\" waits on " + waits +
                                           ", which wait on it: the graph has a cycle");
  }
  const auto endpoints = [&](const std::string& key) {
    std::vector<KerasTensor> tensors;
    for (const TensorRef& ref : endpoint_refs(config.at(key))) tensors.push_back(*tensor_of(ref));
    return tensors;
  };
  std::vector<KerasTensor> inputs = endpoints("input_layers"), outputs = endpoints("output_layers");
  FunctionalJson result{std::nullopt, std::nullopt};
  try {
    result.model.emplace(std::move(inputs), std::move(outputs), config.get_string("name", "model"));
  } catch (const Error& e) {
    config.fail(e);
  }
  if (top.has("compile_config")) result.compile = compile_config_from_json(top.at("compile_config"), /*strict=*/false);
  return result;
}

Json model_to_json(const Sequential& model) {
  if (!model.built())
    throw Error("to_json: the model \"" + model.name() + "\" is not built; give its first layer an input_shape");
  Json layers_json = Json::array();
  layers_json.push_back(input_layer_json(model));
  for (const auto& layer : model.layers()) layers_json.push_back(layer_json(*layer));
  Json config = Json::object();
  config["name"] = model.name();
  config["layers"] = layers_json;
  return Json{{"class_name", "Sequential"}, {"config", config}, {"keras_version", kKerasVersion}, {"backend", "tensorflow"}};
}

// Keras 3's layout, as Keras 3 (3.6 to 3.9) writes model.to_json() and a .keras file's config.json: every object
// {"module", "class_name", "config", "registered_name"}, dtypes as DTypePolicy objects, the InputLayer with its
// batch_shape, each layer's build_config with the shape it was built on. The layer configs are tf.keras 2.x's
// (layer_json) with the few keys Keras 3 changed.
namespace {
Json keras3_object(const std::string& module, const Json& class_name, const Json& config) {
  return Json{{"module", module}, {"class_name", class_name}, {"config", config}, {"registered_name", nullptr}};
}

Json dtype_policy_json(const mixed_precision::DTypePolicy& policy = {}) {
  return keras3_object("keras", "DTypePolicy", Json{{"name", policy.name()}});
}

Json keras3_layer_json(const Layer& layer) {
  const Json tf2 = layer_json(layer);
  const std::string class_name = tf2.at("class_name");
  Json c = Json::object();
  for (const auto& [key, value] : tf2.at("config").items()) {
    if (key == "batch_input_shape") continue;  // Keras 3 gives the shape to the InputLayer only
    if (key == "dtype") c[key] = dtype_policy_json(layer.dtype_policy());
    else if (value.is_object() && key.ends_with("_initializer"))
      c[key] = keras3_object("keras.initializers", value.at("class_name"), value.at("config"));
    else c[key] = value;
  }
  if (class_name == "Dense") c.erase("activity_regularizer");  // Keras 3's Dense writes it only when one is set
  if (class_name == "BatchNormalization") {
    c["axis"] = -1;  // Keras 3 keeps the axis as given, an integer
    c["synchronized"] = false;
  }
  if (class_name == "Dropout") {  // Keras 3's order: rate, seed, noise_shape
    const Json noise_shape = c.at("noise_shape");
    c.erase("noise_shape");
    c["noise_shape"] = noise_shape;
  }
  Json item = keras3_object("keras.layers", class_name, c);
  // The shape it was built on; a merge layer's list of them.
  Json built_on = Json::array();
  if (layer.built_input_shape()) {
    built_on = shape_json(*layer.built_input_shape());
  } else {
    for (const Shape& shape : layer.built_input_shapes()) built_on.push_back(shape_json(shape));
  }
  item["build_config"] = Json{{"input_shape", built_on}};
  return item;
}
}  // namespace

Json keras3_input_layer_json(const Shape& shape, const std::string& name) {
  Json input = Json::object();
  input["batch_shape"] = shape_json(shape);
  input["dtype"] = "float32";
  input["sparse"] = false;
  input["ragged"] = false;
  input["name"] = name;
  input["optional"] = false;
  return keras3_object("keras.layers", "InputLayer", input);
}

Json model_to_keras3_json(const Sequential& model) {
  if (!model.built())
    throw Error("to_keras3_json: the model \"" + model.name() + "\" is not built; give its first layer an input_shape");
  Json layers_json = Json::array({keras3_input_layer_json(model.input_shape(), "input_layer")});
  for (const auto& layer : model.layers()) layers_json.push_back(keras3_layer_json(*layer));
  Json config = Json::object();
  config["name"] = model.name();
  config["trainable"] = true;
  config["dtype"] = dtype_policy_json();
  config["layers"] = layers_json;
  config["build_input_shape"] = shape_json(model.input_shape());
  Json top = keras3_object("keras", "Sequential", config);
  top["build_config"] = Json{{"input_shape", shape_json(model.input_shape())}};
  if (model.compiled()) top["compile_config"] = compile_config_to_keras3_json(model);
  return top;
}

// Keras 3's Functional get_config: each layer as in a Sequential plus its "name" and "inbound_nodes", a call's node
// {"args": [...], "kwargs": {}} whose args hold the tensors as Keras 3 passed them (one tensor, or a merge layer's
// list of them), each {"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history": [layer name,
// node index, tensor index]}}; input_layers and output_layers as lists of [name, node index, tensor index].
Json functional_to_keras3_json(const Functional& model) {
  const auto keras_tensor = [&](const layers::KerasTensor& x) {
    Json c = Json::object();
    c["shape"] = shape_json(x.shape());
    c["dtype"] = "float32";
    c["keras_history"] = Json::array({x.node()->layer->name(), model.node_index(*x.node()), 0});
    return Json{{"class_name", "__keras_tensor__"}, {"config", c}};
  };
  Json layers_json = Json::array();
  for (const auto& layer : model.layers()) {
    Json entry = layer->class_name() == "InputLayer"
                     ? keras3_input_layer_json(as<InputLayer>(*layer).shape(), layer->name())
                     : keras3_layer_json(*layer);
    entry["name"] = layer->name();
    Json inbound = Json::array();
    for (const auto& node : model.nodes()) {
      if (node->layer != layer || node->inputs.empty()) continue;
      Json arg;
      if (node->inputs.size() == 1) {
        arg = keras_tensor(node->inputs[0]);
      } else {
        arg = Json::array();
        for (const layers::KerasTensor& x : node->inputs) arg.push_back(keras_tensor(x));
      }
      inbound.push_back(Json{{"args", Json::array({arg})}, {"kwargs", Json::object()}});
    }
    entry["inbound_nodes"] = inbound;
    layers_json.push_back(entry);
  }
  const auto coordinates = [&](const std::vector<layers::KerasTensor>& tensors) {
    Json list = Json::array();
    for (const layers::KerasTensor& t : tensors)
      list.push_back(Json::array({t.node()->layer->name(), model.node_index(*t.node()), 0}));
    return list;
  };
  Json config = Json::object();
  config["name"] = model.name();
  config["trainable"] = true;
  config["layers"] = layers_json;
  config["input_layers"] = coordinates(model.inputs());
  config["output_layers"] = coordinates(model.outputs());
  Json top = keras3_object("keras.src.models.functional", "Functional", config);
  top["registered_name"] = "Functional";
  top["build_config"] = Json{{"input_shape", nullptr}};
  if (model.compiled()) top["compile_config"] = compile_config_to_keras3_json(model);
  return top;
}

}  // namespace keras

Sequential model_from_json(const std::string& text, const std::string& source, int64_t max_bytes) {
  const Json j = json::parse(text, source);
  keras::ModelJson m = keras::read_model(Value(j, source, ""), max_bytes);
  if (m.compile) {
    try {
      m.compile->apply(m.model);
    } catch (const Error& e) {
      throw Error(source + ": compile_config: " + e.what());
    }
  }
  return std::move(m.model);
}

ModelFile any_model_from_json(const std::string& text, const std::string& source, int64_t max_bytes) {
  const Json j = json::parse(text, source);
  const Value top(j, source, "");
  top.require_object();
  ModelFile file;
  const auto compile = [&](const std::optional<CompileConfig>& config, train::Trainer& model) {
    if (!config) return;
    try {
      config->apply(model);
    } catch (const Error& e) {
      throw Error(source + ": compile_config: " + e.what());
    }
  };
  if (top.at("class_name").as_string() == "Sequential") {
    keras::ModelJson m = keras::read_model(top, max_bytes);
    compile(m.compile, m.model);
    file.model = std::move(m.model);
  } else {
    keras::FunctionalJson m = keras::read_functional(top, max_bytes);
    compile(m.compile, *m.model);
    file.functional.emplace(std::move(*m.model));
  }
  return file;
}

Functional functional_from_json(const std::string& text, const std::string& source, int64_t max_bytes) {
  const Json j = json::parse(text, source);
  const Value top(j, source, "");
  top.require_object();
  const std::string cls = top.at("class_name").as_string();
  if (cls != "Functional" && cls != "Model")
    top.at("class_name").fail("expected a Functional model, got \"" + cls + "\"" +
                              (cls == "Sequential" ? " (read it with model_from_json)" : ""));
  keras::FunctionalJson m = keras::read_functional(top, max_bytes);
  if (m.compile) {
    try {
      m.compile->apply(*m.model);
    } catch (const Error& e) {
      throw Error(source + ": compile_config: " + e.what());
    }
  }
  return std::move(*m.model);
}

std::string to_json(const Sequential& model) { return json::dump_python(keras::model_to_json(model)); }

std::string to_keras3_json(const train::Trainer& model) {
  if (const auto* functional = dynamic_cast<const Functional*>(&model))
    return json::dump_python(keras::functional_to_keras3_json(*functional));
  return json::dump_python(keras::model_to_keras3_json(dynamic_cast<const Sequential&>(model)));
}

std::string Sequential::to_json() const { return elucid::to_json(*this); }

// tf.keras 2.x's Functional get_config: each layer {"class_name", "config", "name", "inbound_nodes"}, a call's inbound
// node a list of [layer name, node index, tensor index, {}] per input; input_layers and output_layers as
// [name, node index, tensor index] each.
std::string Functional::to_json() const {
  Json layers_json = Json::array();
  for (const auto& layer : layers()) {
    Json entry;
    if (layer->class_name() == "InputLayer") {
      Json c = Json::object();
      c["batch_input_shape"] = shape_json(as<InputLayer>(*layer).shape());
      c["dtype"] = "float32";
      c["sparse"] = false;
      c["ragged"] = false;
      c["name"] = layer->name();
      entry = Json{{"class_name", "InputLayer"}, {"config", c}};
    } else {
      entry = layer_json(*layer);
      entry["config"].erase("batch_input_shape");  // the shapes come from the inputs
    }
    entry["name"] = layer->name();
    Json inbound = Json::array();
    for (const auto& node : nodes()) {
      if (node->layer != layer || node->inputs.empty()) continue;
      Json call = Json::array();
      for (const layers::KerasTensor& x : node->inputs)
        call.push_back(Json::array({x.node()->layer->name(), node_index(*x.node()), 0, Json::object()}));
      inbound.push_back(call);
    }
    entry["inbound_nodes"] = inbound;
    layers_json.push_back(entry);
  }
  const auto coordinates = [&](const std::vector<layers::KerasTensor>& tensors) {
    Json list = Json::array();
    for (const layers::KerasTensor& t : tensors)
      list.push_back(Json::array({t.node()->layer->name(), node_index(*t.node()), 0}));
    return list;
  };
  Json config = Json::object();
  config["name"] = name();
  config["layers"] = layers_json;
  config["input_layers"] = coordinates(inputs());
  config["output_layers"] = coordinates(outputs());
  return json::dump_python(
      Json{{"class_name", "Functional"}, {"config", config}, {"keras_version", kKerasVersion}, {"backend", "tensorflow"}});
}

}  // namespace elucid
