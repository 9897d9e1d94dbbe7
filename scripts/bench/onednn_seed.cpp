// Reference: the seed model (the Keras ELU example) trained with oneDNN primitives (Debian libdnnl-dev 2.6), the
// library under the frameworks, for scripts/bench/anchors.sh.
//
//   onednn_seed DIR SAMPLES BATCH THREADS [--bf16] [--check] [--verbose]
//   g++ -O2 -std=c++17 onednn_seed.cpp -o onednn_seed -ldnnl -fopenmp
//
// DIR holds the unpacked IDX files of Fashion-MNIST (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte). The program trains one pass over the first SAMPLES training images
// in shuffled batches of BATCH (the last partial batch dropped) on THREADS OpenMP threads, timed from the first step to
// the end of the last (no warm-up step; primitive creation and weight initialisation are outside the clock), then
// predicts the 10,000 test images (not timed) and prints one line:
//   samples_per_s=X test_acc=Y loss=Z        (Z: the mean of the pass's batch losses)
// --bf16     the compute primitives take and give bfloat16 (activations, weights, their gradients between layers);
//            the master weights, their gradients, Adam and the loss stay float32, and the weights are reordered to
//            bfloat16 at the start of each step (Keras' mixed_bfloat16: dense2's bfloat16 logits are reordered to
//            float32 for the loss, its float32 gradient back to bfloat16).
// --check    before training, compares the gradient of every weight and bias tensor with central finite differences
//            of the loss (a few elements each, float32 only) and prints the relative errors to stderr.
// --verbose  prints the implementation oneDNN picked for each primitive and each reorder the layouts need, to stderr
//            (DNNL_VERBOSE=1 in the environment shows every execution with its memory formats and time).
//
// The model, in oneDNN's logical NCHW order (batch N = BATCH):
//   x      (N, 1, 28, 28)   the images / 255
//   conv1  (N, 32, 26, 26)  Conv2D 32, 3x3, valid, then ELU (alpha 1)
//   pool1  (N, 32, 13, 13)  MaxPooling2D 2x2
//   conv2  (N, 64, 11, 11)  Conv2D 64, 3x3, then ELU
//   pool2  (N, 64, 5, 5)    MaxPooling2D 2x2 (the odd row and column dropped, as Keras' 'valid')
//   conv3  (N, 64, 3, 3)    Conv2D 64, 3x3, then ELU
//   dense1 (N, 64)          Dense 64 on the flattened 576 values, then ELU
//   dense2 (N, 10)          Dense 10: the logits
// Loss: sparse softmax cross-entropy from the logits, mean over the batch. Adam (lr 1e-3, beta_1 0.9, beta_2 0.999,
// epsilon 1e-7) in Keras' form. Weights Glorot-uniform, biases zero.
//
// How oneDNN is used: every convolution and inner product is created with format_tag::any, so oneDNN picks its
// layouts (blocked ones, nChw16c and the like), and a reorder is put in only where one primitive's output layout is
// not the next one's input layout. Each weight lives in the layout its backward-weights primitive writes the gradient
// in (Adam is elementwise: the layout does not matter to it), so in float32 the forward reads the master weights
// directly unless it wants another layout. ELU runs in place and its backward uses its output
// (eltwise_elu_use_dst_for_bwd); max pooling keeps a workspace for its backward. All primitives and buffers are made
// once, before the loop; a step is: the batch into the input buffer, the weight reorders (bfloat16), the forward list,
// the loss loop, the backward list, the Adam loop.
// The convolution algorithm, chosen per layer by measuring (DNNL_VERBOSE=1) on an AVX-512 machine: Winograd for conv2
// (its forward took half the time of the direct one), direct for conv1 (one input channel: Winograd's transforms cost
// more than they save; its forward took 7 times as long) and conv3 (a 3x3 output fills one 4x4 tile in part). That
// trained about 20% faster than every layer direct, and about 10% faster than convolution_auto, which picks Winograd
// for conv1 too. bfloat16 has no Winograd in oneDNN 2.6: every layer is direct there.
#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// ---- Fashion-MNIST ----

