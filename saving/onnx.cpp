// ONNX export: each layer of a Sequential model, or each call of a Functional one, as ONNX nodes (opset 13), through
// ONNX's own protobuf classes; the layout and the mapping are in saving/onnx.hpp.
#include <elucid/saving/onnx.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>
#include <elucid/core/version.hpp>
#include <elucid/layers/layers.hpp>
#include <elucid/model/functional.hpp>
#include <elucid/model/sequential.hpp>
#include <elucid/saving/keras_objects.hpp>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace elucid {

namespace {

using layers::Layer;

// A value flowing from layer to layer: its name in the graph, one sample's shape in Keras' order (no batch axis),
// and where its channels (Keras' last axis) sit: last, as Keras has them, or at axis 1 (channels first, NCHW for an
// image), where ONNX's image ops want them.
struct Value {
  std::string name;
  Shape shape;
  bool channels_first = false;
};

// Keras' SELU constants, as core/ops/activation.cpp computes with them.
constexpr float kSeluAlpha = 1.67326324235437728481f;
constexpr float kSeluScale = 1.05070098735548049342f;

// The graph under construction: nodes appended in order, initializers by name.
class Graph {
 public:
  explicit Graph(onnx::GraphProto& g) : g_(g) {}

  // OP(inputs) -> output; returns the node for its attributes.
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
    onnx::NodeProto& n = *g_.add_node();
    n.set_op_type(op);
    n.set_name(output);  // each value has one producer, so its name names the node too
    for (const std::string& in : inputs) n.add_input(in);
    n.add_output(output);
    return n;
  }

  // A float32 initializer of `dims` holding `values` (row-major); returns its name.
  std::string floats(const std::string& name, const Shape& dims, const std::vector<float>& values) {
    onnx::TensorProto& t = *g_.add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t.add_dims(d);
    t.mutable_float_data()->Add(values.begin(), values.end());
    return name;
  }
  std::string scalar(const std::string& name, float v) { return floats(name, {}, {v}); }

  // A 1-D int64 initializer (pads, shapes, slice bounds); returns its name.
  std::string ints(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto& t = *g_.add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(static_cast<int64_t>(values.size()));
    t.mutable_int64_data()->Add(values.begin(), values.end());
    return name;
  }

 private:
  onnx::GraphProto& g_;
};

void attr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
}
void attr(onnx::NodeProto& n, const std::string& name, float v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
}
void attr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
}
void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}

// The value with its channels at axis 1 (a Transpose named LAYER/Transpose when they are last). A sample of rank
// < 2 has one layout only.
Value channels_first(Graph& g, const Value& x, const std::string& layer) {
  if (x.channels_first || x.shape.size() < 2) return x;
  const auto n = static_cast<int64_t>(x.shape.size()) + 1;
  std::vector<int64_t> perm = {0, n - 1};  // (N, d1, ..., C) -> (N, C, d1, ...)
  for (int64_t i = 1; i < n - 1; ++i) perm.push_back(i);
  const std::string out = layer + "/Transpose";
  attr(g.node("Transpose", {x.name}, out), "perm", perm);
  return {out, x.shape, true};
}

// The value with its channels last, in Keras' order (a Transpose named OUT when they are at axis 1).
Value channels_last(Graph& g, const Value& x, const std::string& out) {
  if (!x.channels_first) return x;
  const auto n = static_cast<int64_t>(x.shape.size()) + 1;
  std::vector<int64_t> perm = {0};  // (N, C, d1, ...) -> (N, d1, ..., C)
  for (int64_t i = 2; i < n; ++i) perm.push_back(i);
  perm.push_back(1);
  attr(g.node("Transpose", {x.name}, out), "perm", perm);
  return {out, x.shape, false};
}

