// 2-D convolution kernels, NHWC: im2col + sgemm forward with the bias added in place, and the matching backward
// (dW = col^T dY, dX = col2im(dY W^T), db = sum dY). The batch is split into fixed-size chunks that OpenMP threads
// take in any order; sums over the batch (dW, db) are kept per chunk and added in chunk order, so the results are
// the same bits at any thread count.
#pragma once
#include <elucid/core/grad_buffer.hpp>
#include <elucid/core/kernels/pool.hpp>

#include <cstdint>

namespace elucid::kernels {

// x is (N, H, W, C), w is (KH, KW, C, F), y is (N, OH, OW, F).
// Input row of output row oh, kernel row i: oh * stride_h - pad_top + i * dilation_h (outside [0, H) reads zero).
struct Conv2DGeometry {
  int64_t n, h, w, c;
  int64_t kh, kw, f;
  int64_t oh, ow;
  int64_t stride_h, stride_w, dilation_h, dilation_w;
  int64_t pad_top, pad_left;
  // Keras' mixed_bfloat16: every product (y = x W, dW = x^T dy, dX = dy W^T) takes its operands (x, W, dy; for the
  // ELU variants dz = dy * elu'(y)) rounded to bfloat16 and sums in float32 (core/kernels/gemm_bf16.hpp, or Winograd
  // in float32 on the rounded operands: core/kernels/winograd.hpp); bias, ELU, col2im and the chunk sums stay
  // float32. Needs cpu_has_avx512_bf16() (the kernels throw otherwise).
  bool bf16 = false;
};

// y (N, POH, POW, F) = max_pool2d(conv(x, w) + b) for the max-pooling p of the convolution's outputs (p's n, h, w, c
// = g's n, oh, ow, f), each batch chunk's convolution pooled while it is in cache, so the (N, OH, OW, F) outputs are
// never stored; argmax (N, POH, POW, F) as max_pool2d_forward's, or null. The same bits as conv2d_forward, then
// max_pool2d_forward, with float32 or (g.bf16) bfloat16 products. Throws for a p of other sizes.
void conv2d_max_pool_forward(const Conv2DGeometry& g, const Pool2DGeometry& p, const float* x, const float* w,
                             const float* b, float* y, int32_t* argmax);
// The backward of conv2d_max_pool_forward from its argmax and dy = dL/dy (N, POH, POW, F): each chunk's dy scattered
// back onto the chunk's convolution outputs in cache, then conv2d_backward's work on them; the same bits.
void conv2d_max_pool_backward(const Conv2DGeometry& g, const Pool2DGeometry& p, const float* x, const float* w,
                              const int32_t* argmax, const float* dy, GradBuffer dx, GradBuffer dw, GradBuffer db);

// y = conv(x, w) + b; b (F) may be null.
void conv2d_forward(const Conv2DGeometry& g, const float* x, const float* w, const float* b, float* y);
// y = elu(conv(x, w) + b), each batch chunk activated while it is in cache: the same bits as conv2d_forward and
// then elu_forward (core/kernels/activation.hpp).
void conv2d_elu_forward(const Conv2DGeometry& g, const float* x, const float* w, const float* b, float alpha,
                        float* y);
// Adds dx += dL/dx (N, H, W, C), dw += dL/dw (KH, KW, C, F), db += dL/db (F) from dy (N, OH, OW, F), or
// assigns them when fresh; a null dx, dw or db is skipped.
void conv2d_backward(const Conv2DGeometry& g, const float* x, const float* w, const float* dy, GradBuffer dx,
                     GradBuffer dw, GradBuffer db);

// The backward of conv2d_elu_forward from its saved output y and dy = dL/dy: conv2d_backward of
// dz = dy * (y > 0 ? 1 : y + alpha), computed chunk by chunk.
void conv2d_elu_backward(const Conv2DGeometry& g, const float* x, const float* w, const float* y, float alpha,
                         const float* dy, GradBuffer dx, GradBuffer dw, GradBuffer db);

}  // namespace elucid::kernels
