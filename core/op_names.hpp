// kOpNames: every differentiable op, by the name it records with set_backward (and shows in Tensor::op()).
// tests/core/ops/registry.cpp fails when one of these has no gradient check, or a check names an op not listed.
#pragma once
#include <array>
#include <string_view>

namespace elucid::ops {

// The size is deduced from the list: adding an op means adding its name here and its GRAD_TEST, and the registry
// test fails when either is missing (it plays the part of ggml's static_assert on GGML_OP_COUNT).
inline constexpr auto kOpNames = std::to_array<std::string_view>({
    // core/ops/math.cpp
    "add", "add_relu", "sub", "mul", "add_scalar", "mul_scalar", "sum", "mean", "reshape", "flatten",
    // core/ops/cast.cpp
    "round_to_bfloat16",
    // core/ops/merge.cpp
    "maximum", "concatenate",
    // core/ops/linear.cpp
    "matmul", "bias_add",
    // core/ops/activation.cpp
    "elu", "relu", "sigmoid", "tanh", "selu", "softplus", "gelu", "swish", "softmax", "log_softmax",
    // core/ops/conv.cpp (conv2d_elu, conv2d_max_pool: core/ops/fused.hpp), core/ops/pool.cpp
    "conv2d", "conv2d_elu", "conv2d_max_pool", "depthwise_conv2d", "conv2d_transpose", "max_pool2d", "avg_pool2d",
    "global_avg_pool2d",
    // core/ops/resize.cpp
    "zero_pad2d", "crop2d", "upsample2d_nearest",
    // core/ops/augment.cpp
    "flip2d", "adjust_contrast", "crop2d_each", "resize_bilinear",
    "affine_transform2d",
    // core/ops/dropout.cpp, core/ops/batch_norm.cpp, core/ops/layer_norm.cpp
    "dropout", "batch_norm", "batch_norm_relu", "layer_norm",
    // core/ops/loss.cpp
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
    "mean_absolute_error"});

}  // namespace elucid::ops