// activation(x) written to `out`, its inner values named PREFIX/Op. x must not be linear (the caller names its own
// last node then).
void activation(Graph& g, const activations::Activation& a, const Value& x, const std::string& out,
                const std::string& prefix) {
  using activations::Kind;
  switch (a.kind()) {
    case Kind::Linear:
      g.node("Identity", {x.name}, out);
      return;
    case Kind::Elu:
      attr(g.node("Elu", {x.name}, out), "alpha", static_cast<float>(a.alpha()));
      return;
    case Kind::Relu:
      g.node("Relu", {x.name}, out);
      return;
    case Kind::Sigmoid:
      g.node("Sigmoid", {x.name}, out);
      return;
    case Kind::Tanh:
      g.node("Tanh", {x.name}, out);
      return;
    case Kind::Softplus:
      g.node("Softplus", {x.name}, out);
      return;
    case Kind::Selu: {
      onnx::NodeProto& n = g.node("Selu", {x.name}, out);
      attr(n, "alpha", kSeluAlpha);
      attr(n, "gamma", kSeluScale);
      return;
    }
    case Kind::Softmax:  // over Keras' last axis, wherever it sits now
      attr(g.node("Softmax", {x.name}, out), "axis", int64_t{x.channels_first && x.shape.size() >= 2 ? 1 : -1});
      return;
    case Kind::Swish:  // x * sigmoid(x)
      g.node("Sigmoid", {x.name}, prefix + "/Sigmoid");
      g.node("Mul", {x.name, prefix + "/Sigmoid"}, out);
      return;
    case Kind::Gelu: {  // 0.5 x (1 + erf(x / sqrt 2)), in the order core/ops/activation.cpp computes it
      const std::string inv_sqrt2 = g.scalar(prefix + "/inv_sqrt2", 0.70710678118654752440f);
      g.node("Mul", {x.name, inv_sqrt2}, prefix + "/Mul_scaled");
      g.node("Erf", {prefix + "/Mul_scaled"}, prefix + "/Erf");
      g.node("Add", {prefix + "/Erf", g.scalar(prefix + "/one", 1.0f)}, prefix + "/Add_one");
      g.node("Mul", {g.scalar(prefix + "/half", 0.5f), x.name}, prefix + "/Mul_half");
      g.node("Mul", {prefix + "/Mul_half", prefix + "/Add_one"}, out);
      return;
    }
  }
  throw Error("export_onnx: activation \"" + a.name() + "\" has no ONNX form");
}

// The weight LAYER/suffix, or an undefined tensor when the layer does not have it.
Tensor weight(Layer& layer, const std::string& suffix) {
  for (const NamedTensor& w : layer.weights())
    if (w.name == layer.name() + "/" + suffix) return w.tensor;
  return {};
}

std::vector<float> values(const Tensor& t) { return std::vector<float>(t.data(), t.data() + t.size()); }

// Keras' window padding along one axis as ONNX's (begin, end): 'same' pads
// max((out - 1) * stride + (window - 1) * dilation + 1 - in, 0), the odd cell at the end; 'valid' pads nothing.
std::pair<int64_t, int64_t> window_pads(int64_t in, int window, int stride, int dilation, ops::Padding padding) {
  if (padding == ops::Padding::Valid) return {0, 0};
  const int64_t out = ops::window_output_size(in, window, stride, dilation, padding);
  const int64_t total = std::max<int64_t>((out - 1) * stride + int64_t{window - 1} * dilation + 1 - in, 0);
  return {total / 2, total - total / 2};
}

// ONNX's pads for an (H, W, C) input: (top, left, bottom, right).
std::vector<int64_t> pads_2d(const Shape& input, layers::Size2D window, layers::Size2D strides,
                             layers::Size2D dilation, ops::Padding padding) {
  const auto [top, bottom] = window_pads(input[0], window.height, strides.height, dilation.height, padding);
  const auto [left, right] = window_pads(input[1], window.width, strides.width, dilation.width, padding);
  return {top, left, bottom, right};
}

// A Keras kernel (KH, KW, A, B) -> ONNX's (B, A, KH, KW): Conv's (F, C, KH, KW) for a Conv2D kernel (KH, KW, C, F),
// ConvTranspose's (C, F, KH, KW) for a Conv2DTranspose kernel (KH, KW, F, C).
std::vector<float> conv_weight(const Tensor& kernel) {
  const int64_t kh = kernel.dim(0), kw = kernel.dim(1), a = kernel.dim(2), b = kernel.dim(3);
  std::vector<float> w(static_cast<size_t>(kernel.size()));
  const float* src = kernel.data();
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j)
      for (int64_t ai = 0; ai < a; ++ai)
        for (int64_t bi = 0; bi < b; ++bi)
          w[static_cast<size_t>(((bi * a + ai) * kh + i) * kw + j)] = src[((i * kw + j) * a + ai) * b + bi];
  return w;
}

// One Conv node: x (N, C, H, W) and the weight already in ONNX's layout; returns the node for its attributes.
onnx::NodeProto& conv_node(Graph& g, const std::string& x, const std::string& weight, const std::string& bias,
                           const std::string& out, layers::Size2D k, layers::Size2D strides, layers::Size2D dilation,
                           const std::vector<int64_t>& pads, int64_t group) {
  std::vector<std::string> inputs = {x, weight};
  if (!bias.empty()) inputs.push_back(bias);
  onnx::NodeProto& n = g.node("Conv", inputs, out);
  attr(n, "kernel_shape", std::vector<int64_t>{k.height, k.width});
  attr(n, "strides", std::vector<int64_t>{strides.height, strides.width});
  attr(n, "dilations", std::vector<int64_t>{dilation.height, dilation.width});
  attr(n, "pads", pads);
  if (group != 1) attr(n, "group", group);
  return n;
}

std::string bias_of(Graph& g, Layer& layer, bool use_bias) {
  if (!use_bias) return "";
  const Tensor bias = weight(layer, "bias");
  return g.floats(layer.name() + "/bias", bias.shape(), values(bias));
}

