// Every differentiable op elucid has, as free functions over Tensors. Each op checks its inputs (throwing
// elucid::Error that names the op and the shapes), computes its forward with a plain kernel, and, when
// needs_grad(...), records a backward written right under the forward math in its .cpp file.
//
// Layout is channels_last as in Keras: images (N, H, W, C), conv kernels (KH, KW, C_in, F), dense kernels (in, out).
// The list of op names is kOpNames (core/op_names.hpp); a test fails when one of them has no gradient check.
#pragma once
#include <elucid/core/random.hpp>
#include <elucid/core/tensor.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace elucid::ops {

// ---- elementwise and reductions (core/ops/math.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);   // same shapes
Tensor sub(const Tensor& a, const Tensor& b);   // same shapes
Tensor mul(const Tensor& a, const Tensor& b);   // same shapes, elementwise
Tensor add_scalar(const Tensor& x, float s);
Tensor mul_scalar(const Tensor& x, float s);
Tensor sum(const Tensor& x);                    // all elements -> shape ()
Tensor mean(const Tensor& x);                   // all elements -> shape ()
Tensor reshape(const Tensor& x, Shape shape);   // same element count, one dimension may be -1; shares the data
Tensor flatten(const Tensor& x);                // (N, d1, d2, ...) -> (N, d1*d2*...), row-major: H, W, C order
// Each value rounded to the nearest bfloat16 (ties to even; the low 16 bits of the float zero), as a cast to bfloat16
// and back; the gradient passes through unchanged. What a layer under the mixed_bfloat16 policy does to its inputs.
Tensor round_to_bfloat16(const Tensor& x);
// True when this CPU has AVX512_BF16, which the ops' bf16_products need (conv2d, conv2d_elu, matmul).
bool cpu_has_bf16_products();

// ---- for merge layers (core/ops/merge.cpp) ----
Tensor maximum(const Tensor& a, const Tensor& b);  // same shapes, elementwise; the gradient to a where a >= b
// Inputs equal but along `axis` (negative counts from the end) -> their sizes there summed, in order.
Tensor concatenate(const std::vector<Tensor>& xs, int axis);

// ---- dense algebra (core/ops/linear.cpp) ----
// (M, K) x (K, N) -> (M, N), cblas_sgemm; bf16_products: operands (and, backward, the output gradient) rounded to
// bfloat16, float32 sums (Keras' mixed_bfloat16; needs a CPU with AVX512_BF16, an Error otherwise).
Tensor matmul(const Tensor& a, const Tensor& b, bool bf16_products = false);
Tensor bias_add(const Tensor& x, const Tensor& bias); // x (..., C) + bias (C), broadcast over leading axes

// ---- activations (core/ops/activation.cpp) ----
Tensor elu(const Tensor& x, float alpha = 1.0f);  // fused: expm1 for x <= 0, backward from the saved output
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor selu(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor gelu(const Tensor& x);    // exact (erf) form, as Keras' default approximate=False
Tensor swish(const Tensor& x);   // x * sigmoid(x), also called silu
Tensor softmax(const Tensor& x);      // over the last axis
Tensor log_softmax(const Tensor& x);  // over the last axis

// ---- convolution and pooling (core/ops/conv.cpp, core/ops/pool.cpp) ----
enum class Padding { Valid, Same };
struct Conv2DArgs {
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::Valid;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;  // conv2d and conv2d_elu only; the other convolutions take 1
  // Keras' mixed_bfloat16: the products take x, the kernel and the output gradient rounded to bfloat16 and sum in
  // float32 (needs a CPU with AVX512_BF16, an Error otherwise). conv2d and conv2d_elu only (grouped too); the other
  // convolutions refuse it with an Error.
  bool bf16_products = false;
};
// x (N, H, W, C), kernel (KH, KW, C / groups, F), bias (F) or undefined -> (N, OH, OW, F).
// valid: OH = floor((H - dilated_KH) / stride) + 1; same: OH = ceil(H / stride), the odd pad row at the bottom.
// groups G divides C and F: output channel f reads only the input channels of its group g = f / (F / G),
// [g * C / G, (g + 1) * C / G), as Keras' Conv2D(groups=G). G = 1 is the plain convolution.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args);
// x (N, H, W, C), kernel (KH, KW, C, M), bias (C * M) or undefined -> (N, OH, OW, C * M): channel c convolved on its
// own with kernel[:, :, c, m] gives output channel c * M + m, as Keras' DepthwiseConv2D. Sizes and padding as conv2d.
Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args);
// x (N, H, W, C), kernel (KH, KW, F, C), bias (F) or undefined -> (N, OH, OW, F), as Keras' Conv2DTranspose: the
// input gradient of the convolution by the same kernel that takes (N, OH, OW, F) to x's shape. OH as
// transposed_output_size; dilation must be 1.
Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args);

struct Pool2DArgs {
  int pool_h = 2, pool_w = 2;
  int stride_h = 0, stride_w = 0;  // 0: the pool size, as Keras
  Padding padding = Padding::Valid;
};
Tensor max_pool2d(const Tensor& x, const Pool2DArgs& args);  // (N, H, W, C) -> (N, OH, OW, C), floor rounding
Tensor avg_pool2d(const Tensor& x, const Pool2DArgs& args);  // same padding averages over the valid cells only
Tensor global_avg_pool2d(const Tensor& x);                   // (N, H, W, C) -> (N, C)

