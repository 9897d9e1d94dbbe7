// bfloat16 rounding for Keras' mixed_bfloat16 policy: tensors stay float32 in memory, and the values that a bf16
// product would see are floats whose low 16 bits are zero (bfloat16 values held in a float).
#pragma once
#include <cstdint>

namespace elucid::kernels {

// True when this CPU has AVX512_BF16 (vdpbf16ps), the only CPUs sgemm_bf16 runs on; checked once. False off x86-64.
bool cpu_has_avx512_bf16();

// x rounded to the nearest bfloat16, ties to even, as a float whose low 16 bits are 0. A NaN stays a (quiet) NaN
// of the same sign, infinities stay, denormals round as any other value, and floats above the largest bfloat16
// (from 0x7f7f8000 up, e.g. FLT_MAX) round to infinity, as round to nearest even says.
float round_to_bfloat16(float x);

// y (n) = round_to_bfloat16(x) elementwise: the same bits as the scalar one (AVX-512 integer arithmetic when the
// CPU has it). y may equal x. Large arrays are split over OpenMP threads (not inside a parallel region); elementwise,
// so thread counts never change a bit.
void round_to_bfloat16(const float* x, float* y, int64_t n);

}  // namespace elucid::kernels