// The activation after a layer's last node, which is named `name` when the activation is linear.
Value activated(Graph& g, const activations::Activation& a, const std::string& name, const Shape& shape) {
  if (!a.is_linear()) activation(g, a, {name + "/Conv", shape, true}, name, name);
  return {name, shape, true};
}

Value conv2d(Graph& g, layers::Conv2D& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::Conv2DOptions& o = layer.options();
  // elucid's kernel (KH, KW, C, F) -> ONNX's (F, C, KH, KW). Grouped, (KH, KW, C / G, F) -> (F, C / G, KH, KW) and
  // Conv's group G: ONNX's output channel f also reads the input channels of group f / (F / G).
  const Tensor kernel = weight(layer, "kernel");
  const std::string w = g.floats(name + "/kernel", {kernel.dim(3), kernel.dim(2), kernel.dim(0), kernel.dim(1)},
                                 conv_weight(kernel));
  const std::string out = o.activation.is_linear() ? name : name + "/Conv";
  conv_node(g, x.name, w, bias_of(g, layer, o.use_bias), out, layer.kernel_size(), o.strides, o.dilation_rate,
            pads_2d(in.shape, layer.kernel_size(), o.strides, o.dilation_rate,
                    layers::parse_padding(o.padding, layer.label())),
            o.groups);
  return activated(g, o.activation, name, layer.output_shape(in.shape));
}

// The depthwise step of DepthwiseConv2D and SeparableConv2D: a Conv of group C whose output channel c * M + m is
// input channel c under kernel m, as Keras orders them; the kernel (KH, KW, C, M) goes in as (C * M, 1, KH, KW).
void depthwise_node(Graph& g, Layer& layer, const std::string& x, const std::string& kernel_name,
                    const std::string& bias, const std::string& out, const Shape& in, layers::Size2D k,
                    layers::Size2D strides, layers::Size2D dilation, const std::string& padding) {
  const Tensor kernel = weight(layer, kernel_name);
  const int64_t c = kernel.dim(2), m = kernel.dim(3);
  // (KH, KW, C, M) read as (KH, KW, 1, C * M): conv_weight gives (C * M, 1, KH, KW).
  const std::string w = g.floats(layer.name() + "/" + kernel_name, {c * m, 1, kernel.dim(0), kernel.dim(1)},
                                 conv_weight(ops::reshape(kernel, {kernel.dim(0), kernel.dim(1), 1, c * m})));
  conv_node(g, x, w, bias, out, k, strides, dilation,
            pads_2d(in, k, strides, dilation, layers::parse_padding(padding, layer.label())), c);
}

Value depthwise_conv2d(Graph& g, layers::DepthwiseConv2D& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::DepthwiseConv2DOptions& o = layer.options();
  const std::string out = o.activation.is_linear() ? name : name + "/Conv";
  depthwise_node(g, layer, x.name, "depthwise_kernel", bias_of(g, layer, o.use_bias), out, in.shape,
                 layer.kernel_size(), o.strides, o.dilation_rate, o.padding);
  return activated(g, o.activation, name, layer.output_shape(in.shape));
}

// SeparableConv2D: the depthwise Conv (no bias), then a 1x1 Conv with the pointwise kernel (1, 1, C * M, F) as
// (F, C * M, 1, 1) and the bias, then the activation.
Value separable_conv2d(Graph& g, layers::SeparableConv2D& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::SeparableConv2DOptions& o = layer.options();
  depthwise_node(g, layer, x.name, "depthwise_kernel", "", name + "/depthwise", in.shape, layer.kernel_size(),
                 o.strides, o.dilation_rate, o.padding);
  const Tensor pointwise = weight(layer, "pointwise_kernel");
  const std::string w = g.floats(name + "/pointwise_kernel", {pointwise.dim(3), pointwise.dim(2), 1, 1},
                                 conv_weight(pointwise));
  const std::string out = o.activation.is_linear() ? name : name + "/Conv";
  conv_node(g, name + "/depthwise", w, bias_of(g, layer, o.use_bias), out, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1);
  return activated(g, o.activation, name, layer.output_shape(in.shape));
}

