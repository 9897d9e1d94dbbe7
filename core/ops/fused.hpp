// Fused ops: several ops in one pass over memory, each giving the same bits as the ops it stands for run one after
// the other. Layers call them where they apply (Conv2D with activation "elu"); each has its gradient check and its
// name in kOpNames (core/op_names.hpp) like every other op.
#pragma once
#include <elucid/core/ops.hpp>

namespace elucid::ops {

// elu(conv2d(x, kernel, bias, args), alpha) (core/ops/conv.cpp): each batch chunk is activated while it is in
// cache, and the backward turns dy into the convolution's gradient chunk by chunk from the saved output.
Tensor conv2d_elu(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args, float alpha = 1.0f);

}  // namespace elucid::ops