// An IDX file: big-endian magic (its last byte the number of dimensions), the sizes, then uint8 values.
std::vector<uint8_t> read_idx(const std::string& path, std::vector<int64_t>& dims) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  auto be32 = [&] {
    unsigned char b[4];
    f.read(reinterpret_cast<char*>(b), 4);
    return int64_t(b[0]) << 24 | int64_t(b[1]) << 16 | int64_t(b[2]) << 8 | int64_t(b[3]);
  };
  const int64_t nd = be32() & 0xff;
  int64_t n = 1;
  dims.clear();
  for (int64_t i = 0; i < nd; i++) dims.push_back(be32()), n *= dims.back();
  std::vector<uint8_t> v(static_cast<size_t>(n));
  f.read(reinterpret_cast<char*>(v.data()), n);
  if (!f) throw std::runtime_error(path + ": truncated");
  return v;
}

struct Images {
  std::vector<uint8_t> pixels;  // (count, 28, 28)
  std::vector<uint8_t> labels;  // (count)
  int64_t count = 0;
};

Images load(const std::string& dir, const std::string& prefix) {
  Images d;
  std::vector<int64_t> dims;
  d.pixels = read_idx(dir + "/" + prefix + "-images-idx3-ubyte", dims);
  if (dims.size() != 3 || dims[1] != 28 || dims[2] != 28) throw std::runtime_error(prefix + ": not 28x28 images");
  d.count = dims[0];
  d.labels = read_idx(dir + "/" + prefix + "-labels-idx1-ubyte", dims);
  if (dims.size() != 1 || dims[0] != d.count) throw std::runtime_error(prefix + ": labels do not match the images");
  return d;
}

// ---- the network: lists of primitives with their arguments ----

engine eng(engine::kind::cpu, 0);
bool verbose = false;

struct Step {
  primitive p;
  std::unordered_map<int, memory> args;
};
using Net = std::vector<Step>;

void run(const Net& net, stream& s) {
  for (const Step& step : net) step.p.execute(s, step.args);
  s.wait();
}

template <class PD>
void show(const std::string& what, const PD& pd) {
  if (verbose) std::fprintf(stderr, "%-30s %s\n", what.c_str(), pd.impl_info_str());
}

// `have` in the layout and type `want`: `have` itself when it already is, else a new buffer filled by a reorder that is
// appended to `net` (so it runs at that point of every step).
memory as(const memory& have, const memory::desc& want, Net& net, const std::string& what) {
  if (have.get_desc() == want) return have;
  memory out(want, eng);
  reorder::primitive_desc pd(eng, have.get_desc(), eng, want);
  show(what, pd);
  net.push_back({reorder(pd), {{DNNL_ARG_FROM, have}, {DNNL_ARG_TO, out}}});
  return out;
}

// A plain (row-major) float32 descriptor of `dims`: the layout of the user's buffers.
memory::desc plain(const memory::dims& dims, dt type = dt::f32) {
  static const tag tags[] = {tag::undef, tag::a, tag::ab, tag::abc, tag::abcd};
  return memory::desc(dims, type, tags[dims.size()]);
}

float* floats(const memory& m) { return static_cast<float*>(m.get_data_handle()); }
size_t float_count(const memory& m) { return m.get_desc().get_size() / sizeof(float); }

// One trainable tensor: float32 master values, in the layout of the gradient the backward-weights primitive writes, so
// Adam runs over two buffers of the same layout (a blocked layout's padding included: its gradient is 0, it stays 0).
struct Param {
  std::string name;            // "conv1/kernel", "conv1/bias", ...
  memory value, grad;          // float32
  std::vector<float> m, v;     // Adam's moments, one per element of value's buffer
  memory compute;              // what the forward primitive reads: `value`, or a reorder of it (bfloat16, layout)
};

std::mt19937 rng(0);

// A Param in layout `grad_desc`, Glorot-uniform (limit sqrt(6 / (fan_in + fan_out))) or zero when fan_in is 0. The
// values are drawn in the plain layout and reordered into grad_desc, which zero-fills any padding.
Param make_param(const std::string& name, const memory::desc& grad_desc, int64_t fan_in, int64_t fan_out) {
  Param p{name, memory(grad_desc, eng), memory(grad_desc, eng), {}, {}, {}};
  memory user(plain(grad_desc.dims()), eng);
  const float limit = fan_in ? std::sqrt(6.0f / float(fan_in + fan_out)) : 0.0f;
  std::uniform_real_distribution<float> u(-limit, limit);
  for (size_t i = 0; i < float_count(user); i++) floats(user)[i] = fan_in ? u(rng) : 0.0f;
  stream s(eng);
  reorder(user, p.value).execute(s, user, p.value);
  s.wait();
  p.m.assign(float_count(p.value), 0.0f);
  p.v.assign(float_count(p.value), 0.0f);
  return p;
}