// Conv2DTranspose: ConvTranspose with the kernel (KH, KW, F, C) as (C, F, KH, KW). ONNX's output side is
// stride * (H - 1) + K - pads + output_padding; Keras' is H * stride ('same') or H * stride + max(K - stride, 0)
// ('valid'): 'same' pads max(K - stride, 0) cells (the odd one at the end, as the convolution it is the gradient
// of), and a kernel smaller than the stride adds stride - K rows of output_padding (they get the bias only).
Value conv2d_transpose(Graph& g, layers::Conv2DTranspose& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::Conv2DTransposeOptions& o = layer.options();
  const layers::Size2D k = layer.kernel_size();
  const Tensor kernel = weight(layer, "kernel");
  const std::string w = g.floats(name + "/kernel", {kernel.dim(3), kernel.dim(2), kernel.dim(0), kernel.dim(1)},
                                 conv_weight(kernel));
  std::vector<std::string> inputs = {x.name, w};
  const std::string bias = bias_of(g, layer, o.use_bias);
  if (!bias.empty()) inputs.push_back(bias);
  const bool same = layers::parse_padding(o.padding, layer.label()) == ops::Padding::Same;
  const auto pads = [&](int kernel_side, int stride) {
    const int64_t total = same ? std::max(kernel_side - stride, 0) : 0;
    return std::pair<int64_t, int64_t>{total / 2, total - total / 2};
  };
  const auto [top, bottom] = pads(k.height, o.strides.height);
  const auto [left, right] = pads(k.width, o.strides.width);
  const std::string out = o.activation.is_linear() ? name : name + "/Conv";
  onnx::NodeProto& n = g.node("ConvTranspose", inputs, out);
  attr(n, "kernel_shape", std::vector<int64_t>{k.height, k.width});
  attr(n, "strides", std::vector<int64_t>{o.strides.height, o.strides.width});
  attr(n, "pads", std::vector<int64_t>{top, left, bottom, right});
  attr(n, "output_padding", std::vector<int64_t>{std::max(o.strides.height - k.height, 0),
                                                 std::max(o.strides.width - k.width, 0)});
  return activated(g, o.activation, name, layer.output_shape(in.shape));
}

// LayerNormalization over the last (Keras') axis, from opset 13's ops: mean and variance by ReduceMean, then
// (x - mean) / sqrt(variance + epsilon), times gamma, plus beta.
Value layer_normalization(Graph& g, layers::LayerNormalization& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_last(g, in, name + "/Transpose");
  const layers::LayerNormalizationOptions& o = layer.options();
  const auto reduce_mean = [&](const std::string& input, const std::string& out) {
    onnx::NodeProto& n = g.node("ReduceMean", {input}, out);
    attr(n, "axes", std::vector<int64_t>{-1});
    attr(n, "keepdims", int64_t{1});
  };
  reduce_mean(x.name, name + "/mean");
  g.node("Sub", {x.name, name + "/mean"}, name + "/centered");
  g.node("Mul", {name + "/centered", name + "/centered"}, name + "/squared");
  reduce_mean(name + "/squared", name + "/variance");
  g.node("Add", {name + "/variance", g.scalar(name + "/epsilon", static_cast<float>(o.epsilon))}, name + "/shifted");
  g.node("Sqrt", {name + "/shifted"}, name + "/std");
  std::string y = o.scale || o.center ? name + "/normalized" : name;
  g.node("Div", {name + "/centered", name + "/std"}, y);
  if (o.scale) {
    const Tensor gamma = weight(layer, "gamma");
    const std::string out = o.center ? name + "/scaled" : name;
    g.node("Mul", {y, g.floats(name + "/gamma", gamma.shape(), values(gamma))}, out);
    y = out;
  }
  if (o.center) {
    const Tensor beta = weight(layer, "beta");
    g.node("Add", {y, g.floats(name + "/beta", beta.shape(), values(beta))}, name);
  }
  return {name, in.shape, false};
}

Value dense(Graph& g, layers::Dense& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_last(g, in, name + "/Transpose");  // Dense acts on Keras' last axis
  const layers::DenseOptions& o = layer.options();
  const bool linear = o.activation.is_linear();
  const Tensor kernel = weight(layer, "kernel");  // (in, units), as MatMul takes it
  std::string y = linear && !o.use_bias ? name : name + "/MatMul";
  g.node("MatMul", {x.name, g.floats(name + "/kernel", kernel.shape(), values(kernel))}, y);
  if (o.use_bias) {
    const Tensor bias = weight(layer, "bias");
    const std::string out = linear ? name : name + "/Add";
    g.node("Add", {y, g.floats(name + "/bias", bias.shape(), values(bias))}, out);
    y = out;
  }
  const Value v{y, layer.output_shape(in.shape), false};
  if (!linear) activation(g, o.activation, v, name, name);
  return {name, v.shape, false};
}

Value pooling2d(Graph& g, layers::Pooling2D& layer, const Value& in, bool max) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const ops::Padding padding = layers::parse_padding(layer.options().padding, layer.label());
  onnx::NodeProto& n = g.node(max ? "MaxPool" : "AveragePool", {x.name}, name);
  attr(n, "kernel_shape", std::vector<int64_t>{layer.pool_size().height, layer.pool_size().width});
  attr(n, "strides", std::vector<int64_t>{layer.strides().height, layer.strides().width});
  attr(n, "pads", pads_2d(in.shape, layer.pool_size(), layer.strides(), {1, 1}, padding));
  if (!max) attr(n, "count_include_pad", int64_t{0});  // a 'same' window averages the cells it covers, as Keras
  return {name, layer.output_shape(in.shape), true};
}

