// Input checks shared by the op implementations (core/ops/*.cpp): each throws elucid::Error naming the op and shapes.
#pragma once
#include <elucid/core/kernels/pool.hpp>
#include <elucid/core/ops.hpp>
#include <elucid/core/tensor.hpp>

#include <string>

namespace elucid::ops::detail {

// "conv2d: kernel is undefined"
void check_defined(const char* op, const Tensor& t, const char* what);
// "add: (2, 3) and (3, 2): shapes differ"
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
// "conv2d: input (2, 3) must have rank 4 (N, H, W, C)"
void check_rank(const char* op, const Tensor& t, int rank, const char* what, const char* layout);

// The pooling of images of shape x (N, H, W, C) by args, checked (core/ops/pool.cpp): "max_pool2d: input (1, 1, 1,
// 3) is smaller than the pool size (2, 2) with valid padding". The ops check their input tensor first (check_rank:
// defined, rank 4), so that a bad one is named as such.
kernels::Pool2DGeometry pool_geometry(const char* op, const Shape& x, const Pool2DArgs& args);
// pool_geometry for a max pooling, which keeps each maximum's place within its sample as an int32: also refuses a
// sample of more than 2^31 - 1 values.
kernels::Pool2DGeometry max_pool_geometry(const char* op, const Shape& x, const Pool2DArgs& args);

// "(2, 3)": shorthand for to_string(t.shape()) in messages.
std::string shape_of(const Tensor& t);

}  // namespace elucid::ops::detail