struct Model {
  dt type;       // f32, or bf16 with --bf16
  int64_t batch;
  Net refresh;   // the weights into the compute primitives' layout and type (empty in float32 when none is needed)
  Net forward, backward;
  std::vector<Param*> params;
  memory x;        // (N, 1, 28, 28) float32, plain: the batch goes here
  memory logits;   // (N, 10) float32, plain: the loss reads it (dense2's output, or a reorder of it)
  memory dlogits;  // (N, 10) float32, plain: the loss writes its gradient here
};

// A layer's kernel w (Glorot-uniform over fan_in and fan_out) and bias b (zeros), in the layouts of the gradients
// bwd_w writes; what the forward fwd reads is reordered from them at the start of each step when its layout or type
// differs. Both join m's parameters.
template <class ForwardPD, class WeightsPD>
void make_layer_params(Model& m, const std::string& name, const ForwardPD& fwd, const WeightsPD& bwd_w,
                       int64_t fan_in, int64_t fan_out, Param& w, Param& b) {
  w = make_param(name + "/kernel", bwd_w.diff_weights_desc(), fan_in, fan_out);
  b = make_param(name + "/bias", bwd_w.diff_bias_desc(), 0, 0);
  w.compute = as(w.value, fwd.weights_desc(), m.refresh, name + " weights reorder");
  b.compute = as(b.value, fwd.bias_desc(), m.refresh, name + " bias reorder");
  m.params.push_back(&w), m.params.push_back(&b);
}

// ELU's backward from its output y, in place on diff (laid out as desc): diff = diff * (y > 0 ? 1 : y + 1).
void push_elu_backward(Model& m, const std::string& name, const memory::desc& desc,
                       const eltwise_forward::primitive_desc& elu, const memory& y, const memory& diff) {
  eltwise_backward::primitive_desc elu_b({algorithm::eltwise_elu_use_dst_for_bwd, desc, desc, 1.0f}, eng, elu);
  show(name + " elu backward", elu_b);
  m.backward.push_back(
      {eltwise_backward(elu_b), {{DNNL_ARG_DST, y}, {DNNL_ARG_DIFF_DST, diff}, {DNNL_ARG_DIFF_SRC, diff}}});
}

// Conv2D 3x3, stride 1, valid, with bias, then ELU. forward() appends to the forward list and returns the output;
// backward() appends to the backward list and returns the input gradient (none for the first layer).
struct Conv {
  std::string name;
  bool first;  // the first layer: no input gradient
  Param w, b;
  convolution_forward::primitive_desc fwd;
  convolution_backward_weights::primitive_desc bwd_w;
  convolution_backward_data::primitive_desc bwd_d;
  eltwise_forward::primitive_desc elu;
  memory src, dst;  // the input in the layout the forward takes; the output (ELU'd in place)

  // winograd: try Winograd's F(4x4, 3x3) first (float32 on AVX-512 only in oneDNN 2.6), direct when there is none.
  Conv(Model& m, const std::string& layer, const memory::dims& in, int64_t filters, bool first_layer, bool winograd)
      : name(layer), first(first_layer) {
    const memory::dims strides = {1, 1}, pad = {0, 0};
    const memory::dims wdims = {filters, in[1], 3, 3}, out = {in[0], filters, in[2] - 2, in[3] - 2};
    const memory::desc src_any(in, m.type, tag::any), w_any(wdims, m.type, tag::any), b_f32({filters}, dt::f32, tag::a),
        dst_any(out, m.type, tag::any);
    // the three primitives with `algo`; false when oneDNN has no implementation of one of them
    auto create = [&](algorithm algo) {
      fwd = {{prop_kind::forward_training, algo, src_any, w_any, b_f32, dst_any, strides, pad, pad}, eng, true};
      if (!fwd) return false;
      // the weight gradients in float32 whatever the activations' type
      bwd_w = {{algo, src_any, memory::desc(wdims, dt::f32, tag::any), b_f32, dst_any, strides, pad, pad}, eng, fwd,
               true};
      if (!first) bwd_d = {{algo, src_any, w_any, dst_any, strides, pad, pad}, eng, fwd, true};
      return bool(bwd_w) && (first || bool(bwd_d));
    };
    if (!(winograd && create(algorithm::convolution_winograd)) && !create(algorithm::convolution_direct))
      throw std::runtime_error(name + ": no convolution implementation");
    elu = {{prop_kind::forward_training, algorithm::eltwise_elu_use_dst_for_bwd, fwd.dst_desc(), 1.0f}, eng};
    show(name, fwd), show(name + " backward weights", bwd_w), show(name + " elu", elu);
    if (!first) show(name + " backward data", bwd_d);
    make_layer_params(m, name, fwd, bwd_w, in[1] * 9, filters * 9, w, b);
  }