Value global_pooling2d(Graph& g, layers::GlobalPooling2D& layer, const Value& in, bool max) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const Shape out = layer.output_shape(in.shape);
  if (layer.options().keepdims) {  // (N, C, 1, 1) is (N, 1, 1, C) channels first
    g.node(max ? "GlobalMaxPool" : "GlobalAveragePool", {x.name}, name);
    return {name, out, true};
  }
  const std::string pooled = name + (max ? "/GlobalMaxPool" : "/GlobalAveragePool");
  g.node(max ? "GlobalMaxPool" : "GlobalAveragePool", {x.name}, pooled);
  attr(g.node("Flatten", {pooled}, name), "axis", int64_t{1});  // (N, C, 1, 1) -> (N, C)
  return {name, out, false};
}

Value batch_normalization(Graph& g, layers::BatchNormalization& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);  // ONNX normalises axis 1
  const layers::BatchNormalizationOptions& o = layer.options();
  const Tensor mean = weight(layer, "moving_mean"), variance = weight(layer, "moving_variance");
  const int64_t c = mean.size();
  // Without scale (center), the factor (offset) is the constant one (zero): ONNX's node needs both inputs.
  const Tensor gamma = weight(layer, "gamma"), beta = weight(layer, "beta");
  const auto constant = [&](float v) { return std::vector<float>(static_cast<size_t>(c), v); };
  const std::string scale = o.scale ? g.floats(name + "/gamma", {c}, values(gamma))
                                    : g.floats(name + "/ones", {c}, constant(1.0f));
  const std::string offset = o.center ? g.floats(name + "/beta", {c}, values(beta))
                                      : g.floats(name + "/zeros", {c}, constant(0.0f));
  onnx::NodeProto& n = g.node("BatchNormalization",
                              {x.name, scale, offset, g.floats(name + "/moving_mean", {c}, values(mean)),
                               g.floats(name + "/moving_variance", {c}, values(variance))},
                              name);
  attr(n, "epsilon", static_cast<float>(o.epsilon));
  attr(n, "momentum", static_cast<float>(o.momentum));  // for training only; ONNX Runtime's inference ignores it
  return {name, in.shape, x.channels_first};
}

Value zero_padding2d(Graph& g, layers::ZeroPadding2D& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::Edges2D& p = layer.padding();
  // (N, C, H, W): begins of the four axes, then ends.
  const std::string pads = g.ints(name + "/pads", {0, 0, p.top, p.left, 0, 0, p.bottom, p.right});
  attr(g.node("Pad", {x.name, pads}, name), "mode", std::string("constant"));
  return {name, layer.output_shape(in.shape), true};
}

Value cropping2d(Graph& g, layers::Cropping2D& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::Edges2D& c = layer.cropping();
  g.node("Slice",
         {x.name, g.ints(name + "/starts", {c.top, c.left}),
          g.ints(name + "/ends", {in.shape[0] - c.bottom, in.shape[1] - c.right}), g.ints(name + "/axes", {2, 3})},
         name);
  return {name, layer.output_shape(in.shape), true};
}

Value upsampling2d(Graph& g, layers::UpSampling2D& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const layers::Size2D s = layer.size();
  const std::string scales =
      g.floats(name + "/scales", {4}, {1.0f, 1.0f, static_cast<float>(s.height), static_cast<float>(s.width)});
  onnx::NodeProto& n = g.node("Resize", {x.name, "", scales}, name);  // "": no region of interest
  if (layer.options().interpolation == "bilinear") {
    // Output row i reads input row (i + 0.5) / size_h - 0.5, clamped: tf.image.resize's bilinear, as RandomCrop's.
    attr(n, "mode", std::string("linear"));
    attr(n, "coordinate_transformation_mode", std::string("half_pixel"));
  } else {
    // Output pixel (i, j) reads input (floor(i / size_h), floor(j / size_w)): each pixel repeated, as Keras' nearest.
    attr(n, "mode", std::string("nearest"));
    attr(n, "coordinate_transformation_mode", std::string("asymmetric"));
    attr(n, "nearest_mode", std::string("floor"));
  }
  return {name, layer.output_shape(in.shape), true};
}

