// conv2d (core/ops/conv.cpp, core/kernels/conv.cpp) against a direct-loop double convolution: batch 1, odd sizes,
// strides, same padding with odd and even kernels, dilation, no bias, groups; bit-identical results at 1 and 2 threads;
// conv2d_elu (the fused convolution + ELU) against elu of the reference, and bit for bit against elu(conv2d);
// conv2d_max_pool (the fused convolution + max-pooling) against the reference's pooling, and bit for bit against
// max_pool2d(conv2d);
// both with bf16 products (Keras' mixed_bfloat16) against double loops over bf16-rounded operands; the 3x3 same and
// valid convolutions of whole vectors of channels that run as Winograd's F(4x4, 3x3) (core/kernels/winograd.hpp).
#include "support/bf16_testing.hpp"
#include "support/grad_check.hpp"
#include "support/same_bits.hpp"

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/gemm_avx512.hpp>
#include <elucid/core/kernels/winograd.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/ops/fused.hpp>
#include <elucid/core/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace elucid;
using grad_check::Vec;

namespace {
struct ConvCase {
  Shape x;         // (N, H, W, C)
  int kh, kw, f;
  ops::Conv2DArgs args;
  bool bias;
};

// Output size and leading padding along one axis, straight from Keras / TensorFlow's definitions.
struct Axis {
  int64_t out, pad;
};
Axis axis(int64_t in, int k, int s, int d, ops::Padding p) {
  const int64_t span = (k - 1) * d + 1;
  if (p == ops::Padding::Valid) return {(in - span) / s + 1, 0};
  const int64_t out = (in + s - 1) / s;
  return {out, std::max<int64_t>((out - 1) * s + span - in, 0) / 2};
}

// in = {x, kernel (KH, KW, C / G, F), bias?}, G = args.groups, group q = f / (F / G) of output channel f:
// y[n, oh, ow, f] = b[f] + sum_{i, j, c < C / G} x[n, oh*s - pad + i*d, ow*s - pad + j*d, q * C / G + c] w[i, j, c, f]
grad_check::RefFn conv_ref(const ConvCase& cc) {
  return [cc](const std::vector<Vec>& in) {
    const int64_t n = cc.x[0], h = cc.x[1], w = cc.x[2], c = cc.x[3] / cc.args.groups, fg = cc.f / cc.args.groups;
    const Axis ah = axis(h, cc.kh, cc.args.stride_h, cc.args.dilation_h, cc.args.padding);
    const Axis aw = axis(w, cc.kw, cc.args.stride_w, cc.args.dilation_w, cc.args.padding);
    Vec y(static_cast<size_t>(n * ah.out * aw.out * cc.f), 0.0);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t oh = 0; oh < ah.out; ++oh)
        for (int64_t ow = 0; ow < aw.out; ++ow)
          for (int64_t f = 0; f < cc.f; ++f) {
            double acc = cc.bias ? in[2][f] : 0.0;
            for (int64_t i = 0; i < cc.kh; ++i)
              for (int64_t j = 0; j < cc.kw; ++j) {
                const int64_t ih = oh * cc.args.stride_h - ah.pad + i * cc.args.dilation_h;
                const int64_t iw = ow * cc.args.stride_w - aw.pad + j * cc.args.dilation_w;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                for (int64_t ch = 0; ch < c; ++ch)
                  acc += in[0][((s * h + ih) * w + iw) * cc.x[3] + f / fg * c + ch] *
                         in[1][((i * cc.kw + j) * c + ch) * cc.f + f];
              }
            y[((s * ah.out + oh) * aw.out + ow) * cc.f + f] = acc;
          }
    return y;
  };
}

void check_conv(const ConvCase& cc, Shape want_out, const grad_check::Options& options = {}) {
  INFO("conv2d x " << to_string(cc.x) << " kernel " << cc.kh << "x" << cc.kw << " -> " << cc.f << ", strides ("
                   << cc.args.stride_h << ", " << cc.args.stride_w << "), dilation (" << cc.args.dilation_h << ", "
                   << cc.args.dilation_w << "), " << (cc.args.padding == ops::Padding::Same ? "same" : "valid"));
  INFO("groups " << cc.args.groups);
  std::vector<Tensor> inputs{grad_check::random_tensor(cc.x, 50),
                             grad_check::random_tensor({cc.kh, cc.kw, cc.x[3] / cc.args.groups, cc.f}, 51)};
  inputs.push_back(cc.bias ? grad_check::random_tensor({cc.f}, 52) : Tensor());
  const ops::Conv2DArgs args = cc.args;
  auto op = [args](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], in[2], args); };
  CHECK(op(inputs).shape() == want_out);
  grad_check::check_gradients("conv2d", inputs, op, conv_ref(cc), options);
}

ops::Conv2DArgs conv_args(int sh, int sw, ops::Padding p, int dh = 1, int dw = 1, int groups = 1) {
  ops::Conv2DArgs a;
  a.stride_h = sh;
  a.stride_w = sw;
  a.padding = p;
  a.dilation_h = dh;
  a.dilation_w = dw;
  a.groups = groups;
  return a;
}
constexpr auto kValid = ops::Padding::Valid;
constexpr auto kSame = ops::Padding::Same;

// y = conv(x, w, b) and the gradients dx, dW, db after the backward of a weighted sum of y (weights uniform in
// [-1, 1] from `seed`): the four results the bit-for-bit tests compare.
struct ConvResults {
  std::vector<float> y, dx, dw, db;
};
ConvResults results_after_backward(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y, uint64_t seed) {
  Vec weights(static_cast<size_t>(y.size()));
  Random rng(seed);
  for (double& v : weights) v = rng.uniform(-1, 1);
  grad_check::weighted_sum(y, weights).backward();
  return {test::values_of(y), test::values_of(x.grad()), test::values_of(w.grad()), test::values_of(b.grad())};
}
void check_same_bits(const ConvResults& a, const ConvResults& b) {
  CHECK(test::same_bits(a.y, b.y));
  CHECK(test::same_bits(a.dx, b.dx));
  CHECK(test::same_bits(a.dw, b.dw));
  CHECK(test::same_bits(a.db, b.db));
}
}  // namespace

GRAD_TEST("conv2d", "batch 1, valid, 3x3 on one channel", "[ops][conv]") {
  check_conv({{1, 5, 5, 1}, 3, 3, 3, conv_args(1, 1, kValid), true}, {1, 3, 3, 3});
}

GRAD_TEST("conv2d", "odd sizes, stride 2, valid", "[ops][conv]") {
  check_conv({{2, 7, 6, 3}, 3, 3, 4, conv_args(2, 2, kValid), true}, {2, 3, 2, 4});
  check_conv({{2, 6, 5, 2}, 1, 3, 3, conv_args(2, 1, kValid), false}, {2, 3, 3, 3});
}

GRAD_TEST("conv2d", "same padding, odd kernel 3x3 and stride 2", "[ops][conv]") {
  check_conv({{2, 5, 5, 2}, 3, 3, 3, conv_args(1, 1, kSame), true}, {2, 5, 5, 3});
  check_conv({{1, 6, 5, 2}, 3, 3, 2, conv_args(2, 2, kSame), true}, {1, 3, 3, 2});
}

GRAD_TEST("conv2d", "same padding, even kernels 2x2 and 4x4 (extra pad at bottom and right)", "[ops][conv]") {
  check_conv({{2, 5, 4, 2}, 2, 2, 3, conv_args(1, 1, kSame), true}, {2, 5, 4, 3});
  check_conv({{1, 7, 6, 2}, 4, 4, 2, conv_args(2, 2, kSame), false}, {1, 4, 3, 2});
}

GRAD_TEST("conv2d", "dilation 2, valid and same", "[ops][conv]") {
  check_conv({{2, 7, 7, 2}, 3, 3, 2, conv_args(1, 1, kValid, 2, 2), true}, {2, 3, 3, 2});
  check_conv({{1, 6, 7, 2}, 3, 2, 3, conv_args(1, 1, kSame, 2, 2), true}, {1, 6, 7, 3});
  check_conv({{1, 7, 5, 2}, 3, 2, 2, conv_args(1, 1, kValid, 2, 1), true}, {1, 3, 4, 2});  // rows dilated only
}