  memory forward(Model& m, const memory& input) {
    src = as(input, fwd.src_desc(), m.forward, name + " input reorder");
    dst = memory(fwd.dst_desc(), eng);
    m.forward.push_back({convolution_forward(fwd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w.compute},
                                                     {DNNL_ARG_BIAS, b.compute}, {DNNL_ARG_DST, dst}}});
    m.forward.push_back({eltwise_forward(elu), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}}});
    return dst;
  }

  memory backward(Model& m, const memory& diff_out) {
    memory diff = as(diff_out, fwd.dst_desc(), m.backward, name + " gradient reorder");
    push_elu_backward(m, name, fwd.dst_desc(), elu, dst, diff);
    // weight and bias gradients: dW = sum over the batch of input (x) diff, db = sum of diff
    m.backward.push_back({convolution_backward_weights(bwd_w),
                          {{DNNL_ARG_SRC, as(src, bwd_w.src_desc(), m.backward, name + " input reorder")},
                           {DNNL_ARG_DIFF_DST, as(diff, bwd_w.diff_dst_desc(), m.backward, name + " gradient reorder")},
                           {DNNL_ARG_DIFF_WEIGHTS, w.grad}, {DNNL_ARG_DIFF_BIAS, b.grad}}});
    if (first) return {};
    // the input gradient, for the layer below
    memory diff_in(bwd_d.diff_src_desc(), eng);
    m.backward.push_back({convolution_backward_data(bwd_d),
                          {{DNNL_ARG_DIFF_DST, as(diff, bwd_d.diff_dst_desc(), m.backward, name + " gradient reorder")},
                           {DNNL_ARG_WEIGHTS,
                            as(w.compute, bwd_d.weights_desc(), m.backward, name + " weights reorder")},
                           {DNNL_ARG_DIFF_SRC, diff_in}}});
    return diff_in;
  }
};

// MaxPooling2D 2x2, stride 2, valid: the forward keeps a workspace (where each maximum was) for the backward.
struct Pool {
  std::string name;
  pooling_forward::primitive_desc fwd;
  memory workspace;

  explicit Pool(const std::string& layer) : name(layer) {}

  memory forward(Model& m, const memory& input) {
    const memory::dims in = input.get_desc().dims(), out = {in[0], in[1], in[2] / 2, in[3] / 2};
    fwd = {{prop_kind::forward_training, algorithm::pooling_max, input.get_desc(),
            memory::desc(out, m.type, tag::any), {2, 2}, {2, 2}, {0, 0}, {0, 0}},
           eng};
    show(name, fwd);
    workspace = memory(fwd.workspace_desc(), eng);
    memory dst(fwd.dst_desc(), eng);
    m.forward.push_back({pooling_forward(fwd), {{DNNL_ARG_SRC, input}, {DNNL_ARG_DST, dst},
                                                {DNNL_ARG_WORKSPACE, workspace}}});
    return dst;
  }

  // the gradient goes to the maximum of each window, 0 elsewhere
  memory backward(Model& m, const memory& diff_out) {
    pooling_backward::primitive_desc bwd({algorithm::pooling_max, fwd.src_desc(), fwd.dst_desc(), {2, 2}, {2, 2},
                                          {0, 0}, {0, 0}},
                                         eng, fwd);
    show(name + " backward", bwd);
    memory diff_in(bwd.diff_src_desc(), eng);
    m.backward.push_back({pooling_backward(bwd),
                          {{DNNL_ARG_DIFF_DST,
                            as(diff_out, bwd.diff_dst_desc(), m.backward, name + " gradient reorder")},
                           {DNNL_ARG_DIFF_SRC, diff_in}, {DNNL_ARG_WORKSPACE, workspace}}});
    return diff_in;
  }
};