// RandomCrop at inference: the centered window (Slice), resized bilinearly with half-pixel centers to the target when
// the window is not already its size (Resize linear, half_pixel: tf.image.resize without antialiasing).
Value random_crop(Graph& g, layers::RandomCrop& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_first(g, in, name);
  const ops::Margins2D c = layer.center_window(in.shape[0], in.shape[1]);
  const Shape out = layer.output_shape(in.shape);
  const bool resize = in.shape[0] - c.top - c.bottom != out[0] || in.shape[1] - c.left - c.right != out[1];
  const std::string cropped = resize ? name + "/Slice" : name;
  g.node("Slice",
         {x.name, g.ints(name + "/starts", {c.top, c.left}),
          g.ints(name + "/ends", {in.shape[0] - c.bottom, in.shape[1] - c.right}), g.ints(name + "/axes", {2, 3})},
         cropped);
  if (resize) {
    // sizes (N, C, height, width), N read from the input: Shape -> Slice [0, 2) -> Concat with the fixed (height, width).
    g.node("Shape", {cropped}, name + "/shape");
    g.node("Slice", {name + "/shape", g.ints(name + "/nc_start", {0}), g.ints(name + "/nc_end", {2})}, name + "/nc");
    attr(g.node("Concat", {name + "/nc", g.ints(name + "/hw", {out[0], out[1]})}, name + "/sizes"), "axis", int64_t{0});
    onnx::NodeProto& n = g.node("Resize", {cropped, "", "", name + "/sizes"}, name);  // "": no roi, no scales
    attr(n, "mode", std::string("linear"));
    attr(n, "coordinate_transformation_mode", std::string("half_pixel"));
  }
  return {name, out, true};
}

Value rescaling(Graph& g, layers::Rescaling& layer, const Value& x) {
  const std::string& name = layer.name();
  const double offset = layer.options().offset;
  // x * float(scale), then + float(offset): the two float roundings of the layer's forward.
  const std::string scaled = offset == 0.0 ? name : name + "/Mul";
  g.node("Mul", {x.name, g.scalar(name + "/scale", static_cast<float>(layer.scale()))}, scaled);
  if (offset != 0.0) g.node("Add", {scaled, g.scalar(name + "/offset", static_cast<float>(offset))}, name);
  return {name, x.shape, x.channels_first};
}

Value flatten(Graph& g, layers::Flatten& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_last(g, in, name + "/Transpose");  // Keras' H, W, C order
  attr(g.node("Flatten", {x.name}, name), "axis", int64_t{1});
  return {name, layer.output_shape(in.shape), false};
}

Value reshape(Graph& g, layers::Reshape& layer, const Value& in) {
  const std::string& name = layer.name();
  const Value x = channels_last(g, in, name + "/Transpose");  // Keras reshapes its own row-major order
  const Shape out = layer.output_shape(in.shape);
  std::vector<int64_t> dims = {0};  // 0: the input's batch dimension, copied
  dims.insert(dims.end(), out.begin(), out.end());
  g.node("Reshape", {x.name, g.ints(name + "/shape", dims)}, name);
  return {name, out, false};
}

// One layer's nodes after `x`; returns the layer's output value.
Value export_layer(Graph& g, Layer& layer, const Value& x) {
  const std::string cls = layer.class_name();
  const std::string& name = layer.name();
  if (cls == "Conv2D") return conv2d(g, dynamic_cast<layers::Conv2D&>(layer), x);
  if (cls == "DepthwiseConv2D") return depthwise_conv2d(g, dynamic_cast<layers::DepthwiseConv2D&>(layer), x);
  if (cls == "SeparableConv2D") return separable_conv2d(g, dynamic_cast<layers::SeparableConv2D&>(layer), x);
  if (cls == "Conv2DTranspose") return conv2d_transpose(g, dynamic_cast<layers::Conv2DTranspose&>(layer), x);
  if (cls == "LayerNormalization")
    return layer_normalization(g, dynamic_cast<layers::LayerNormalization&>(layer), x);
  if (cls == "Dense") return dense(g, dynamic_cast<layers::Dense&>(layer), x);
  if (cls == "MaxPooling2D" || cls == "AveragePooling2D")
    return pooling2d(g, dynamic_cast<layers::Pooling2D&>(layer), x, cls == "MaxPooling2D");
  if (cls == "GlobalAveragePooling2D" || cls == "GlobalMaxPooling2D")
    return global_pooling2d(g, dynamic_cast<layers::GlobalPooling2D&>(layer), x, cls == "GlobalMaxPooling2D");
  if (cls == "BatchNormalization") return batch_normalization(g, dynamic_cast<layers::BatchNormalization&>(layer), x);
  if (cls == "ZeroPadding2D") return zero_padding2d(g, dynamic_cast<layers::ZeroPadding2D&>(layer), x);
  if (cls == "Cropping2D") return cropping2d(g, dynamic_cast<layers::Cropping2D&>(layer), x);
  if (cls == "UpSampling2D") return upsampling2d(g, dynamic_cast<layers::UpSampling2D&>(layer), x);
  if (cls == "Rescaling") return rescaling(g, dynamic_cast<layers::Rescaling&>(layer), x);
  if (cls == "Flatten") return flatten(g, dynamic_cast<layers::Flatten&>(layer), x);
  if (cls == "Reshape") return reshape(g, dynamic_cast<layers::Reshape&>(layer), x);
  if (cls == "RandomCrop") return random_crop(g, dynamic_cast<layers::RandomCrop&>(layer), x);
  // Dropout and the other augmentation layers are the identity at inference; an InputLayer only declares the input.
  if (cls == "Dropout" || cls == "InputLayer" || cls == "RandomFlip" || cls == "RandomContrast" ||
      cls == "RandomTranslation" || cls == "RandomRotation" || cls == "RandomZoom")
    return x;
  if (cls == "Activation" || cls == "ELU" || cls == "ReLU" || cls == "Softmax") {
    activations::Activation a = activations::relu();
    if (cls == "Activation") a = dynamic_cast<layers::Activation&>(layer).activation();
    if (cls == "ELU") a = activations::elu(dynamic_cast<layers::ELU&>(layer).alpha());
    if (cls == "Softmax") a = activations::softmax();
    if (a.is_linear()) {
      g.node("Identity", {x.name}, name);
    } else {
      activation(g, a, x, name, name);
    }
    return {name, x.shape, x.channels_first};
  }
  throw Error(layer.label() + ": layer class " + cls +
              " cannot be exported to ONNX (elucid writes no ONNX nodes for it)");
}

