// Winograd's F(4x4, 3x3) for the 3x3 convolutions of stride 1, NHWC, forward, weight gradient and input gradient (the
// last two the adjoints of the forward's transforms, on the forward's tiles): each 4x4 block of outputs (a tile) comes
// from the 6x6 input window around it in 36 products of depth C instead of 144 (4 times fewer multiplications). Per
// tile and channel block: V = B^T d B (the input window transformed), M[p] = V[p] U[p] for the 36 positions p (U =
// G w G^T, the kernel transformed once per call), y = A^T M A, with the points 0, 1, -1, 2, -2 and infinity. On a CPU
// that retires one 512-bit FMA per cycle (AMD Zen 4) the direct kernels are FMA-bound and this is more than twice as
// fast for a 32 -> 32 channel convolution at 28x28. The price is rounding: the transforms' constants (up to 8, and
// 1/24) make the outputs' error about 4e-6 of their largest value for 32 channels, against 3e-7 for the direct
// kernels. Every output's bits depend on its tile's inputs (for the input gradient, its windows' tiles, in order) and
// the shapes alone: never on the thread count, the chunk a tile falls in or its place in the products' blocks.
// With g.bf16 (Keras' mixed_bfloat16) the caller passes the operands (x, w, dy) rounded to bfloat16
// (kernels/conv.cpp), and the transforms and products run in float32 on those values: the bf16 dot products' numbers
// (bf16 operands, float32 sums) up to Winograd's float32 rounding, a thousandth of bfloat16's (4e-3), with 4 times
// fewer multiplications than the direct bf16 kernels do at twice float32's rate. There the tiles are 6x6 outputs,
// F(6x6, 3x3) (the points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity: 64 products for 36 outputs), where they take at
// least a tenth fewer products than 4x4 tiles (the seed model's second convolution: 4 tiles for 11x11 outputs, 256
// products against 324): its larger constants round to about 2.4 times F(4x4, 3x3)'s error, still far below
// bfloat16's.
#pragma once
#include <elucid/core/kernels/conv.hpp>

#include <cstdint>

namespace elucid::kernels {

// True when conv(g) can run as Winograd here (F(4x4, 3x3), or F(6x6, 3x3) under g.bf16 where its tiles save
// products, as above): an AVX-512F CPU (with AVX512_BF16 for g.bf16, as the bf16 kernels need), a 3x3 kernel,
// strides and dilations 1, at most 2 rows and columns of zeros before the image (valid: 0, same: 1, the input
// gradient of valid: 2; the outputs' count says how many after it), C and F multiples of 16 (whole vectors), and
// 4x4 tiles that cover at most twice the outputs, 1.6 times under g.bf16 (3x3 outputs in one tile of 16 and 13x13
// in 16x16 do; 5x5 in 8x8 does not: it is slower there).
bool winograd_suits(const Conv2DGeometry& g);

// Floats of u for winograd_transform_kernel: P * C * F, P the positions of a tile's window (36 for 4x4 tiles, 64
// for 6x6).
int64_t winograd_kernel_floats(const Conv2DGeometry& g);
// u (P, C, F) = G w G^T for every (c, f): w (3, 3, C, F) transformed, position p = W * row + column of the W x W
// window (W = 6 or 8).
void winograd_transform_kernel(const Conv2DGeometry& g, const float* w, float* u);

// Floats of scratch one thread needs for winograd_forward.
int64_t winograd_scratch_floats(const Conv2DGeometry& g);
// y (samples, OH, OW, F) = conv(x, w) + b for `samples` images x (samples, H, W, C), from u = the transformed w;
// b (F) may be null. Assigned, or added to y when `add`. Runs on the calling thread; scratch holds
// winograd_scratch_floats(g) floats, 64-byte aligned. Only to be called when winograd_suits(g).
void winograd_forward(const Conv2DGeometry& g, const float* x, int64_t samples, const float* u, const float* b,
                      bool add, float* y, float* scratch);

// Floats of scratch one thread needs for winograd_weight_gradient.
int64_t winograd_weight_gradient_scratch_floats(const Conv2DGeometry& g);
// dw (3, 3, C, F) = dL/dw of conv(x, w) over `samples` images x, from dy (samples, OH, OW, F): the adjoint of the
// forward's transforms, G^T (sum over the tiles of V (.) A dy A^T) G, the sum one FMA chain per element over the
// tiles in order. Assigned. Only to be called when winograd_suits(g).
void winograd_weight_gradient(const Conv2DGeometry& g, const float* x, int64_t samples, const float* dy, float* dw,
                              float* scratch);

// ut (P, F, C) = G w G^T for every (f, c), each position's matrix transposed: the kernel for
// winograd_input_gradient.
void winograd_transform_kernel_for_input_gradient(const Conv2DGeometry& g, const float* w, float* ut);
// dx (samples, H, W, C) = dL/dx of conv(x, w) over `samples` images, from dy (samples, OH, OW, F) and ut as above:
// the adjoint of the forward's transforms on the forward's tiles, each tile's window getting B (sum over f of
// U^T (.) A dy A^T) B^T added in tile order (neighbouring windows share 2 rows or columns). Assigned, or added to dx
// when `add`; scratch holds winograd_scratch_floats(g) floats. For valid padding this takes the forward's tiles
// where the input gradient as a "full" convolution would take its own, larger output's (13x13 outputs: 16 tiles
// instead of 9). Only to be called when winograd_suits(g).
void winograd_input_gradient(const Conv2DGeometry& g, const float* dy, int64_t samples, const float* ut, bool add,
                             float* dx, float* scratch);

}  // namespace elucid::kernels