// Dense: an inner product, optionally followed by ELU. Its input may be 4-D (conv3's output): oneDNN then flattens it
// itself, the weights (units, C, H, W) in whatever layout matches the input's (the order of the 576 flattened values
// does not matter to a freshly initialised layer).
struct Dense {
  std::string name;
  Param w, b;
  inner_product_forward::primitive_desc fwd;
  inner_product_backward_weights::primitive_desc bwd_w;
  inner_product_backward_data::primitive_desc bwd_d;
  eltwise_forward::primitive_desc elu;
  bool with_elu;
  memory::desc dst_desc;  // the output's layout and type as the forward gives it
  memory src, dst;

  Dense(Model& m, const std::string& layer, const memory::dims& in, int64_t units, bool elu_after)
      : name(layer), with_elu(elu_after) {
    memory::dims wdims = in;
    wdims[0] = units;
    int64_t fan_in = 1;
    for (size_t i = 1; i < in.size(); i++) fan_in *= in[i];
    const memory::desc src_any(in, m.type, tag::any), w_any(wdims, m.type, tag::any), b_f32({units}, dt::f32, tag::a),
        dst_any({in[0], units}, m.type, tag::any);
    fwd = {{prop_kind::forward_training, src_any, w_any, b_f32, dst_any}, eng};
    bwd_w = {{src_any, memory::desc(wdims, dt::f32, tag::any), b_f32, dst_any}, eng, fwd};
    bwd_d = {{src_any, w_any, dst_any}, eng, fwd};
    show(name, fwd), show(name + " backward weights", bwd_w), show(name + " backward data", bwd_d);
    dst_desc = fwd.dst_desc();
    if (with_elu) {
      elu = {{prop_kind::forward_training, algorithm::eltwise_elu_use_dst_for_bwd, dst_desc, 1.0f}, eng};
      show(name + " elu", elu);
    }
    make_layer_params(m, name, fwd, bwd_w, fan_in, units, w, b);
  }

  memory forward(Model& m, const memory& input) {
    src = as(input, fwd.src_desc(), m.forward, name + " input reorder");
    dst = memory(dst_desc, eng);
    m.forward.push_back({inner_product_forward(fwd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w.compute},
                                                      {DNNL_ARG_BIAS, b.compute}, {DNNL_ARG_DST, dst}}});
    if (with_elu) m.forward.push_back({eltwise_forward(elu), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}}});
    return dst;
  }

  memory backward(Model& m, const memory& diff_out) {
    memory diff = as(diff_out, dst_desc, m.backward, name + " gradient reorder");
    if (with_elu) push_elu_backward(m, name, dst_desc, elu, dst, diff);
    m.backward.push_back({inner_product_backward_weights(bwd_w),
                          {{DNNL_ARG_SRC, as(src, bwd_w.src_desc(), m.backward, name + " input reorder")},
                           {DNNL_ARG_DIFF_DST, as(diff, bwd_w.diff_dst_desc(), m.backward, name + " gradient reorder")},
                           {DNNL_ARG_DIFF_WEIGHTS, w.grad}, {DNNL_ARG_DIFF_BIAS, b.grad}}});
    memory diff_in(bwd_d.diff_src_desc(), eng);
    m.backward.push_back({inner_product_backward_data(bwd_d),
                          {{DNNL_ARG_DIFF_DST, as(diff, bwd_d.diff_dst_desc(), m.backward, name + " gradient reorder")},
                           {DNNL_ARG_WEIGHTS,
                            as(w.compute, bwd_d.weights_desc(), m.backward, name + " weights reorder")},
                           {DNNL_ARG_DIFF_SRC, diff_in}}});
    return diff_in;
  }
};

// The whole seed model: its layers, and the forward and backward lists built from them.
struct Seed : Model {
  Conv conv1;
  Pool pool1;
  Conv conv2;
  Pool pool2;
  Conv conv3;
  Dense dense1, dense2;