bool is_merge(const Layer& layer) {
  const std::string cls = layer.class_name();
  return cls == "Add" || cls == "Subtract" || cls == "Multiply" || cls == "Average" || cls == "Maximum" ||
         cls == "Concatenate";
}

// A merge layer's node over its inputs. The elementwise ones bring every input to the first one's layout (a Transpose
// named LAYER/inputI/Transpose where it differs) and give that layout: Add as Sum, Subtract as Sub, Average as Mean,
// Maximum as Max, Multiply as a chain of Mul (LAYER/Mul1, ..., the last named LAYER). Concatenate joins channels
// first along axis 1 when every input has them there and Keras' axis is the channels'; else in Keras' order.
Value export_merge(Graph& g, Layer& layer, const std::vector<Value>& in) {
  const std::string cls = layer.class_name();
  const std::string& name = layer.name();
  std::vector<Shape> shapes(in.size());
  std::transform(in.begin(), in.end(), shapes.begin(), [](const Value& v) { return v.shape; });
  const Shape out = layer.output_shape_of(shapes);
  const auto input_name = [&](size_t i) { return name + "/input" + std::to_string(i); };
  if (cls == "Concatenate") {
    const auto rank = static_cast<int64_t>(in[0].shape.size()) + 1;  // Keras' axis counts the batch
    int64_t axis = dynamic_cast<layers::Concatenate&>(layer).options().axis;
    if (axis < 0) axis += rank;
    const bool first = axis == rank - 1 && std::all_of(in.begin(), in.end(), [](const Value& v) { return v.channels_first; });
    std::vector<std::string> names;
    for (size_t i = 0; i < in.size(); ++i)
      names.push_back(first ? in[i].name : channels_last(g, in[i], input_name(i) + "/Transpose").name);
    attr(g.node("Concat", names, name), "axis", first ? int64_t{1} : axis);
    return {name, out, first};
  }
  const bool first = in[0].channels_first;
  std::vector<std::string> names;
  for (size_t i = 0; i < in.size(); ++i)
    names.push_back(first ? channels_first(g, in[i], input_name(i)).name
                          : channels_last(g, in[i], input_name(i) + "/Transpose").name);
  if (cls == "Add") g.node("Sum", names, name);
  else if (cls == "Subtract") g.node("Sub", names, name);
  else if (cls == "Average") g.node("Mean", names, name);
  else if (cls == "Maximum") g.node("Max", names, name);
  else {  // Multiply: ONNX's Mul takes two
    std::string product = names[0];
    for (size_t i = 1; i < names.size(); ++i) {
      const std::string next = i + 1 == names.size() ? name : name + "/Mul" + std::to_string(i);
      g.node("Mul", {product, names[i]}, next);
      product = next;
    }
  }
  return {name, out, first};
}

// Renames a value everywhere: the node that writes it (and the node's name) and every node that reads it. Returns
// false, renaming nothing, when no node writes it (the value is a graph input).
bool rename_value(onnx::GraphProto& proto, const std::string& from, const std::string& to) {
  const auto& nodes = proto.node();
  const bool written = std::any_of(nodes.begin(), nodes.end(), [&](const onnx::NodeProto& n) {
    return std::find(n.output().begin(), n.output().end(), from) != n.output().end();
  });
  if (!written) return false;
  for (onnx::NodeProto& n : *proto.mutable_node()) {
    for (std::string& out : *n.mutable_output())
      if (out == from) {
        out = to;
        n.set_name(to);
      }
    for (std::string& in : *n.mutable_input())
      if (in == from) in = to;
  }
  return true;
}

