// Products with bfloat16 operands and float32 sums for Keras' mixed_bfloat16 policy, on CPUs with AVX512_BF16
// (vdpbf16ps): the float operands are rounded to bfloat16 (nearest even, vcvtne2ps2bf16) while they are packed, and
// each element of C is one chain of vdpbf16ps steps over k, a pair of k at a time in order (an odd k padded with a
// zero), so its bits depend on the shapes alone. Both instructions treat denormals as zero (inputs below 2^-126 count
// as 0, where round_to_bfloat16 would keep them; their products lie below float's normal range anyway). The packed
// API below lets the convolution pack its operands straight from the image and pack a weight matrix once per call.
#pragma once
#include <cstdint>

namespace elucid::kernels {

// c (m, n) = bf16(op(a)) * bf16(op(b)) + beta * c, op(a) (m, k), op(b) (k, n), row-major with leading dimensions, as
// kernels::sgemm (no alpha); c is not read when beta is 0. Any sizes. Throws elucid::Error unless
// cpu_has_avx512_bf16() (core/kernels/bf16.hpp).
void sgemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// ---- the packed operands (internal: conv.cpp and gemm.cpp) ----
// A pair is a uint32_t holding two bfloat16 values: k = 2p in the low half, k = 2p + 1 in the high half.

inline int64_t bf16_pairs(int64_t k) { return (k + 1) / 2; }
// The row length of a packed B: n rounded up to whole vectors of 16 (the extra columns hold zeros).
inline int64_t bf16_packed_cols(int64_t n) { return (n + 15) / 16 * 16; }

// y (n) = x (n) as the products see their operands: rounded to bfloat16 by vcvtneps2bf16 (nearest even, denormals
// to zero), held in floats (low 16 bits 0). y may equal x. The float32 kernels on such values give the bf16 products'
// numbers (a product of two bfloat16 values is exact in float32): the convolutions' float path (kernels/conv.cpp).
void bf16_round_operand(const float* x, int64_t n, float* y);
// dst (bf16_pairs(k)) = x (k) rounded and paired; an odd k's last pair has a zero high half.
void bf16_pack_row(const float* x, int64_t k, uint32_t* dst);
// dst (padded) = (bf16(lo[j]), bf16(hi[j])) for j < count, zero pairs from count to padded; hi null: zero high
// halves (the padding of an odd k).
void bf16_pack_interleaved(const float* lo, const float* hi, int64_t count, int64_t padded, uint32_t* dst);
// dst (bf16_pairs(segments * run)) = the `segments` runs of `run` floats at x, x + segment_step, ... (a convolution's
// receptive field read in place) rounded and paired as one row of segments * run values.
void bf16_pack_segments(const float* x, int64_t segments, int64_t run, int64_t segment_step, uint32_t* dst);
// bf16_pack_segments for `count` rows, row i read at starts[i] and written at dst + i * dst_row.
void bf16_pack_fields(const float* const* starts, int64_t count, int64_t segments, int64_t run, int64_t segment_step,
                      uint32_t* dst, int64_t dst_row);
// dst (bf16_pairs(count), K), K = segments * run, pair-major: dst[p * K + t] = (value t of row 2p, value t of row
// 2p + 1), rows read as bf16_pack_fields reads them (an odd count's last pair: zero high halves). The A operand of a
// convolution's weight gradient, built straight from the image.
void bf16_pack_field_pairs(const float* const* starts, int64_t count, int64_t segments, int64_t run,
                           int64_t segment_step, uint32_t* dst);
// dst (count) = (lo's value j, hi's value j): lo and hi are packed rows of `count` bf16 values (as bf16_pack_row
// gives them), their pairs taken apart and interleaved with each other; hi null: zeros (an odd depth's padding).
void bf16_interleave_rows(const uint32_t* lo, const uint32_t* hi, int64_t count, uint32_t* dst);
// packed (bf16_pairs(k), bf16_packed_cols(n)) = op(b) (k, n) paired along k: packed[p][j] = (op(b)(2p, j),
// op(b)(2p + 1, j)).
void bf16_pack_b(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb, uint32_t* packed);

// c (m, n) = A * B (+ bias) + beta * c over `pairs` pairs of k: pair p of row i of A at a[i * a_row + p * a_step]
// (row-major pairs: a_row = the row's pairs, a_step 1; pair-major: a_row 1, a_step = the rows), b packed as
// bf16_pack_b gives it (row length bf16_packed_cols(n)); bias (n) added to every row when not null; c not read when
// beta is 0. Only when cpu_has_avx512_bf16().
void bf16_gemm_packed(int64_t m, int64_t n, int64_t pairs, const uint32_t* a, int64_t a_row, int64_t a_step,
                      const uint32_t* b, const float* bias, float beta, float* c, int64_t ldc);

}  // namespace elucid::kernels
