// ELUCID_SIMD_CLONES: compile a hot loop three times (AVX-512, AVX2, baseline x86-64) and pick one at load time by
// the CPU (GCC's target_clones, an ifunc). The build targets baseline x86-64, whose SSE2 loops are 4 floats wide;
// this machine's AVX-512 does 16. Floating-point contraction is off in the files that use it, so every clone
// computes the same bits (same operations, wider registers), and results do not depend on the CPU's clone.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ELUCID_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ELUCID_SIMD_CLONES
#endif
