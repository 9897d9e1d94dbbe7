// kOpNames: every differentiable op, by the name it records with set_backward (and shows in Tensor::op()).
// tests/core/ops/registry.cpp fails when one of these has no gradient check, or a check names an op not listed.
#pragma once
#include <array>
#include <string_view>

namespace elucid::ops {

// The size is deduced from the list, so adding a name without updating the count below fails to compile.
inline constexpr auto kOpNames = std::to_array<std::string_view>({
    // core/ops/math.cpp
    "add", "sub", "mul", "add_scalar", "mul_scalar", "sum", "mean", "reshape", "flatten",
    // core/ops/linear.cpp
    "matmul", "bias_add",
    // core/ops/activation.cpp
    "elu", "relu", "sigmoid", "tanh", "selu", "softplus", "gelu", "swish", "softmax", "log_softmax",
    // core/ops/conv.cpp (conv2d_elu: core/ops/fused.hpp), core/ops/pool.cpp
    "conv2d", "conv2d_elu", "max_pool2d", "avg_pool2d", "global_avg_pool2d",
    // core/ops/dropout.cpp, core/ops/batch_norm.cpp
    "dropout", "batch_norm",
    // core/ops/loss.cpp
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
    "mean_absolute_error"});

// Adding an op means adding its name here, its gradient check, and bumping this count (as ggml's GGML_OP_COUNT).
static_assert(kOpNames.size() == 33, "an op was added or removed: update kOpNames and its gradient checks");

}  // namespace elucid::ops