GRAD_TEST("conv2d", "groups 2, 3 and C: stride, same padding, dilation, no bias", "[ops][conv]") {
  check_conv({{2, 6, 5, 4}, 3, 3, 6, conv_args(2, 1, kSame, 1, 1, 2), true}, {2, 3, 5, 6});
  check_conv({{1, 7, 7, 6}, 3, 2, 3, conv_args(1, 1, kValid, 2, 1, 3), false}, {1, 3, 6, 3});
  check_conv({{2, 5, 4, 4}, 2, 2, 8, conv_args(1, 2, kSame, 1, 1, 4), true}, {2, 5, 2, 8});  // one channel per group
  check_conv({{1, 6, 6, 4}, 3, 3, 2, conv_args(2, 2, kSame, 2, 2, 2), true}, {1, 3, 3, 2});  // stride and dilation
}

// 3x3, strides 1, C and F multiples of 16, tiles covering at most twice the outputs: on an AVX-512 CPU the
// forward, the input gradient and the weight gradient run as Winograd's F(4x4, 3x3) (core/kernels/winograd.hpp), with
// same padding and with valid, the input gradient on the forward's tiles (their windows overlap). Sizes that are not
// multiples of 4 leave the last tiles partly outside the image; F of 16 takes product tiles of one vector, F of 32
// of two. (The sizes are the smallest that suit: the finite differences of the double
// reference grow with the inputs times the outputs.)
kernels::Conv2DGeometry winograd_geometry(const Shape& x, int64_t f, int64_t pad) {
  return {.n = x[0], .h = x[1], .w = x[2], .c = x[3], .kh = 3, .kw = 3, .f = f, .oh = x[1] + 2 * pad - 2,
          .ow = x[2] + 2 * pad - 2, .stride_h = 1, .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .pad_top = pad,
          .pad_left = pad};
}

GRAD_TEST("conv2d", "3x3 by Winograd's F(4x4, 3x3): same and valid padding, partial tiles, bias, F 16 and 32",
          "[ops][conv]") {
  // F(4x4, 3x3) rounds to about 4e-6 of the outputs' largest value, not of each output (kernels/winograd.hpp); these
  // outputs reach about 10 (16 or 32 channels times 9 taps of values in [-1, 1]), so the forward's absolute
  // tolerance is 1e-4 instead of 1e-5. A wrong transform is off by about the outputs' size.
  grad_check::Options winograd_options;
  winograd_options.forward = {1e-4, 1e-5};
  const ConvCase cases[] = {
      {{1, 7, 7, 16}, 3, 3, 16, conv_args(1, 1, kSame), true},    // 2x2 tiles, the last ones 3/4 inside
      {{1, 4, 4, 16}, 3, 3, 32, conv_args(1, 1, kSame), false},   // one tile
      {{1, 10, 10, 16}, 3, 3, 16, conv_args(1, 1, kValid), true},  // 8x8 outputs in 2x2 tiles, whole
      {{1, 5, 5, 16}, 3, 3, 32, conv_args(1, 1, kValid), true},    // 3x3 outputs in one tile; its window's last row
                                                                    // and column outside the image
  };
  for (const ConvCase& cc : cases) {
    const int64_t pad = cc.args.padding == kSame ? 1 : 0;
    CHECK(kernels::winograd_suits(winograd_geometry(cc.x, cc.f, pad)) == kernels::sgemm_avx512_suits(1, 16, 16));
    check_conv(cc, {cc.x[0], cc.x[1] + 2 * pad - 2, cc.x[2] + 2 * pad - 2, cc.f}, winograd_options);
  }
  // The seed model's third convolution, 5x5x64 -> 3x3x64, one tile of 16 outputs for 9, runs as Winograd, and so
  // does its input gradient, on that tile; as a full convolution of its own (5x5 outputs in 2x2 tiles, 64 for 25)
  // it would not suit.
  const bool avx512 = kernels::sgemm_avx512_suits(1, 16, 16);
  CHECK(kernels::winograd_suits(winograd_geometry({32, 5, 5, 64}, 64, 0)) == avx512);
  CHECK_FALSE(kernels::winograd_suits(winograd_geometry({32, 3, 3, 64}, 64, 2)));
}

TEST_CASE("Winograd's outputs do not depend on the chunk or block their tiles fall in", "[ops][conv]") {
  // 20 images of 10x10 (9 tiles each, the last row and column half outside): chunks of 16 images and 4, blocks of 48
  // tiles across images. Each image alone must give the same bits, forward and input gradient.
  constexpr int64_t kImages = 20;
  Tensor x = grad_check::random_tensor({kImages, 10, 10, 16}, 94);
  const Tensor w = grad_check::random_tensor({3, 3, 16, 32}, 95, -1, 1, false);
  const Tensor b = grad_check::random_tensor({32}, 96, -1, 1, false);
  const ConvResults all = results_after_backward(x, w, b, ops::conv2d(x, w, b, conv_args(1, 1, kSame)), 97);
  const int64_t per_image = 10 * 10 * 16, out_per_image = 10 * 10 * 32;
  Vec weights(static_cast<size_t>(kImages * out_per_image));
  Random rng(97);  // the weights results_after_backward drew
  for (double& v : weights) v = rng.uniform(-1, 1);
  for (int64_t s = 0; s < kImages; ++s) {
    INFO("image " << s);
    Tensor one({1, 10, 10, 16});
    std::copy(x.data() + s * per_image, x.data() + (s + 1) * per_image, one.data());
    one.set_requires_grad(true);
    const Tensor y = ops::conv2d(one, w, b, conv_args(1, 1, kSame));
    const std::vector<float> y_all(all.y.begin() + s * out_per_image, all.y.begin() + (s + 1) * out_per_image);
    CHECK(test::same_bits(test::values_of(y), y_all));
    grad_check::weighted_sum(y, Vec(weights.begin() + s * out_per_image, weights.begin() + (s + 1) * out_per_image))
        .backward();
    const std::vector<float> dx_all(all.dx.begin() + s * per_image, all.dx.begin() + (s + 1) * per_image);
    CHECK(test::same_bits(test::values_of(one.grad()), dx_all));
  }
}