// ---- image margins and resizing (core/ops/resize.cpp) ----
// Rows and columns added to (zero_pad2d) or taken from (crop2d) each side of an image; all >= 0.
struct Margins2D {
  int64_t top = 0, bottom = 0, left = 0, right = 0;
};
// (N, H, W, C) -> (N, top + H + bottom, left + W + right, C), the new cells zero.
Tensor zero_pad2d(const Tensor& x, const Margins2D& pad);
// (N, H, W, C) -> (N, H - top - bottom, W - left - right, C); at least one row and column must be left.
Tensor crop2d(const Tensor& x, const Margins2D& crop);
// (N, H, W, C) -> (N, H * size_h, W * size_w, C): y[i, j] = x[i / size_h, j / size_w], as Keras' nearest UpSampling2D.
Tensor upsample2d_nearest(const Tensor& x, int size_h, int size_w);

// ---- image augmentations, one set of parameters per sample (core/ops/augment.cpp) ----
// (N, H, W, C): sample s mirrored left-right when flip_w[s], top-bottom when flip_h[s] (one flag per sample each).
Tensor flip2d(const Tensor& x, const std::vector<uint8_t>& flip_w, const std::vector<uint8_t>& flip_h);
// (N, H, W, C): y = clip((x - mean) * factors[s] + mean, low, high) for sample s, mean over H and W per channel,
// as Keras 3's RandomContrast in training.
Tensor adjust_contrast(const Tensor& x, const std::vector<float>& factors, float low, float high);
// (N, H, W, C) -> (N, height, width, C): sample s's window of that size with its top-left cell at (tops[s], lefts[s]).
Tensor crop2d_each(const Tensor& x, int64_t height, int64_t width, const std::vector<int64_t>& tops,
                   const std::vector<int64_t>& lefts);
// (N, H, W, C) -> (N, height, width, C), bilinear with half-pixel centers, as tf.image.resize (no antialiasing):
// RandomCrop's resize at inference, and UpSampling2D's with interpolation "bilinear" (height = H * size_h).
Tensor resize_bilinear(const Tensor& x, int64_t height, int64_t width);
// (N, H, W, C): output (i, j) of sample s reads the input at the point transforms[s] = [a0, a1, a2, b0, b1, b2, c0, c1]
// maps it to, (row, column) = ((b0 j + b1 i + b2) / k, (a0 j + a1 i + a2) / k) with k = c0 j + c1 i + 1, as Keras'
// affine_transform; cells outside the image as fill_mode says.
struct AffineOptions {
  std::string interpolation = "bilinear";  // or "nearest"
  std::string fill_mode = "reflect";       // or "wrap", "nearest", "constant"
  float fill_value = 0;                    // for "constant"
};
Tensor affine_transform2d(const Tensor& x, const std::vector<std::array<float, 8>>& transforms,
                          const AffineOptions& options);

// Output size of a convolution or pooling window along one axis, as Keras computes it.
int64_t window_output_size(int64_t in, int window, int stride, int dilation, Padding padding);
// Output size of a transposed convolution along one axis, as Keras computes it with output_padding None:
// same: in * stride; valid: in * stride + max(window - stride, 0).
int64_t transposed_output_size(int64_t in, int window, int stride, Padding padding);

// ---- regularisation and normalisation (core/ops/dropout.cpp, core/ops/batch_norm.cpp) ----
// Training: zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate). x is (N, ...): the
// mask of sample i comes from Random::keyed(seed, at.step, at.first_sample + i), one uniform() per element of the
// sample in order (dropped when below the rate), so a sample's mask depends on its place in the run alone, not on
// the samples beside it in x. Not training, or rate 0: returns x itself. rate must be in [0, 1).
Tensor dropout(const Tensor& x, float rate, uint64_t seed, const RunPosition& at, bool training);
// Normalises over every axis but the last; gamma and beta may be undefined (scale=False / center=False).
// Training: batch statistics, and moving_mean / moving_variance (plain tensors, no grad) are updated as
// moving = moving * momentum + batch * (1 - momentum) with the biased batch variance, as Keras 3 does
// (ops.moments). Inference: the moving statistics.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean,
                  Tensor& moving_variance, float momentum, float epsilon, bool training);

// Normalises each row of the last axis on its own: (x - mean) / sqrt(variance + epsilon) * gamma + beta, the biased
// variance, as Keras' LayerNormalization (axis -1); gamma and beta (last axis) may be undefined (scale=False /
// center=False). (core/ops/layer_norm.cpp)
Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon);

// ---- losses, each the mean over the batch -> shape () (core/ops/loss.cpp) ----
// Gradients flow to the predictions only; labels and targets are data.
// labels: (N) class indices stored as floats; an index outside [0, C) throws naming the index and the sample.
// from_logits: predictions are logits (fused, stable log-softmax); otherwise probabilities, clipped to
// [1e-7, 1 - 1e-7] as Keras does (sparse: -log(clip(p_y)) + log(sum_j clip(p_j)), as Keras' TensorFlow backend;
// categorical: p / sum(p) first, then clipped). labels may also be (N, 1).
Tensor sparse_categorical_crossentropy(const Tensor& predictions, const Tensor& labels, bool from_logits);
Tensor categorical_crossentropy(const Tensor& predictions, const Tensor& targets, bool from_logits);  // one-hot (N, C)
Tensor binary_crossentropy(const Tensor& predictions, const Tensor& targets, bool from_logits);       // same shapes
// (binary_crossentropy, mean_squared_error, mean_absolute_error: the mean over every element.)
Tensor mean_squared_error(const Tensor& predictions, const Tensor& targets);
Tensor mean_absolute_error(const Tensor& predictions, const Tensor& targets);

}  // namespace elucid::ops
