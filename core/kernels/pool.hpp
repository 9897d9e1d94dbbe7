// Pooling kernels over NHWC images: max pooling (remembering each output's argmax for the backward) and average
// pooling over the valid cells of each window. Work splits over samples, so no sum crosses threads.
#pragma once
#include <elucid/core/grad_buffer.hpp>

#include <cstdint>

namespace elucid::kernels {

// x is (N, H, W, C), y is (N, OH, OW, C); window (PH, PW); input row of output row oh, window row i:
// oh * stride_h - pad_top + i (rows outside [0, H) are skipped, never read).
struct Pool2DGeometry {
  int64_t n, h, w, c;
  int64_t ph, pw;
  int64_t oh, ow;
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_left;
};

// argmax (N, OH, OW, C) receives, for each output, the index of its maximum within its own sample's H * W * C
// values (the first one on ties); the caller checks that H * W * C fits in int32. A null argmax is skipped
// (inference: no backward will need it).
void max_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y, int32_t* argmax);
// dx[sample s][argmax[i]] += dy[i]; a fresh dx is zeroed sample by sample first (in cache, on the sample's thread).
void max_pool2d_backward(const Pool2DGeometry& g, const int32_t* argmax, const float* dy, GradBuffer dx);

// Each output is the mean of the window's cells inside the image (padding cells are not counted).
void avg_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y);
void avg_pool2d_backward(const Pool2DGeometry& g, const float* dy, float* dx);

}  // namespace elucid::kernels