TEST_CASE("conv2d places the extra same-padding row at the bottom, as TensorFlow", "[ops][conv]") {
  // A 2x2 all-ones kernel over a 3x3 image with values 1..9, same padding: pad_total 1, all of it at the bottom
  // and right, so output (0, 0) sums x[0..1, 0..1] = 1 + 2 + 4 + 5 and output (2, 2) is x[2, 2] alone.
  Tensor x({1, 3, 3, 1}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor y = ops::conv2d(x, Tensor::ones({2, 2, 1, 1}), Tensor(), conv_args(1, 1, kSame));
  CHECK(y.shape() == Shape{1, 3, 3, 1});
  CHECK(y.at({0, 0, 0, 0}) == 12);
  CHECK(y.at({0, 2, 2, 0}) == 9);
  CHECK(y.at({0, 1, 2, 0}) == 6 + 9);
}

TEST_CASE("window_output_size follows Keras for valid and same", "[ops][conv]") {
  CHECK(ops::window_output_size(28, 3, 1, 1, kValid) == 26);
  CHECK(ops::window_output_size(26, 2, 2, 1, kValid) == 13);
  CHECK(ops::window_output_size(13, 2, 2, 1, kValid) == 6);  // floor rounding
  CHECK(ops::window_output_size(13, 2, 2, 1, kSame) == 7);   // ceil(13 / 2)
  CHECK(ops::window_output_size(7, 3, 1, 2, kValid) == 3);   // dilated window spans 5
  CHECK(ops::window_output_size(2, 3, 1, 1, kValid) == 0);
  CHECK_THROWS_WITH(ops::window_output_size(5, 0, 1, 1, kValid),
                    "window_output_size: window 0, stride 1 and dilation 1 must all be >= 1");
}

TEST_CASE("conv2d rejects bad shapes naming input and kernel", "[ops][conv]") {
  const Tensor none;
  CHECK_THROWS_WITH(ops::conv2d(Tensor({2, 5, 5, 3}), Tensor({3, 3, 4, 8}), none, {}),
                    "conv2d: input (2, 5, 5, 3) and kernel (3, 3, 4, 8): the input has 3 channels, the kernel "
                    "expects 4");
  CHECK_THROWS_WITH(ops::conv2d(Tensor({1, 2, 2, 1}), Tensor({3, 3, 1, 1}), none, {}),
                    "conv2d: input (1, 2, 2, 1) and kernel (3, 3, 1, 1): the kernel does not fit in the input with "
                    "valid padding");
  CHECK_THROWS_WITH(ops::conv2d(Tensor({5, 5}), Tensor({3, 3, 1, 1}), none, {}),
                    "conv2d: input (5, 5) must have rank 4 (N, H, W, C)");
  CHECK_THROWS_WITH(ops::conv2d(Tensor({1, 5, 5, 1}), Tensor({3, 3, 1, 2}), Tensor({3}), {}),
                    "conv2d: kernel (3, 3, 1, 2) and bias (3,): the bias must have shape (2,)");
  CHECK_THROWS_WITH(ops::conv2d(Tensor({1, 5, 5, 1}), Tensor({3, 3, 1, 2}), none, conv_args(0, 1, kValid)),
                    "conv2d: strides (0, 1) and dilation (1, 1) must be >= 1");
  // groups: the input's channels are the kernel's per group times the groups, which divide the filters.
  CHECK_THROWS_WITH(ops::conv2d(Tensor({1, 5, 5, 6}), Tensor({3, 3, 2, 4}), none, conv_args(1, 1, kValid, 1, 1, 2)),
                    "conv2d: input (1, 5, 5, 6) and kernel (3, 3, 2, 4): the input has 6 channels, the kernel expects "
                    "4 (2 per group, 2 groups)");
  CHECK_THROWS_WITH(ops::conv2d(Tensor({1, 5, 5, 4}), Tensor({3, 3, 2, 3}), none, conv_args(1, 1, kValid, 1, 1, 2)),
                    "conv2d: kernel (3, 3, 2, 3): groups 2 does not divide its 3 filters");
  CHECK_THROWS_WITH(ops::conv2d(Tensor({1, 5, 5, 4}), Tensor({3, 3, 2, 4}), none, conv_args(1, 1, kValid, 1, 1, 0)),
                    "conv2d: groups 0 must be >= 1");
  CHECK_THROWS_WITH(ops::depthwise_conv2d(Tensor({1, 5, 5, 4}), Tensor({3, 3, 4, 1}), none,
                                          conv_args(1, 1, kValid, 1, 1, 2)),
                    "depthwise_conv2d: groups 2 is not supported (only 1)");
  CHECK_THROWS_WITH(ops::conv2d_transpose(Tensor({1, 5, 5, 4}), Tensor({3, 3, 2, 4}), none,
                                          conv_args(1, 1, kValid, 1, 1, 2)),
                    "conv2d_transpose: groups 2 is not supported (only 1)");
}

TEST_CASE("grouped conv2d gives each group the bits of conv2d on its slices alone, at 1 and 2 threads",
          "[ops][conv][threads]") {
  // 16 samples of 9x9 make several batch chunks in each group's kernel call. Groups 4: channels 12 -> filters 8.
  constexpr int64_t kGroups = 4, kC = 12, kF = 8, kCg = kC / kGroups, kFg = kF / kGroups;
  // Channels [first, first + count) of the last axis of t, as a new tensor (no gradient).
  auto slice = [](const Tensor& t, int64_t first, int64_t count) {
    Shape shape = t.shape();
    const int64_t last = shape.back(), rows = t.size() / last;
    shape.back() = count;
    Tensor out(shape);
    for (int64_t r = 0; r < rows; ++r)
      std::copy(t.data() + r * last + first, t.data() + r * last + first + count, out.data() + r * count);
    return out;
  };
  const ops::Conv2DArgs args = conv_args(2, 1, kSame, 1, 2, kGroups);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor x = grad_check::random_tensor({16, 9, 9, kC}, 90);
    Tensor w = grad_check::random_tensor({3, 3, kCg, kF}, 91);
    Tensor b = grad_check::random_tensor({kF}, 92);
    return results_after_backward(x, w, b, ops::conv2d(x, w, b, args), 93);
  };
  const ConvResults one = run(1), two = run(2);
  set_num_threads(0);
  check_same_bits(one, two);
  // Group q alone: conv2d of x's channels [q * 3, q * 3 + 3) with the kernel's and bias' columns [q * 2, q * 2 + 2).
  Tensor x = grad_check::random_tensor({16, 9, 9, kC}, 90, -1, 1, false);
  Tensor w = grad_check::random_tensor({3, 3, kCg, kF}, 91, -1, 1, false);
  Tensor b = grad_check::random_tensor({kF}, 92, -1, 1, false);
  ops::Conv2DArgs plain = args;
  plain.groups = 1;
  const Tensor y = ops::conv2d(x, w, b, args);
  for (int64_t q = 0; q < kGroups; ++q) {
    INFO("group " << q);
    const Tensor alone = ops::conv2d(slice(x, q * kCg, kCg), slice(w, q * kFg, kFg), slice(b, q * kFg, kFg), plain);
    CHECK(test::values_of(slice(y, q * kFg, kFg)) == test::values_of(alone));
  }
}

TEST_CASE("conv2d forward and backward are bit-identical at 1 and 2 threads", "[ops][conv][threads]") {
  // Samples of 10x10 in several batch chunks, so the per-chunk sums of dW and db are exercised. C channels in and F out:
  // 16 samples of 8 -> 16 the direct kernels (chunks of 4), 40 of 16 -> 32 Winograd's F(4x4, 3x3) on an AVX-512 CPU
  // (chunks of 16, 16 and 8).
  auto run = [](int threads, int64_t n, int64_t c, int64_t f, uint64_t seed) {
    set_num_threads(threads);
    Tensor x = grad_check::random_tensor({n, 10, 10, c}, seed);
    Tensor w = grad_check::random_tensor({3, 3, c, f}, seed + 1);
    Tensor b = grad_check::random_tensor({f}, seed + 2);
    return results_after_backward(x, w, b, ops::conv2d(x, w, b, conv_args(1, 1, kSame)), seed + 3);
  };
  const ConvResults one = run(1, 16, 8, 16, 60), two = run(2, 16, 8, 16, 60);
  const ConvResults winograd_one = run(1, 40, 16, 32, 64), winograd_two = run(2, 40, 16, 32, 64);
  set_num_threads(0);
  check_same_bits(one, two);
  check_same_bits(winograd_one, winograd_two);
}

TEST_CASE("conv2d with same padding gives the bits of valid padding over the zero-padded input", "[ops][conv]") {
  // The same-padding kernels read a zero-padded copy of each chunk's images (or im2col columns holding the same
  // zeros): y, dW, db and the input gradient must be those of an explicit zero_pad2d and a valid convolution.
  struct SameCase {
    Shape x;
    int kh, kw, f, stride, dilation;
  };
  const SameCase cases[] = {
      {{3, 9, 9, 8}, 3, 3, 16, 1, 1},    // the residual block's convolution, in small
      {{2, 7, 6, 4}, 4, 4, 8, 1, 1},     // even kernel: the extra row and column at the bottom and right
      {{2, 9, 8, 3}, 3, 3, 5, 2, 1},     // stride 2
      {{2, 8, 8, 2}, 3, 3, 4, 1, 2},     // dilation 2 (im2col columns)
      {{40, 5, 5, 4}, 3, 3, 4, 1, 1},    // several chunks of samples
  };
  for (const SameCase& sc : cases) {
    INFO("x " << to_string(sc.x) << " kernel " << sc.kh << "x" << sc.kw << " -> " << sc.f << ", stride " << sc.stride
              << ", dilation " << sc.dilation);
    const Axis ah = axis(sc.x[1], sc.kh, sc.stride, sc.dilation, kSame);
    const Axis aw = axis(sc.x[2], sc.kw, sc.stride, sc.dilation, kSame);
    const int64_t span_h = (sc.kh - 1) * sc.dilation + 1, span_w = (sc.kw - 1) * sc.dilation + 1;
    const ops::Margins2D margins{ah.pad, (ah.out - 1) * sc.stride + span_h - sc.x[1] - ah.pad, aw.pad,
                                 (aw.out - 1) * sc.stride + span_w - sc.x[2] - aw.pad};
    auto run = [&](bool explicit_padding) {
      Tensor x = grad_check::random_tensor(sc.x, 70);
      Tensor w = grad_check::random_tensor({sc.kh, sc.kw, sc.x[3], sc.f}, 71);
      Tensor b = grad_check::random_tensor({sc.f}, 72);
      Tensor y = explicit_padding
                     ? ops::conv2d(ops::zero_pad2d(x, margins), w, b,
                                   conv_args(sc.stride, sc.stride, kValid, sc.dilation, sc.dilation))
                     : ops::conv2d(x, w, b, conv_args(sc.stride, sc.stride, kSame, sc.dilation, sc.dilation));
      return results_after_backward(x, w, b, y, 73);
    };
    const ConvResults same = run(false), padded = run(true);
    CHECK(test::same_bits(same.y, padded.y));
    CHECK(test::same_bits(same.dw, padded.dw));
    CHECK(test::same_bits(same.db, padded.db));
    // With strides 1 and dilation_w 1 the same-padding input gradient is a convolution of dy (below), the valid one
    // col2im's sums: other rounding, the same values.
    REQUIRE(same.dx.size() == padded.dx.size());
    for (size_t i = 0; i < same.dx.size(); ++i) CHECK(std::fabs(same.dx[i] - padded.dx[i]) <= 1e-5f);
  }
}

