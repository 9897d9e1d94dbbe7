// Fused ops: several ops in one pass over memory, each giving the same bits as the ops it stands for run one after
// the other. Layers call them where they apply (Conv2D with activation "elu", or followed by max-pooling;
// BatchNormalization and Add when a ReLU layer alone reads them, Layer::call_then_relu); each has its gradient check
// and its name in kOpNames (core/op_names.hpp) like every other op.
#pragma once
#include <elucid/core/ops.hpp>

namespace elucid::ops {

// elu(conv2d(x, kernel, bias, args), alpha) (core/ops/conv.cpp): each batch chunk is activated while it is in
// cache, and the backward turns dy into the convolution's gradient chunk by chunk from the saved output.
Tensor conv2d_elu(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args, float alpha = 1.0f);

// max_pool2d(conv2d(x, kernel, bias, args), pool) (core/ops/conv.cpp): each batch chunk's convolution is pooled while
// it is in cache, so the convolution's outputs are never stored, and the backward scatters each chunk's gradient
// back onto them in cache. A layer ending in a non-decreasing activation followed by max-pooling
// (Layer::call_then_max_pool) pools first: Conv2D(activation) then MaxPooling2D in a model. Float32 and bfloat16
// products alike; grouped convolutions run the two ops in turn.
Tensor conv2d_max_pool(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args,
                       const Pool2DArgs& pool);

// relu(batch_norm(x, ...)) (core/ops/batch_norm.cpp): the ReLU taken in the normalising pass, and its mask in the
// backward's passes retaken from x (scale * xhat + offset > 0, the expression the forward computed), so neither
// direction makes a pass of its own over the activations. BatchNormalization followed by ReLU in a model.
Tensor batch_norm_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean,
                       Tensor& moving_variance, float momentum, float epsilon, bool training);

// relu(add(a, b)) (core/ops/math.cpp): one pass forward; the backward passes dy where a + b > 0 (retaken from the
// inputs) to both. A residual block's Add followed by ReLU.
Tensor add_relu(const Tensor& a, const Tensor& b);

}  // namespace elucid::ops