  Seed(int64_t n, dt t)
      : Model{t, n, {}, {}, {}, {}, memory(plain({n, 1, 28, 28}), eng), memory(plain({n, 10}), eng),
              memory(plain({n, 10}), eng)},
        conv1(*this, "conv1", {n, 1, 28, 28}, 32, true, false),
        pool1("pool1"),
        conv2(*this, "conv2", {n, 32, 13, 13}, 64, false, true),
        pool2("pool2"),
        conv3(*this, "conv3", {n, 64, 5, 5}, 64, false, false),
        dense1(*this, "dense1", {n, 64, 3, 3}, 64, true),
        dense2(*this, "dense2", {n, 64}, 10, false) {
    // forward: x -> conv1 -> pool1 -> conv2 -> pool2 -> conv3 -> dense1 -> dense2 -> logits (float32, plain)
    memory h = conv1.forward(*this, x);
    h = pool1.forward(*this, h);
    h = conv2.forward(*this, h);
    h = pool2.forward(*this, h);
    h = conv3.forward(*this, h);
    h = dense1.forward(*this, h);
    h = dense2.forward(*this, h);
    logits = as(h, logits.get_desc(), forward, "logits reorder");  // dense2's own output when float32 and plain
    // backward, the other way, from dlogits
    memory d = dense2.backward(*this, dlogits);
    d = dense1.backward(*this, d);
    d = conv3.backward(*this, d);
    d = pool2.backward(*this, d);
    d = conv2.backward(*this, d);
    d = pool1.backward(*this, d);
    conv1.backward(*this, d);
  }
};

// Softmax cross-entropy of logits (N, 10) against labels, mean over the batch; writes its gradient
// (softmax - one_hot) / N into dlogits. Returns the mean loss.
double softmax_cross_entropy(const float* logits, const int* labels, int64_t n, float* dlogits) {
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    const float* z = logits + i * 10;
    float* g = dlogits + i * 10;
    const float top = *std::max_element(z, z + 10);
    double sum = 0;
    for (int k = 0; k < 10; k++) sum += std::exp(double(z[k] - top));
    total += std::log(sum) - double(z[labels[i]] - top);
    for (int k = 0; k < 10; k++) g[k] = float(std::exp(double(z[k] - top)) / sum / double(n));
    g[labels[i]] -= 1.0f / float(n);
  }
  return total / double(n);
}

// Adam in Keras' form, step t (1, 2, ...):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   alpha = lr sqrt(1 - b2^t) / (1 - b1^t);  w -= alpha m / (sqrt(v) + epsilon)
// (epsilon added to the square root, the bias corrections folded into alpha). The loop stays scalar at -O2 (the check
// sqrt makes for errno keeps GCC from vectorising it); it is about 3% of a step at 1 thread.
void adam(Param& p, int64_t t) {
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
  const float alpha = lr * std::sqrt(1.0f - std::pow(b2, float(t))) / (1.0f - std::pow(b1, float(t)));
  float *w = floats(p.value), *m = p.m.data(), *v = p.v.data();
  const float* g = floats(p.grad);
  const int64_t n = static_cast<int64_t>(p.m.size());
#pragma omp parallel for
  for (int64_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    w[i] -= alpha * m[i] / (std::sqrt(v[i]) + eps);
  }
}

// Images first..first+n-1 of `order` (or of the set when order is empty; rows past the end are 0) into x, /255.
void fetch(const Images& d, const std::vector<int64_t>& order, int64_t first, int64_t n, float* x, int* labels) {
  for (int64_t i = 0; i < n; i++) {
    const int64_t k = order.empty() ? first + i : order[first + i];
    if (k >= d.count) {
      std::fill(x + i * 784, x + (i + 1) * 784, 0.0f), labels[i] = 0;
      continue;
    }
    const uint8_t* p = d.pixels.data() + k * 784;
    for (int j = 0; j < 784; j++) x[i * 784 + j] = p[j] * (1.0f / 255.0f);
    labels[i] = d.labels[k];
  }
}

// The loss of the batch in model.x, the weights as they are (the refresh list reorders them for the forward).
double loss_of(Seed& model, stream& s, const std::vector<int>& labels) {
  run(model.refresh, s);
  run(model.forward, s);
  return softmax_cross_entropy(floats(model.logits), labels.data(), model.batch, floats(model.dlogits));
}