TEST_CASE("conv2d's input gradient with strides 1 and same padding is one FMA chain per element over dy",
          "[ops][conv]") {
  // dx[n, ih, iw, c] = the chain, from 0, of fmaf(dy[n, ih + pad_top - i * dh, iw + pad_left - j * dw, f], w[i, j, c, f])
  // over i from KH - 1 down to 0, j from KW - 1 down to 0, then f (dy zero outside its image); a second convolution
  // of the same x adds its own chain to it. Bits, not a tolerance: the kernel's documented order.
  struct ChainCase {
    Shape x;
    int kh, kw, f, dilation_h;
  };
  const ChainCase cases[] = {
      {{2, 6, 5, 3}, 3, 3, 4, 1},    // pad 1 all round
      {{2, 5, 4, 2}, 2, 2, 3, 1},    // even kernel: no pad at the top, one at the bottom
      {{1, 7, 6, 2}, 3, 2, 5, 2},    // rows dilated
      {{40, 5, 5, 3}, 3, 3, 2, 1},   // several chunks of samples
  };
  for (const ChainCase& cc : cases) {
    INFO("x " << to_string(cc.x) << " kernel " << cc.kh << "x" << cc.kw << " -> " << cc.f << ", dilation_h "
              << cc.dilation_h);
    const int64_t n = cc.x[0], h = cc.x[1], w = cc.x[2], c = cc.x[3];
    const int64_t pad_top = axis(h, cc.kh, 1, cc.dilation_h, kSame).pad, pad_left = axis(w, cc.kw, 1, 1, kSame).pad;
    Tensor x = grad_check::random_tensor(cc.x, 80);
    const Tensor kernels[] = {grad_check::random_tensor({cc.kh, cc.kw, c, cc.f}, 81),
                              grad_check::random_tensor({cc.kh, cc.kw, c, cc.f}, 82)};
    const ops::Conv2DArgs args = conv_args(1, 1, kSame, cc.dilation_h, 1);
    Vec weights[2];
    Tensor loss;
    for (int q = 0; q < 2; ++q) {
      const Tensor y = ops::conv2d(x, kernels[q], Tensor(), args);
      weights[q].resize(static_cast<size_t>(y.size()));
      Random rng(static_cast<uint64_t>(83 + q));
      for (double& v : weights[q]) v = rng.uniform(-1, 1);
      const Tensor part = grad_check::weighted_sum(y, weights[q]);
      loss = q == 0 ? part : ops::add(loss, part);
    }
    loss.backward();
    // chain(q, ...): the FMA chain of convolution q for one element of dx.
    auto chain = [&](int q, int64_t s, int64_t ih, int64_t iw, int64_t ch) {
      const float* kw = kernels[q].data();
      float acc = 0.0f;
      for (int64_t i = cc.kh - 1; i >= 0; --i)
        for (int64_t j = cc.kw - 1; j >= 0; --j)
          for (int64_t f = 0; f < cc.f; ++f) {
            const int64_t oh = ih + pad_top - i * cc.dilation_h, ow = iw + pad_left - j;
            const float dy = oh >= 0 && oh < h && ow >= 0 && ow < w
                                 ? static_cast<float>(weights[q][static_cast<size_t>(((s * h + oh) * w + ow) * cc.f + f)])
                                 : 0.0f;
            acc = std::fmaf(dy, kw[((i * cc.kw + j) * c + ch) * cc.f + f], acc);
          }
      return acc;
    };
    std::vector<float> want(static_cast<size_t>(x.size()));
    for (int64_t s = 0; s < n; ++s)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw)
          for (int64_t ch = 0; ch < c; ++ch)
            want[static_cast<size_t>(((s * h + ih) * w + iw) * c + ch)] =
                chain(0, s, ih, iw, ch) + chain(1, s, ih, iw, ch);
    CHECK(test::same_bits(test::values_of(x.grad()), want));
  }
}

// ---- conv2d_elu: the fused convolution + bias + ELU ----

namespace {
// elu(conv_ref(...)) in double: v > 0 ? v : alpha * expm1(v).
grad_check::RefFn conv_elu_ref(const ConvCase& cc, double alpha) {
  return [conv = conv_ref(cc), alpha](const std::vector<Vec>& in) {
    Vec y = conv(in);
    for (double& v : y) v = v > 0 ? v : alpha * std::expm1(v);
    return y;
  };
}

void check_conv_elu(const ConvCase& cc, float alpha) {
  INFO("conv2d_elu x " << to_string(cc.x) << " kernel " << cc.kh << "x" << cc.kw << " -> " << cc.f << ", alpha "
                       << alpha);
  std::vector<Tensor> inputs{grad_check::random_tensor(cc.x, 70),
                             grad_check::random_tensor({cc.kh, cc.kw, cc.x[3] / cc.args.groups, cc.f}, 71)};
  inputs.push_back(cc.bias ? grad_check::random_tensor({cc.f}, 72) : Tensor());
  const ops::Conv2DArgs args = cc.args;
  auto op = [args, alpha](const std::vector<Tensor>& in) { return ops::conv2d_elu(in[0], in[1], in[2], args, alpha); };
  grad_check::check_gradients("conv2d_elu", inputs, op, conv_elu_ref(cc, alpha));
}
}  // namespace

GRAD_TEST("conv2d_elu", "valid and same, alpha 1 and 0.5, with and without bias", "[ops][conv]") {
  check_conv_elu({{2, 6, 5, 3}, 3, 3, 4, conv_args(1, 1, kValid), true}, 1.0f);
  check_conv_elu({{2, 5, 5, 2}, 3, 3, 3, conv_args(2, 2, kSame), false}, 1.0f);
  check_conv_elu({{1, 6, 6, 2}, 3, 3, 3, conv_args(1, 1, kValid), true}, 0.5f);
}

GRAD_TEST("conv2d_elu", "groups 2 and 3, same padding, stride and dilation", "[ops][conv]") {
  check_conv_elu({{2, 6, 5, 4}, 3, 3, 4, conv_args(2, 1, kSame, 1, 1, 2), true}, 1.0f);
  check_conv_elu({{1, 7, 6, 3}, 2, 3, 6, conv_args(1, 1, kValid, 2, 1, 3), false}, 0.5f);
}

TEST_CASE("conv2d_elu gives the same bits as elu of conv2d, at 1 and 2 threads, grouped or not",
          "[ops][conv][threads]") {
  // 16 samples of 9x9 make several batch chunks; both paths and both thread counts must agree to the bit.
  for (const int groups : {1, 2}) {
    INFO("groups " << groups);
    auto run = [groups](int threads, bool fused) {
      set_num_threads(threads);
      const ops::Conv2DArgs args = conv_args(1, 1, kSame, 1, 1, groups);
      Tensor x = grad_check::random_tensor({16, 9, 9, 8}, 80);
      Tensor w = grad_check::random_tensor({3, 3, 8 / groups, 16}, 81);
      Tensor b = grad_check::random_tensor({16}, 82);
      Tensor y = fused ? ops::conv2d_elu(x, w, b, args, 0.7f) : ops::elu(ops::conv2d(x, w, b, args), 0.7f);
      Vec weights(static_cast<size_t>(y.size()));
      Random rng(83);
      for (double& v : weights) v = rng.uniform(-1, 1);
      grad_check::weighted_sum(y, weights).backward();
      std::vector<float> all;
      for (const Tensor& t : {y, x.grad(), w.grad(), b.grad()})
        all.insert(all.end(), t.values().begin(), t.values().end());
      return all;
    };
    const std::vector<float> reference = run(1, false);
    for (int threads : {1, 2})
      for (bool fused : {false, true}) {
        INFO(threads << " threads, " << (fused ? "fused" : "elu of conv2d"));
        const std::vector<float> got = run(threads, fused);
        CHECK(test::same_bits(got, reference));
      }
  }
  set_num_threads(0);
}