// A float32 tensor type (batch, dims...) with the batch dimension symbolic.
void tensor_type(onnx::ValueInfoProto& v, const std::string& name, const Shape& sample) {
  v.set_name(name);
  onnx::TypeProto_Tensor& t = *v.mutable_type()->mutable_tensor_type();
  t.set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto& s = *t.mutable_shape();
  s.add_dim()->set_dim_param("batch");
  for (int64_t d : sample) s.add_dim()->set_dim_value(d);
}

// The model's output `output` from x, in Keras' layout: a Transpose back to channels last takes the name (the layer's
// own node, if it had it, is renamed LAYER/channels_first). Returns x as it then stands (named `output` when
// transposed).
Value channels_last_output(Graph& g, onnx::GraphProto& proto, Value x, const std::string& output) {
  if (!x.channels_first || x.shape.size() < 2) return x;
  if (x.name == output && rename_value(proto, output, output + "/channels_first")) x.name = output + "/channels_first";
  return channels_last(g, x, output);
}

// A Sequential model's graph: its input, each layer's nodes in turn, its output.
void sequential_graph(onnx::GraphProto& proto, const Sequential& model) {
  if (!model.built())
    throw Error("export_onnx: the model \"" + model.name() + "\" is not built; give its first layer an input_shape");
  if (model.layers().empty()) throw Error("export_onnx: the model \"" + model.name() + "\" has no layers");
  Graph g(proto);

  // The input's name is Keras' InputLayer's, as the model's Keras JSON names it ("conv2d_input", "input_1").
  const std::string input = keras::input_layer_name(model);
  tensor_type(*proto.add_input(), input, model.input_shape());

  Value x{input, model.input_shape(), false};
  for (const auto& layer : model.layers()) x = export_layer(g, *layer, x);

  // The output: Keras' layout, named after the last layer; the node that wrote another name (the layer below a final
  // Dropout) is renamed, or an Identity writes it when no node did (the input itself).
  const std::string output = model.layers().back()->name();
  x = channels_last_output(g, proto, x, output);
  if (x.name != output && !rename_value(proto, x.name, output)) g.node("Identity", {x.name}, output);
  tensor_type(*proto.add_output(), output, model.output_shape());
}

// A Functional model's graph: an input per InputLayer (named as it), each call's nodes in the model's order (every
// call after those it takes its inputs from), an output per model output, named after its layer, in Keras' layout.
// A layer called more than once (shared) is refused: its nodes and weights would be written twice under one name.
void functional_graph(onnx::GraphProto& proto, const Functional& model) {
  Graph g(proto);
  std::map<const layers::Node*, Value> values;
  for (const auto& node : model.nodes()) {
    Layer& layer = *node->layer;
    if (model.node_index(*node) > 0)
      throw Error(layer.label() + ": a layer called more than once (shared) cannot be exported to ONNX so far");
    if (node->inputs.empty()) {  // an input
      tensor_type(*proto.add_input(), layer.name(), node->shape);
      values[node.get()] = {layer.name(), node->shape, false};
      continue;
    }
    std::vector<Value> in;
    for (const layers::KerasTensor& x : node->inputs) in.push_back(values.at(x.node().get()));
    values[node.get()] = is_merge(layer) ? export_merge(g, layer, in) : export_layer(g, layer, in.at(0));
  }
  std::vector<std::string> named;
  for (const layers::KerasTensor& out : model.outputs()) {
    const std::string output = out.node()->layer->name();
    if (std::find(named.begin(), named.end(), output) != named.end())
      throw Error("export_onnx: the model \"" + model.name() + "\" gives the output of layer \"" + output + "\" twice");
    named.push_back(output);
    const Value x = channels_last_output(g, proto, values.at(out.node().get()), output);
    if (x.name != output) g.node("Identity", {x.name}, output);
    tensor_type(*proto.add_output(), output, out.shape());
  }
}
}  // namespace

std::string onnx_model_bytes(const train::Trainer& model) {
  const auto* sequential = dynamic_cast<const Sequential*>(&model);
  const auto* functional = dynamic_cast<const Functional*>(&model);
  if (!sequential && !functional) throw Error("export_onnx: only Sequential and Functional models can be exported to ONNX");
  onnx::ModelProto m;
  m.set_ir_version(onnx::IR_VERSION);
  m.set_producer_name("elucid");
  m.set_producer_version(version);
  onnx::OperatorSetIdProto& opset = *m.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  onnx::GraphProto& proto = *m.mutable_graph();
  proto.set_name(model.name());
  if (sequential) {
    sequential_graph(proto, *sequential);
  } else {
    functional_graph(proto, *functional);
  }

  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error("export_onnx: ONNX's checker rejects the graph of \"" + model.name() + "\": " + e.what());
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes))
    throw Error("export_onnx: the graph of \"" + model.name() + "\" does not serialize");
  return bytes;
}

void export_onnx(const train::Trainer& model, const std::string& path) {
  write_file_atomically(path, onnx_model_bytes(model));
}

}  // namespace elucid