// --check: for each weight and bias, its largest-gradient elements and a few random ones against
// (loss(w + h) - loss(w - h)) / 2h, h = 1e-3. Prints the worst relative error of each tensor; returns the worst
// overall.
double check_gradients(Seed& model, stream& s, const std::vector<int>& labels) {
  loss_of(model, s, labels);
  run(model.backward, s);
  double worst = 0;
  for (Param* p : model.params) {
    std::vector<float> g(floats(p->grad), floats(p->grad) + float_count(p->grad));  // the backward's gradient
    std::vector<size_t> idx(g.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + 4, idx.end(),
                      [&](size_t a, size_t b) { return std::fabs(g[a]) > std::fabs(g[b]); });
    idx.resize(4);
    std::uniform_int_distribution<size_t> any(0, g.size() - 1);
    for (int k = 0; k < 4; k++) idx.push_back(any(rng));
    double worst_here = 0;
    const double largest = std::fabs(g[idx[0]]);
    for (size_t i : idx) {
      float& w = floats(p->value)[i];
      const float keep = w, above = keep + 1e-3f, below = keep - 1e-3f;
      w = above;
      const double up = loss_of(model, s, labels);
      w = below;
      const double down = loss_of(model, s, labels);
      w = keep;
      const double numeric = (up - down) / (double(above) - double(below));
      // relative to the tensor's largest gradient, so near-zero elements do not blow up the ratio
      const double err = std::fabs(numeric - g[i]) / std::max(largest, 1e-6);
      worst_here = std::max(worst_here, err);
      if (verbose)
        std::fprintf(stderr, "  %-14s [%6zu] backward % .6e  finite difference % .6e\n", p->name.c_str(), i, g[i],
                     numeric);
    }
    std::fprintf(stderr, "check %-14s largest |gradient| %.3e, worst error %.2e of it\n", p->name.c_str(), largest,
                 worst_here);
    worst = std::max(worst, worst_here);
  }
  loss_of(model, s, labels);
  return worst;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> pos;
  bool bf16 = false, check = false;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--bf16") bf16 = true;
    else if (a == "--check") check = true;
    else if (a == "--verbose") verbose = true;
    else pos.push_back(a);
  }
  if (pos.size() != 4) {
    std::fprintf(stderr, "usage: onednn_seed DIR SAMPLES BATCH THREADS [--bf16] [--check] [--verbose]\n");
    return 2;
  }
  const std::string dir = pos[0];
  const int64_t samples = std::stoll(pos[1]), batch = std::stoll(pos[2]);
  const int threads = std::stoi(pos[3]);
  if (check && bf16) throw std::runtime_error("--check is for float32 (bfloat16's rounding is larger than the test)");
  omp_set_num_threads(threads);  // Debian's oneDNN runs on OpenMP: its team is this size

  const Images train = load(dir, "train"), test = load(dir, "t10k");
  const int64_t n = std::min(samples, train.count), steps = n / batch;
  if (steps < 1) throw std::runtime_error("SAMPLES must be at least BATCH");

  Seed model(batch, bf16 ? dt::bf16 : dt::f32);
  stream s(eng);
  std::vector<int> labels(static_cast<size_t>(batch));

  if (check) {
    fetch(train, {}, 0, batch, floats(model.x), labels.data());
    const double worst = check_gradients(model, s, labels);
    std::fprintf(stderr, "check: worst relative error %.2e (%s)\n", worst, worst < 1e-2 ? "ok" : "TOO LARGE");
    if (worst >= 1e-2) return 1;
  }

  // the pass: a fixed shuffle of the first n images
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(1));
  double loss_sum = 0, window_start = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < steps; step++) {
    fetch(train, order, step * batch, batch, floats(model.x), labels.data());
    run(model.refresh, s);  // the master weights to the forward's layout and type (bf16); nothing in plain float32
    run(model.forward, s);
    loss_sum += softmax_cross_entropy(floats(model.logits), labels.data(), batch, floats(model.dlogits));
    run(model.backward, s);
    for (Param* p : model.params) adam(*p, step + 1);
    if (verbose && (step + 1) % 100 == 0)  // the loss falls: the mean of each 100 steps
      std::fprintf(stderr, "steps %ld-%ld: mean loss %.4f\n", long(step - 98), long(step + 1),
                   (loss_sum - window_start) / 100.0),
          window_start = loss_sum;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // test accuracy: the forward at the same batch, the last batch padded with blank images that are not counted
  run(model.refresh, s);
  int64_t correct = 0;
  for (int64_t first = 0; first < test.count; first += batch) {
    fetch(test, {}, first, batch, floats(model.x), labels.data());
    run(model.forward, s);
    for (int64_t i = 0; i < batch && first + i < test.count; i++) {
      const float* z = floats(model.logits) + i * 10;
      correct += (std::max_element(z, z + 10) - z) == labels[i];
    }
  }
  std::printf("samples_per_s=%.1f test_acc=%.4f loss=%.4f\n", double(steps * batch) / seconds,
              double(correct) / double(test.count), loss_sum / double(steps));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "onednn_seed: %s\n", e.what());
  return 1;
}