TEST_CASE("conv2d_elu rejects bad shapes and alpha naming itself", "[ops][conv]") {
  CHECK_THROWS_WITH(ops::conv2d_elu(Tensor({2, 5, 5, 3}), Tensor({3, 3, 4, 8}), Tensor(), {}),
                    "conv2d_elu: input (2, 5, 5, 3) and kernel (3, 3, 4, 8): the input has 3 channels, the kernel "
                    "expects 4");
  CHECK_THROWS_WITH(ops::conv2d_elu(Tensor({1, 5, 5, 1}), Tensor({3, 3, 1, 2}), Tensor(), {}, -1.0f),
                    "conv2d_elu: alpha must be finite and >= 0, got -1.000000");
}

// ---- conv2d_max_pool: the fused convolution + bias + max-pooling ----

namespace {
// Max-pooling of disjoint windows (strides = the pool size, valid padding) over conv_ref's (N, OH, OW, F) in double.
grad_check::RefFn conv_max_pool_ref(const ConvCase& cc, int pool) {
  return [conv = conv_ref(cc), cc, pool](const std::vector<Vec>& in) {
    const Vec y = conv(in);
    const int64_t n = cc.x[0], f = cc.f;
    const Axis ah = axis(cc.x[1], cc.kh, cc.args.stride_h, cc.args.dilation_h, cc.args.padding);
    const Axis aw = axis(cc.x[2], cc.kw, cc.args.stride_w, cc.args.dilation_w, cc.args.padding);
    const int64_t ph = ah.out / pool, pw = aw.out / pool;
    Vec out(static_cast<size_t>(n * ph * pw * f), -INFINITY);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < ph * pool; ++i)
        for (int64_t j = 0; j < pw * pool; ++j)
          for (int64_t c = 0; c < f; ++c) {
            double& o = out[static_cast<size_t>(((s * ph + i / pool) * pw + j / pool) * f + c)];
            o = std::max(o, y[static_cast<size_t>(((s * ah.out + i) * aw.out + j) * f + c)]);
          }
    return out;
  };
}

ops::Pool2DArgs disjoint_pool(int size) {
  ops::Pool2DArgs a;
  a.pool_h = a.pool_w = size;
  return a;
}
}  // namespace

GRAD_TEST("conv2d_max_pool", "2x2 and 3x3 windows, odd sizes (a row and column no window covers), bias or not",
          "[ops][conv]") {
  const ConvCase cases[] = {{{2, 7, 6, 3}, 3, 3, 4, conv_args(1, 1, kValid), true},   // 5x4 -> 2x2
                            {{1, 6, 6, 2}, 3, 3, 5, conv_args(1, 1, kSame), false},   // 6x6 -> 3x3 (3x3 windows: 2x2)
                            {{2, 9, 8, 2}, 2, 3, 3, conv_args(2, 1, kSame), true}};  // 5x8 -> 2x4
  for (const ConvCase& cc : cases)
    for (const int pool : {2, 3}) {
      INFO("conv2d_max_pool x " << to_string(cc.x) << " -> " << cc.f << ", windows " << pool << "x" << pool);
      std::vector<Tensor> inputs{grad_check::random_tensor(cc.x, 90),
                                 grad_check::random_tensor({cc.kh, cc.kw, cc.x[3], cc.f}, 91)};
      inputs.push_back(cc.bias ? grad_check::random_tensor({cc.f}, 92) : Tensor());
      const ops::Conv2DArgs args = cc.args;
      auto op = [args, pool](const std::vector<Tensor>& in) {
        return ops::conv2d_max_pool(in[0], in[1], in[2], args, disjoint_pool(pool));
      };
      grad_check::check_gradients("conv2d_max_pool", inputs, op, conv_max_pool_ref(cc, pool));
    }
}

TEST_CASE("conv2d_max_pool gives the same bits as max_pool2d of conv2d, at 1 and 2 threads", "[ops][conv][threads]") {
  // 20 images: several batch chunks of the direct kernels (9x9 of 8 channels -> 16, same) and of Winograd's (10x10
  // of 16 channels -> 16, valid, 8x8 outputs), and grouped (the two ops in turn); forward and every gradient. Each
  // with float32 products and, on a CPU with AVX512_BF16, bfloat16 products (whose own accuracy the bf16 tests
  // below check).
  struct Case {
    Shape x;
    int f;
    ops::Conv2DArgs args;
  };
  std::vector<Case> cases = {{{20, 9, 9, 8}, 16, conv_args(1, 1, kSame)},
                             {{20, 10, 10, 16}, 16, conv_args(1, 1, kValid)},
                             {{20, 9, 9, 8}, 16, conv_args(1, 1, kSame, 1, 1, 2)}};
  if (bf16_testing::runs_here())
    for (size_t i = 0, floats = cases.size(); i < floats; ++i) {
      cases.push_back(cases[i]);
      cases.back().args.bf16_products = true;
    }
  for (const Case& c : cases) {
    INFO("x " << to_string(c.x) << " -> " << c.f << ", groups " << c.args.groups << ", bf16 products "
              << c.args.bf16_products);
    auto run = [&c](int threads, bool fused) {
      set_num_threads(threads);
      Tensor x = grad_check::random_tensor(c.x, 93);
      Tensor w = grad_check::random_tensor({3, 3, c.x[3] / c.args.groups, c.f}, 94);
      Tensor b = grad_check::random_tensor({c.f}, 95);
      Tensor y = fused ? ops::conv2d_max_pool(x, w, b, c.args, disjoint_pool(2))
                       : ops::max_pool2d(ops::conv2d(x, w, b, c.args), disjoint_pool(2));
      return results_after_backward(x, w, b, y, 96);
    };
    const ConvResults reference = run(1, false);
    for (int threads : {1, 2})
      for (bool fused : {false, true}) {
        INFO(threads << " threads, " << (fused ? "fused" : "max_pool2d of conv2d"));
        check_same_bits(run(threads, fused), reference);
      }
  }
  set_num_threads(0);
}

TEST_CASE("conv2d_max_pool rejects a pool larger than the convolution's output, naming itself", "[ops][conv]") {
  CHECK_THROWS_WITH(ops::conv2d_max_pool(Tensor({1, 4, 4, 1}), Tensor({3, 3, 1, 2}), Tensor(), {}, disjoint_pool(3)),
                    "conv2d_max_pool: input (1, 2, 2, 2) is smaller than the pool size (3, 3) with valid padding");
  // The kernel itself refuses a pooling of other sizes than the convolution's outputs.
  const kernels::Conv2DGeometry g = winograd_geometry({1, 4, 4, 1}, 2, 0);  // (1, 2, 2, 2) outputs
  const kernels::Pool2DGeometry p{1, 3, 2, 2, 2, 2, 1, 1, 2, 2, 0, 0};
  std::vector<float> x(16), w(18), y(2);
  CHECK_THROWS_WITH(kernels::conv2d_max_pool_forward(g, p, x.data(), w.data(), nullptr, y.data(), nullptr),
                    "conv2d_max_pool: a pooling of (1, 3, 2, 2) for the convolution's outputs (1, 2, 2, 2)");
}

// ---- depthwise_conv2d: each channel with its own M kernels ----

namespace {
struct DepthwiseCase {
  Shape x;  // (N, H, W, C)
  int kh, kw, m;
  ops::Conv2DArgs args;
  bool bias;
};

// in = {x, kernel (KH, KW, C, M), bias (C * M)?}:
// y[n, oh, ow, c * M + m] = b[c * M + m] + sum_{i, j} x[n, oh*s - pad + i*d, ow*s - pad + j*d, c] w[i, j, c, m]
grad_check::RefFn depthwise_ref(const DepthwiseCase& dc) {
  return [dc](const std::vector<Vec>& in) {
    const int64_t n = dc.x[0], h = dc.x[1], w = dc.x[2], c = dc.x[3], f = c * dc.m;
    const Axis ah = axis(h, dc.kh, dc.args.stride_h, dc.args.dilation_h, dc.args.padding);
    const Axis aw = axis(w, dc.kw, dc.args.stride_w, dc.args.dilation_w, dc.args.padding);
    Vec y(static_cast<size_t>(n * ah.out * aw.out * f), 0.0);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t oh = 0; oh < ah.out; ++oh)
        for (int64_t ow = 0; ow < aw.out; ++ow)
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t m = 0; m < dc.m; ++m) {
              double acc = dc.bias ? in[2][ch * dc.m + m] : 0.0;
              for (int64_t i = 0; i < dc.kh; ++i)
                for (int64_t j = 0; j < dc.kw; ++j) {
                  const int64_t ih = oh * dc.args.stride_h - ah.pad + i * dc.args.dilation_h;
                  const int64_t iw = ow * dc.args.stride_w - aw.pad + j * dc.args.dilation_w;
                  if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                  acc += in[0][((s * h + ih) * w + iw) * c + ch] * in[1][((i * dc.kw + j) * c + ch) * dc.m + m];
                }
              y[((s * ah.out + oh) * aw.out + ow) * f + ch * dc.m + m] = acc;
            }
    return y;
  };
}

void check_depthwise(const DepthwiseCase& dc, Shape want_out) {
  INFO("depthwise_conv2d x " << to_string(dc.x) << " kernel " << dc.kh << "x" << dc.kw << " x " << dc.m
                             << ", strides (" << dc.args.stride_h << ", " << dc.args.stride_w << "), dilation ("
                             << dc.args.dilation_h << ", " << dc.args.dilation_w << "), "
                             << (dc.args.padding == ops::Padding::Same ? "same" : "valid"));
  std::vector<Tensor> inputs{grad_check::random_tensor(dc.x, 90),
                             grad_check::random_tensor({dc.kh, dc.kw, dc.x[3], dc.m}, 91)};
  inputs.push_back(dc.bias ? grad_check::random_tensor({dc.x[3] * dc.m}, 92) : Tensor());
  const ops::Conv2DArgs args = dc.args;
  auto op = [args](const std::vector<Tensor>& in) { return ops::depthwise_conv2d(in[0], in[1], in[2], args); };
  CHECK(op(inputs).shape() == want_out);
  grad_check::check_gradients("depthwise_conv2d", inputs, op, depthwise_ref(dc));
}
}  // namespace

GRAD_TEST("depthwise_conv2d", "valid 3x3, multiplier 1 and 2, with and without bias", "[ops][conv]") {
  check_depthwise({{1, 5, 5, 1}, 3, 3, 1, conv_args(1, 1, kValid), true}, {1, 3, 3, 1});
  check_depthwise({{2, 6, 5, 3}, 3, 2, 2, conv_args(1, 1, kValid), false}, {2, 4, 4, 6});
}

GRAD_TEST("depthwise_conv2d", "strides and same padding, odd and even kernels", "[ops][conv]") {
  check_depthwise({{2, 7, 6, 2}, 3, 3, 2, conv_args(2, 2, kSame), true}, {2, 4, 3, 4});
  check_depthwise({{1, 6, 7, 3}, 2, 4, 1, conv_args(1, 2, kSame), true}, {1, 6, 4, 3});
  check_depthwise({{2, 7, 6, 2}, 3, 3, 3, conv_args(2, 3, kValid), true}, {2, 3, 2, 6});
}

GRAD_TEST("depthwise_conv2d", "dilation 2, valid and same", "[ops][conv]") {
  check_depthwise({{2, 7, 7, 2}, 3, 3, 2, conv_args(1, 1, kValid, 2, 2), true}, {2, 3, 3, 4});
  check_depthwise({{1, 6, 5, 2}, 3, 2, 1, conv_args(1, 1, kSame, 2, 1), true}, {1, 6, 5, 2});
}

TEST_CASE("depthwise_conv2d forward and backward are bit-identical at 1 and 2 threads", "[ops][conv][threads]") {
  auto run = [](int threads) {
    set_num_threads(threads);
    Tensor x = grad_check::random_tensor({8, 12, 12, 8}, 93);
    Tensor w = grad_check::random_tensor({3, 3, 8, 2}, 94);
    Tensor b = grad_check::random_tensor({16}, 95);
    Tensor y = ops::depthwise_conv2d(x, w, b, conv_args(2, 2, kSame));
    Vec weights(static_cast<size_t>(y.size()));
    Random rng(96);
    for (double& v : weights) v = rng.uniform(-1, 1);
    grad_check::weighted_sum(y, weights).backward();
    std::vector<float> all;
    for (const Tensor& t : {y, x.grad(), w.grad(), b.grad()}) all.insert(all.end(), t.values().begin(), t.values().end());
    return all;
  };
  const std::vector<float> one = run(1), two = run(2);
  set_num_threads(0);
  CHECK(test::same_bits(one, two));
}

TEST_CASE("depthwise_conv2d rejects bad shapes naming input and kernel", "[ops][conv]") {
  CHECK_THROWS_WITH(ops::depthwise_conv2d(Tensor({2, 5, 5, 3}), Tensor({3, 3, 4, 1}), Tensor(), {}),
                    "depthwise_conv2d: input (2, 5, 5, 3) and kernel (3, 3, 4, 1): the input has 3 channels, the "
                    "kernel expects 4");
  CHECK_THROWS_WITH(ops::depthwise_conv2d(Tensor({1, 5, 5, 2}), Tensor({3, 3, 2, 2}), Tensor({2}), {}),
                    "depthwise_conv2d: kernel (3, 3, 2, 2) and bias (2,): the bias must have shape (4,)");
  CHECK_THROWS_WITH(ops::depthwise_conv2d(Tensor({1, 2, 2, 1}), Tensor({3, 3, 1, 1}), Tensor(), {}),
                    "depthwise_conv2d: input (1, 2, 2, 1) and kernel (3, 3, 1, 1): the kernel does not fit in the "
                    "input with valid padding");
}

// ---- conv2d_transpose: the input gradient of a convolution ----

namespace {
struct TransposeCase {
  Shape x;  // (N, H, W, C)
  int kh, kw, f;
  ops::Conv2DArgs args;
  bool bias;
};

// Keras' deconv_output_length with output_padding None, and TensorFlow's padding for the convolution it reverses.
Axis transposed_axis(int64_t in, int k, int s, ops::Padding p) {
  const int64_t out = p == ops::Padding::Same ? in * s : in * s + std::max(k - s, 0);
  return {out, std::max<int64_t>((in - 1) * s + k - out, 0) / 2};
}

// in = {x, kernel (KH, KW, F, C), bias (F)?}: every input pixel (h, w) spreads x[h, w, :] * kernel[i, j, f, :] onto
// output (h * s - pad + i, w * s - pad + j), where that lies inside the output.
grad_check::RefFn transpose_ref(const TransposeCase& tc) {
  return [tc](const std::vector<Vec>& in) {
    const int64_t n = tc.x[0], h = tc.x[1], w = tc.x[2], c = tc.x[3];
    const Axis ah = transposed_axis(h, tc.kh, tc.args.stride_h, tc.args.padding);
    const Axis aw = transposed_axis(w, tc.kw, tc.args.stride_w, tc.args.padding);
    Vec y(static_cast<size_t>(n * ah.out * aw.out * tc.f), 0.0);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t oh = 0; oh < ah.out; ++oh)
        for (int64_t ow = 0; ow < aw.out; ++ow)
          for (int64_t f = 0; f < tc.f; ++f) y[((s * ah.out + oh) * aw.out + ow) * tc.f + f] = tc.bias ? in[2][f] : 0.0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw)
          for (int64_t i = 0; i < tc.kh; ++i)
            for (int64_t j = 0; j < tc.kw; ++j) {
              const int64_t oh = ih * tc.args.stride_h - ah.pad + i, ow = iw * tc.args.stride_w - aw.pad + j;
              if (oh < 0 || oh >= ah.out || ow < 0 || ow >= aw.out) continue;
              for (int64_t f = 0; f < tc.f; ++f)
                for (int64_t ch = 0; ch < c; ++ch)
                  y[((s * ah.out + oh) * aw.out + ow) * tc.f + f] +=
                      in[0][((s * h + ih) * w + iw) * c + ch] * in[1][((i * tc.kw + j) * tc.f + f) * c + ch];
            }
    return y;
  };
}

void check_transpose(const TransposeCase& tc, Shape want_out) {
  INFO("conv2d_transpose x " << to_string(tc.x) << " kernel " << tc.kh << "x" << tc.kw << " -> " << tc.f
                             << ", strides (" << tc.args.stride_h << ", " << tc.args.stride_w << "), "
                             << (tc.args.padding == ops::Padding::Same ? "same" : "valid"));
  std::vector<Tensor> inputs{grad_check::random_tensor(tc.x, 100),
                             grad_check::random_tensor({tc.kh, tc.kw, tc.f, tc.x[3]}, 101)};
  inputs.push_back(tc.bias ? grad_check::random_tensor({tc.f}, 102) : Tensor());
  const ops::Conv2DArgs args = tc.args;
  auto op = [args](const std::vector<Tensor>& in) { return ops::conv2d_transpose(in[0], in[1], in[2], args); };
  CHECK(op(inputs).shape() == want_out);
  grad_check::check_gradients("conv2d_transpose", inputs, op, transpose_ref(tc));
}
}  // namespace

GRAD_TEST("conv2d_transpose", "valid, strides 1 and 2, kernels larger and smaller than the stride", "[ops][conv]") {
  check_transpose({{1, 3, 3, 1}, 3, 3, 2, conv_args(1, 1, kValid), true}, {1, 5, 5, 2});
  check_transpose({{2, 3, 4, 3}, 3, 3, 2, conv_args(2, 2, kValid), true}, {2, 7, 9, 2});
  check_transpose({{2, 3, 2, 2}, 1, 2, 3, conv_args(2, 3, kValid), false}, {2, 6, 6, 3});  // kernel < stride
}

GRAD_TEST("conv2d_transpose", "same padding, odd and even kernels", "[ops][conv]") {
  check_transpose({{2, 3, 3, 2}, 3, 3, 3, conv_args(2, 2, kSame), true}, {2, 6, 6, 3});
  check_transpose({{1, 4, 3, 2}, 4, 2, 2, conv_args(2, 1, kSame), true}, {1, 8, 3, 2});
  check_transpose({{2, 3, 3, 3}, 2, 3, 2, conv_args(1, 1, kSame), false}, {2, 3, 3, 2});
}

TEST_CASE("conv2d_transpose forward and backward are bit-identical at 1 and 2 threads", "[ops][conv][threads]") {
  auto run = [](int threads) {
    set_num_threads(threads);
    Tensor x = grad_check::random_tensor({16, 6, 6, 8}, 103);
    Tensor w = grad_check::random_tensor({3, 3, 4, 8}, 104);
    Tensor b = grad_check::random_tensor({4}, 105);
    Tensor y = ops::conv2d_transpose(x, w, b, conv_args(2, 2, kSame));
    Vec weights(static_cast<size_t>(y.size()));
    Random rng(106);
    for (double& v : weights) v = rng.uniform(-1, 1);
    grad_check::weighted_sum(y, weights).backward();
    std::vector<float> all;
    for (const Tensor& t : {y, x.grad(), w.grad(), b.grad()}) all.insert(all.end(), t.values().begin(), t.values().end());
    return all;
  };
  const std::vector<float> one = run(1), two = run(2);
  set_num_threads(0);
  CHECK(test::same_bits(one, two));
}

TEST_CASE("conv2d_transpose output sizes follow Keras, and bad arguments are refused", "[ops][conv]") {
  CHECK(ops::transposed_output_size(7, 3, 2, kValid) == 15);
  CHECK(ops::transposed_output_size(7, 3, 2, kSame) == 14);
  CHECK(ops::transposed_output_size(7, 1, 3, kValid) == 21);
  CHECK_THROWS_WITH(ops::conv2d_transpose(Tensor({2, 5, 5, 3}), Tensor({3, 3, 8, 4}), Tensor(), {}),
                    "conv2d_transpose: input (2, 5, 5, 3) and kernel (3, 3, 8, 4): the input has 3 channels, the "
                    "kernel expects 4");
  CHECK_THROWS_WITH(ops::conv2d_transpose(Tensor({1, 5, 5, 1}), Tensor({3, 3, 2, 1}), Tensor({1}), {}),
                    "conv2d_transpose: kernel (3, 3, 2, 1) and bias (1,): the bias must have shape (2,)");
  CHECK_THROWS_WITH(ops::conv2d_transpose(Tensor({1, 5, 5, 1}), Tensor({3, 3, 2, 1}), Tensor(),
                                          conv_args(1, 1, kValid, 2, 2)),
                    "conv2d_transpose: dilation (2, 2) is not supported (only 1)");
}

// ---- bf16 products (Keras' mixed_bfloat16): conv2d and conv2d_elu with bf16_products against direct loops in
// double over the bfloat16-rounded x, kernel and output gradient (for conv2d_elu: dz = dy * elu'(y), rounded) ----

namespace {
struct Bf16ConvCase {
  Shape x;  // (N, H, W, C)
  int kh, kw, f;
  ops::Conv2DArgs args;
  bool bias;
};

struct Bf16ConvReference {
  Vec y, y_mag, dx, dx_mag, dw, dw_mag;
};

// y = conv(xr, wr) (bias not included), dx = the adjoint with dyr, dw = xr^T dyr; each with the sum of |terms|.
Bf16ConvReference bf16_conv_reference(const Bf16ConvCase& cc, const Vec& xr, const Vec& wr, const Vec& dyr) {
  const int64_t n = cc.x[0], h = cc.x[1], w = cc.x[2], cin = cc.x[3], groups = cc.args.groups;
  const int64_t cg = cin / groups, fg = cc.f / groups;
  const Axis ah = axis(h, cc.kh, cc.args.stride_h, cc.args.dilation_h, cc.args.padding);
  const Axis aw = axis(w, cc.kw, cc.args.stride_w, cc.args.dilation_w, cc.args.padding);
  Bf16ConvReference r;
  r.y.assign(static_cast<size_t>(n * ah.out * aw.out * cc.f), 0.0);
  r.y_mag = r.y;
  r.dx.assign(xr.size(), 0.0);
  r.dx_mag = r.dx;
  r.dw.assign(wr.size(), 0.0);
  r.dw_mag = r.dw;
  for (int64_t s = 0; s < n; ++s)
    for (int64_t oh = 0; oh < ah.out; ++oh)
      for (int64_t ow = 0; ow < aw.out; ++ow)
        for (int64_t f = 0; f < cc.f; ++f) {
          const size_t o = static_cast<size_t>(((s * ah.out + oh) * aw.out + ow) * cc.f + f);
          for (int64_t i = 0; i < cc.kh; ++i)
            for (int64_t j = 0; j < cc.kw; ++j) {
              const int64_t ih = oh * cc.args.stride_h - ah.pad + i * cc.args.dilation_h;
              const int64_t iw = ow * cc.args.stride_w - aw.pad + j * cc.args.dilation_w;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              for (int64_t ch = 0; ch < cg; ++ch) {
                const size_t xi = static_cast<size_t>(((s * h + ih) * w + iw) * cin + f / fg * cg + ch);
                const size_t wi = static_cast<size_t>(((i * cc.kw + j) * cg + ch) * cc.f + f);
                r.y[o] += xr[xi] * wr[wi];
                r.y_mag[o] += std::fabs(xr[xi] * wr[wi]);
                r.dx[xi] += dyr[o] * wr[wi];
                r.dx_mag[xi] += std::fabs(dyr[o] * wr[wi]);
                r.dw[wi] += xr[xi] * dyr[o];
                r.dw_mag[wi] += std::fabs(xr[xi] * dyr[o]);
              }
            }
        }
  return r;
}

struct Bf16ConvRun {
  std::vector<float> y, dz, dx, dw, db;
};

// conv2d (elu: conv2d_elu with alpha) with bf16 products, forward and backward with a fixed dy, at `threads`.
Bf16ConvRun bf16_run_conv(const Bf16ConvCase& cc, bool elu, float alpha, int threads, Tensor& x, Tensor& w,
                          Tensor& b) {
  set_num_threads(threads);
  x = grad_check::random_tensor(cc.x, 80);
  w = grad_check::random_tensor({cc.kh, cc.kw, cc.x[3] / cc.args.groups, cc.f}, 81);
  b = cc.bias ? grad_check::random_tensor({cc.f}, 82) : Tensor();
  ops::Conv2DArgs args = cc.args;
  args.bf16_products = true;
  Tensor y = elu ? ops::conv2d_elu(x, w, b, args, alpha) : ops::conv2d(x, w, b, args);
  auto dy = std::make_shared<std::vector<float>>(static_cast<size_t>(y.size()));
  Random rng(83);
  for (float& v : *dy) v = rng.uniform(-1.0f, 1.0f);
  bf16_testing::seed_gradient(y, dy).backward();
  Bf16ConvRun run{bf16_testing::values_of(y), *dy, bf16_testing::values_of(x.grad()), bf16_testing::values_of(w.grad()),
                  cc.bias ? bf16_testing::values_of(b.grad()) : std::vector<float>()};
  for (size_t i = 0; i < run.dz.size() && elu; ++i) {  // the kernel's float dz = dy * elu'(y)
    const float v = run.y[i];
    run.dz[i] = (*dy)[i] * (v > 0.0f ? 1.0f : v + alpha);
  }
  set_num_threads(0);
  return run;
}

void bf16_check_conv(const Bf16ConvCase& cc, bool elu, float alpha) {
  INFO((elu ? "conv2d_elu" : "conv2d") << " bf16 x " << to_string(cc.x) << " kernel " << cc.kh << "x" << cc.kw
                                        << " -> " << cc.f << ", strides (" << cc.args.stride_h << ", "
                                        << cc.args.stride_w << "), dilation (" << cc.args.dilation_h << ", "
                                        << cc.args.dilation_w << "), "
                                        << (cc.args.padding == ops::Padding::Same ? "same" : "valid") << ", groups "
                                        << cc.args.groups << ", alpha " << alpha);
  Tensor x, w, b;
  const Bf16ConvRun run = bf16_run_conv(cc, elu, alpha, 0, x, w, b);
  const Bf16ConvReference r =
      bf16_conv_reference(cc, bf16_testing::rounded(x.data(), x.size()), bf16_testing::rounded(w.data(), w.size()),
                          bf16_testing::rounded(run.dz.data(), static_cast<int64_t>(run.dz.size())));
  Vec y_want = r.y, y_mag = r.y_mag;
  for (size_t o = 0; o < y_want.size(); ++o) {
    const double bias = cc.bias ? b.data()[o % static_cast<size_t>(cc.f)] : 0.0;
    y_want[o] += bias;
    y_mag[o] += std::fabs(bias);
    if (elu && y_want[o] <= 0) y_want[o] = alpha * std::expm1(y_want[o]);
  }
  bf16_testing::check_close(run.y, y_want, y_mag, "y");
  bf16_testing::check_close(run.dx, r.dx, r.dx_mag, "dx");
  bf16_testing::check_close(run.dw, r.dw, r.dw_mag, "dw");
  if (cc.bias) {  // db: the float dz summed, not rounded
    Vec db(static_cast<size_t>(cc.f), 0.0), db_mag(db.size(), 0.0);
    for (size_t o = 0; o < run.dz.size(); ++o) {
      db[o % db.size()] += run.dz[o];
      db_mag[o % db.size()] += std::fabs(run.dz[o]);
    }
    bf16_testing::check_close(run.db, db, db_mag, "db");
  }
}

ops::Conv2DArgs bf16_conv_args(int sh, int sw, ops::Padding p, int dh = 1, int dw = 1, int groups = 1) {
  ops::Conv2DArgs a = conv_args(sh, sw, p, dh, dw, groups);
  a.bf16_products = true;
  return a;
}

// Cases of several batch chunks, an odd number of rows in the last one, odd K = KH * KW * C and F tails.
const std::vector<Bf16ConvCase>& bf16_conv_cases() {
  static const std::vector<Bf16ConvCase> cases = {
      {{9, 9, 9, 5}, 3, 3, 20, conv_args(1, 1, kValid), true},        // 2 chunks (8 + 1 samples of 49 rows), K 45
      {{3, 8, 9, 3}, 3, 3, 33, conv_args(2, 2, kSame), true},         // stride 2, same, F 33
      {{2, 7, 8, 4}, 2, 3, 17, conv_args(1, 1, kSame, 2, 2), false},  // dilation 2, same, no bias
      {{2, 7, 7, 6}, 3, 2, 8, conv_args(1, 2, kValid, 2, 1, 2), true},  // groups 2, dilated rows, stride 2
      {{1, 5, 5, 1}, 3, 3, 70, conv_args(1, 1, kValid), true},  // K 9: the float path on rounded operands; F 70
      // Winograd on the rounded operands (kernels/winograd.hpp): F(6x6, 3x3) for valid 11x11 outputs (2x2 tiles, the
      // last ones partly outside) over 2 chunks (8 + 1 samples) and for same 12x12 (whole tiles); F(4x4, 3x3) for
      // same 8x8, where 6x6 tiles would take more products.
      {{9, 13, 13, 16}, 3, 3, 32, conv_args(1, 1, kValid), true},
      {{2, 12, 12, 16}, 3, 3, 16, conv_args(1, 1, kSame), true},
      {{2, 8, 8, 32}, 3, 3, 16, conv_args(1, 1, kSame), false},
  };
  return cases;
}
}  // namespace

TEST_CASE("conv2d with bf16 products matches double loops over bf16-rounded x, kernel and dy", "[ops][conv][bf16]") {
  if (!bf16_testing::runs_here()) return;
  for (const Bf16ConvCase& cc : bf16_conv_cases()) bf16_check_conv(cc, false, 1.0f);
}

TEST_CASE("conv2d_elu with bf16 products matches double loops over bf16-rounded x, kernel and dz",
          "[ops][conv][bf16]") {
  if (!bf16_testing::runs_here()) return;
  for (const Bf16ConvCase& cc : bf16_conv_cases()) {
    bf16_check_conv(cc, true, 1.0f);
    bf16_check_conv(cc, true, 0.5f);
  }
}

TEST_CASE("bf16 products run as Winograd where its tiles cover at most 1.6 times the outputs", "[ops][conv][bf16]") {
  // The seed model's second convolution (13x13x32 -> 11x11x64, 12x12 in tiles) runs as Winograd on the bf16-rounded
  // operands, its input gradient on the same tiles; so would that input gradient as a full convolution of its own
  // (11x11x64 -> 13x13x32 padded by 2, 16x16 in tiles). The third (5x5x64 -> 3x3x64, one tile of 16 outputs for 9)
  // keeps the bf16 kernels, and so does every convolution on a CPU without AVX512_BF16.
  kernels::Conv2DGeometry second = winograd_geometry({32, 13, 13, 32}, 64, 0);
  kernels::Conv2DGeometry second_dx = winograd_geometry({32, 11, 11, 64}, 32, 2);
  kernels::Conv2DGeometry third = winograd_geometry({32, 5, 5, 64}, 64, 0);
  second.bf16 = second_dx.bf16 = third.bf16 = true;
  const bool bf16 = bf16_testing::runs_here() && kernels::sgemm_avx512_suits(1, 16, 16);
  CHECK(kernels::winograd_suits(second) == bf16);
  CHECK(kernels::winograd_suits(second_dx) == bf16);
  CHECK_FALSE(kernels::winograd_suits(third));
}

TEST_CASE("conv2d and conv2d_elu with bf16 products are bit-identical at 1 and 2 threads",
          "[ops][conv][bf16][threads]") {
  if (!bf16_testing::runs_here()) return;
  for (const Bf16ConvCase& cc : bf16_conv_cases())
    for (bool elu : {false, true}) {
      INFO("x " << to_string(cc.x) << " groups " << cc.args.groups << " elu " << elu);
      Tensor x, w, b;
      const Bf16ConvRun one = bf16_run_conv(cc, elu, 1.0f, 1, x, w, b), two = bf16_run_conv(cc, elu, 1.0f, 2, x, w, b);
      CHECK(bf16_testing::same_bits(one.y, two.y));
      CHECK(bf16_testing::same_bits(one.dx, two.dx));
      CHECK(bf16_testing::same_bits(one.dw, two.dw));
      CHECK(bf16_testing::same_bits(one.db, two.db));
    }
}

TEST_CASE("bf16 products are refused by depthwise_conv2d and conv2d_transpose", "[ops][conv][bf16]") {
  const Tensor x = Tensor::ones({1, 5, 5, 2});
  const ops::Conv2DArgs args = bf16_conv_args(1, 1, kValid);
  CHECK_THROWS_WITH(ops::depthwise_conv2d(x, Tensor::ones({3, 3, 2, 1}), Tensor(), args),
                    Catch::Contains("depthwise_conv2d") && Catch::Contains("bf16_products"));
  CHECK_THROWS_WITH(ops::conv2d_transpose(x, Tensor::ones({3, 3, 4, 2}), Tensor(), args),
                    Catch::Contains("conv2d_transpose") && Catch::Contains("bf16_products"));
}
