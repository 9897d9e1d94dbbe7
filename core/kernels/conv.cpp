// The chunked conv2d forward and backward for NHWC images: im2col + sgemm, or on an AVX-512 CPU the AVX-512 kernel
// reading the image in place (valid padding) or a zero-padded copy of it (same padding), for the forward and the
// weight gradient, and for strides 1 the input gradient as a convolution of dy; else col2im for the input gradient.
// With g.bf16 the products are bf16 ones (core/kernels/gemm_bf16.hpp) on operands packed straight from the image,
// one receptive field at a time, and from dy; the weights are packed once per call. Same chunks as the float path.
// Except where the float path is faster (float_path_takes_bf16): there it runs on the operands rounded to bfloat16,
// which gives the same numbers, as a product of two bfloat16 values is exact in float32.
#include <elucid/core/kernels/conv.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/activation.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/gemm.hpp>
#include <elucid/core/kernels/gemm_avx512.hpp>
#include <elucid/core/kernels/gemm_bf16.hpp>
#include <elucid/core/kernels/simd.hpp>
#include <elucid/core/kernels/winograd.hpp>

#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace elucid::kernels {

namespace {

// Samples per chunk: enough rows (samples * OH * OW) for an efficient sgemm (and an im2col slot that stays in
// cache). Depends on the shapes alone: never on the thread count, nor on whether the op runs inside a slice of the
// training step's batch split (train/batch_split.hpp), so that a rank of data-parallel training, which runs its part
// of the batch outside any such region, sums dW in the chunks one process sums that slice in, and the two give the
// same bits (tests/model/several_outputs.cpp, tests/distributed/).
// Winograd's chunks are larger, so that its weight gradient adds and transforms a chunk's 36 sums less often (on its
// own, 256 rows measured as fast at 28x28).
int64_t chunk_samples(const Conv2DGeometry& g) {
  const int64_t kTargetRows = winograd_suits(g) ? 1024 : 256;
  const int64_t rows = std::max<int64_t>(1, g.oh * g.ow);
  int64_t chunk = 1;
  while (chunk * rows < kTargetRows) chunk *= 2;
  return std::max<int64_t>(1, std::min(chunk, g.n));
}

// A buffer that only grows: no allocation per call once warm. Sized before a parallel region, so an allocation
// failure throws on the calling thread instead of terminating inside an OpenMP worker.
template <typename T>
T* workspace(std::vector<T>& buffer, int64_t size) {
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<size_t>(size));
  return buffer.data();
}

// Floats per im2col slot, rounded up to 64 bytes so that every thread's slot has the same alignment and nothing
// about a chunk's arithmetic can depend on which thread took it.
int64_t slot_size(int64_t floats) { return (floats + 15) / 16 * 16; }

// out[i] = (or +=, unless fresh) the sum of element i of the chunks' partial sums, partial (chunks, size), added in
// chunk order from 0: the one order at any thread count and vector width. For the i of block `block` of kSumBlock.
constexpr int64_t kSumBlock = 1024;
int64_t sum_blocks(int64_t size) { return (size + kSumBlock - 1) / kSumBlock; }
ELUCID_SIMD_CLONES void add_chunk_sums(const float* partial, int64_t chunks, int64_t size, int64_t block,
                                       GradBuffer out) {
  const int64_t begin = block * kSumBlock, n = std::min(kSumBlock, size - begin);
  float total[kSumBlock];
  for (int64_t i = 0; i < n; ++i) total[i] = 0.0f;
  for (int64_t ci = 0; ci < chunks; ++ci) {
    const float* p = partial + ci * size + begin;
    for (int64_t i = 0; i < n; ++i) total[i] += p[i];
  }
  float* o = out.data + begin;
  if (out.fresh)
    for (int64_t i = 0; i < n; ++i) o[i] = total[i];
  else
    for (int64_t i = 0; i < n; ++i) o[i] += total[i];
}

// sum (F) = the sum of x's rows (rows, F), each column in row order from 0: the same bits at any vector width.
// Columns in blocks of 32 whose sums stay in registers over the rows (summed in memory, each row would wait for the
// last row's store).
ELUCID_SIMD_CLONES void sum_rows(const float* x, int64_t rows, int64_t f, float* sum) {
  constexpr int64_t kColumns = 32;
  int64_t j0 = 0;
  for (; j0 + kColumns <= f; j0 += kColumns) {
    float total[kColumns] = {};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < kColumns; ++j) total[j] += x[r * f + j0 + j];
    for (int64_t j = 0; j < kColumns; ++j) sum[j0 + j] = total[j];
  }
  for (int64_t j = j0; j < f; ++j) sum[j] = 0.0f;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = j0; j < f; ++j) sum[j] += x[r * f + j];
}

// One slot of `slot` floats per thread of the coming parallel region, in a buffer of the calling thread's.
float* thread_slots(std::vector<float>& buffer, int64_t slot) { return workspace(buffer, slot * omp_get_max_threads()); }
thread_local std::vector<float> column_buffer;  // im2col slots, shared by the forward and the backward
thread_local std::vector<const float*> starts_buffer;  // receptive_field_starts slots, the same
thread_local std::vector<float> canvas_buffer;  // place_on_canvas slots, the same
thread_local std::vector<float> winograd_kernel_buffer;  // the transformed kernel of the call (winograd.hpp)
thread_local std::vector<float> winograd_buffer;         // winograd_forward's scratch slots
thread_local std::vector<float> unpooled_buffer;  // conv2d_max_pool: each chunk's outputs before pooling (slots)
thread_local std::vector<float> rounded_buffer;  // g.bf16 in the float path: chunks' images rounded to bf16 (slots)
thread_local std::vector<float> rounded_kernel_buffer;  // g.bf16 in the float path: the kernel rounded to bf16

// x (n) rounded to bfloat16 into dst, as the bf16 products round their operands, returned: an operand for the float
// path.
const float* rounded(const float* x, int64_t n, float* dst) {
  bf16_round_operand(x, n, dst);
  return dst;
}

// True when the whole receptive field of output (oh, ow) lies inside the image and its columns are contiguous
// (dilation_w 1): then each kernel row is one run of KW * C floats in x. The common case for valid padding.
bool contiguous_window(const Conv2DGeometry& g, int64_t ih0, int64_t iw0) {
  return g.dilation_w == 1 && ih0 >= 0 && ih0 + (g.kh - 1) * g.dilation_h < g.h && iw0 >= 0 && iw0 + g.kw <= g.w;
}

// True when the forward can read x in place instead of building im2col columns: every receptive field is a
// contiguous window (the first and the last are, so all between are: what Keras' "valid" padding gives) and the
// AVX-512 kernel takes the product (core/kernels/gemm_avx512.hpp). Same bits either way.
bool reads_in_place(const Conv2DGeometry& g) {
  return contiguous_window(g, -g.pad_top, -g.pad_left) &&
         contiguous_window(g, (g.oh - 1) * g.stride_h - g.pad_top, (g.ow - 1) * g.stride_w - g.pad_left) &&
         sgemm_avx512_rows_suit(g.f, g.kh, g.kw * g.c);
}

// g over its images placed in a zero canvas at (pad_top, pad_left), the canvas just large enough for the last window:
// the same outputs from an image without padding, so that a product can read its windows in place.
Conv2DGeometry padded(const Conv2DGeometry& g) {
  Conv2DGeometry p = g;
  p.h = (g.oh - 1) * g.stride_h + (g.kh - 1) * g.dilation_h + 1;
  p.w = (g.ow - 1) * g.stride_w + (g.kw - 1) * g.dilation_w + 1;
  p.pad_top = p.pad_left = 0;
  return p;
}

// How a chunk's products read the receptive fields: in place from x (valid padding), in place from a zero-padded
// copy of the chunk's images (same padding: one copy of each image instead of KH * KW in im2col columns), or from
// im2col columns. The same bits each way: the columns hold the canvas' zeros as well, in the same order.
enum class Fields { in_place, padded_copy, columns };
Fields fields_of(const Conv2DGeometry& g) {
  if (reads_in_place(g)) return Fields::in_place;
  if (reads_in_place(padded(g))) return Fields::padded_copy;
  return Fields::columns;
}

// Floats of one image's canvas: padded(g) (H', W', C).
int64_t canvas_floats(const Conv2DGeometry& g) {
  const Conv2DGeometry canvas = padded(g);
  return canvas.h * canvas.w * canvas.c;
}

// out (samples, padded(g).h, padded(g).w, C) = the images at x (samples, H, W, C) placed at (pad_top, pad_left) >= 0
// of canvases of zeros; image rows and columns past the canvas are left out.
void place_on_canvas(const Conv2DGeometry& g, const float* x, int64_t samples, float* out) {
  const Conv2DGeometry canvas = padded(g);
  const int64_t before = std::min(g.pad_left, canvas.w) * g.c;
  const int64_t copied = std::clamp<int64_t>(canvas.w - g.pad_left, 0, g.w) * g.c, row = canvas.w * g.c;
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t ch = 0; ch < canvas.h; ++ch) {
      float* dst = out + (s * canvas.h + ch) * row;
      const int64_t ih = ch - g.pad_top;
      if (ih < 0 || ih >= g.h) {
        std::fill(dst, dst + row, 0.0f);
        continue;
      }
      std::fill(dst, dst + before, 0.0f);
      std::memcpy(dst + before, x + (s * g.h + ih) * g.w * g.c, sizeof(float) * static_cast<size_t>(copied));
      std::fill(dst + before + copied, dst + row, 0.0f);
    }
}

// The convolution whose output is a stride-1 convolution's input gradient: dy (OH, OW, F) padded by
// ((KH - 1) * dilation_h - pad_top, (KW - 1) * dilation_w - pad_left) and convolved (the same dilation) with the
// kernel turned by 180 degrees and its channels swapped, (KH, KW, F, C), giving (H, W, C):
// dx[ih, iw, c] = sum over i, j, f of dy_padded[ih + i * dilation_h, iw + j * dilation_w, f] * w[KH-1-i, KW-1-j, c, f].
Conv2DGeometry input_gradient_geometry(const Conv2DGeometry& g) {
  Conv2DGeometry t = g;
  t.h = g.oh;
  t.w = g.ow;
  t.c = g.f;
  t.f = g.c;
  t.oh = g.h;
  t.ow = g.w;
  t.pad_top = (g.kh - 1) * g.dilation_h - g.pad_top;
  t.pad_left = (g.kw - 1) * g.dilation_w - g.pad_left;
  return t;
}

// True when the input gradient is that convolution (strides 1, and dy fits its canvas) with no more products than
// dy w^T (as many inputs as outputs: Keras' same padding; with valid padding the canvas' zero border would cost
// (H * W) / (OH * OW) times the products, more than col2im saves), and the AVX-512 kernel reads its windows in place.
bool input_gradient_reads_in_place(const Conv2DGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.pad_top <= (g.kh - 1) * g.dilation_h &&
         g.pad_left <= (g.kw - 1) * g.dilation_w && g.oh <= g.h + g.pad_top && g.ow <= g.w + g.pad_left &&
         g.h * g.w <= g.oh * g.ow && reads_in_place(padded(input_gradient_geometry(g)));
}

// turned (KH, KW, F, C) = w (KH, KW, C, F) turned by 180 degrees, its channels swapped: the input gradient's kernel.
void turn_kernel(const Conv2DGeometry& g, const float* w, float* turned) {
  for (int64_t i = 0; i < g.kh; ++i)
    for (int64_t j = 0; j < g.kw; ++j) {
      const float* src = w + ((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.c * g.f;
      float* dst = turned + (i * g.kw + j) * g.f * g.c;
      for (int64_t f = 0; f < g.f; ++f)  // stores in order, loads strided: those the cheaper to wait for
        for (int64_t c = 0; c < g.c; ++c) dst[f * g.c + c] = src[c * g.f + f];
    }
}

// starts (samples * OH * OW): where in x the first kernel row of each output's receptive field begins (as im2col
// finds it; only for reads_in_place geometries, whose windows all lie inside the image).
void receptive_field_starts(const Conv2DGeometry& g, const float* x, int64_t samples, const float** starts) {
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
        *starts++ = x + ((s * g.h + ih0) * g.w + iw0) * g.c;
      }
}

// starts (samples * OH * OW) = the receptive fields of a chunk's images x (samples, H, W, C), read in place, or in
// their copy on `canvas` (padded(g)) when it is set. Returns the distance in floats from one kernel row to the next.
int64_t chunk_field_starts(const Conv2DGeometry& g, const float* x, int64_t samples, float* canvas,
                           const float** starts) {
  const Conv2DGeometry read = canvas ? padded(g) : g;
  if (canvas) {
    place_on_canvas(g, x, samples, canvas);
    x = canvas;
  }
  receptive_field_starts(read, x, samples, starts);
  return g.dilation_h * read.w * g.c;
}

// row (KH * KW * C) = the receptive field of output (oh, ow) of image xs (H, W, C), in kernel order (zeros outside).
void im2col_row(const Conv2DGeometry& g, const float* xs, int64_t oh, int64_t ow, float* row) {
  const int64_t run = g.kw * g.c;
  const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
  if (contiguous_window(g, ih0, iw0)) {
    for (int64_t i = 0; i < g.kh; ++i)
      std::memcpy(row + i * run, xs + ((ih0 + i * g.dilation_h) * g.w + iw0) * g.c,
                  sizeof(float) * static_cast<size_t>(run));
    return;
  }
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t ih = ih0 + i * g.dilation_h;
    const bool row_inside = ih >= 0 && ih < g.h;
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t iw = iw0 + j * g.dilation_w;
      float* dst = row + (i * g.kw + j) * g.c;
      if (row_inside && iw >= 0 && iw < g.w)
        std::memcpy(dst, xs + (ih * g.w + iw) * g.c, sizeof(float) * static_cast<size_t>(g.c));
      else
        std::memset(dst, 0, sizeof(float) * static_cast<size_t>(g.c));
    }
  }
}

// col (samples * OH * OW, KH * KW * C): row (s, oh, ow) holds the receptive field of that output, in kernel order.
void im2col(const Conv2DGeometry& g, const float* x, int64_t samples, float* col) {
  const int64_t k = g.kh * g.kw * g.c;
  for (int64_t s = 0; s < samples; ++s) {
    const float* xs = x + s * g.h * g.w * g.c;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) im2col_row(g, xs, oh, ow, col + ((s * g.oh + oh) * g.ow + ow) * k);
  }
}

// The adjoint of im2col: adds each column entry back into the input cell it was copied from.
void col2im_add(const Conv2DGeometry& g, const float* col, int64_t samples, float* dx) {
  const int64_t k = g.kh * g.kw * g.c, run = g.kw * g.c;
  for (int64_t s = 0; s < samples; ++s) {
    float* dxs = dx + s * g.h * g.w * g.c;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const float* row = col + ((s * g.oh + oh) * g.ow + ow) * k;
        const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
        if (contiguous_window(g, ih0, iw0)) {
          for (int64_t i = 0; i < g.kh; ++i) {
            const float* src = row + i * run;
            float* dst = dxs + ((ih0 + i * g.dilation_h) * g.w + iw0) * g.c;
            for (int64_t t = 0; t < run; ++t) dst[t] += src[t];
          }
          continue;
        }
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = ih0 + i * g.dilation_h;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = iw0 + j * g.dilation_w;
            if (iw < 0 || iw >= g.w) continue;
            const float* src = row + (i * g.kw + j) * g.c;
            float* dst = dxs + (ih * g.w + iw) * g.c;
            for (int64_t c = 0; c < g.c; ++c) dst[c] += src[c];
          }
        }
      }
  }
}

// With g.bf16: true when the float path, on the operands rounded to bfloat16, is faster than the bf16 kernels for
// the products asked for (the forward's, or the backward's dW and dX): where Winograd suits each of them (4 to 5
// times fewer multiplications: kernels/winograd.hpp), or where a sum has fewer than 16 terms (K = KH * KW * C: one
// input channel), too short for packing bfloat16 pairs to pay (the seed model's first convolution, K 9).
bool float_path_takes_bf16(const Conv2DGeometry& g, bool forward, bool dx, bool dw) {
  if (g.kh * g.kw * g.c < 16) return true;
  if (winograd_suits(g)) return true;  // the forward, dW and dX (winograd_input_gradient) all by Winograd
  return !forward && !dw && (!dx || winograd_suits(input_gradient_geometry(g)));
}

// ---- bf16 products (g.bf16) ----
// Operands are packed as gemm_bf16.hpp says: pairs of bf16 values along the product's depth. Per thread slots of the
// calling thread's buffers, sized before each parallel region; the weights packed once per call, shared read-only.
thread_local std::vector<uint32_t> bf16_weight_buffer;  // w (K, F) paired along K, or w^T (F, K) paired along F
thread_local std::vector<uint32_t> bf16_a_buffer;       // per thread: the chunk's A operand
thread_local std::vector<uint32_t> bf16_b_buffer;       // per thread: the chunk's dy paired along its rows (dW)
thread_local std::vector<float> bf16_row_buffer;        // per thread: a receptive field (KH * KW * C floats)
thread_local std::vector<uint32_t> bf16_field_buffer;   // per thread: the chunk's receptive fields paired (dW)

// The max-pooling p of `samples` samples of a convolution's outputs: a chunk's.
Pool2DGeometry chunk_pooling(const Pool2DGeometry& p, int64_t samples) {
  Pool2DGeometry chunk = p;
  chunk.n = samples;
  return chunk;
}

// Values of `samples` samples' pooled outputs: where sample `samples` starts in y, argmax and their gradient.
int64_t pooled_values(const Pool2DGeometry& p, int64_t samples) { return samples * p.oh * p.ow * p.c; }

// The chunk of samples [s0, s0 + samples) of a convolution's outputs, yc, max-pooled by p into y and argmax (unless
// null), which hold the whole batch's.
void pool_chunk(const Pool2DGeometry& p, int64_t s0, int64_t samples, const float* yc, float* y, int32_t* argmax) {
  const int64_t out = pooled_values(p, s0);
  max_pool2d_forward(chunk_pooling(p, samples), yc, y + out, argmax ? argmax + out : nullptr);
}

// The backward of pool_chunk: dz = the chunk's convolution-output gradient (assigned) from the batch's pooled dy.
void unpool_chunk(const Pool2DGeometry& p, int64_t s0, int64_t samples, const int32_t* argmax, const float* dy,
                  float* dz) {
  const int64_t out = pooled_values(p, s0);
  max_pool2d_backward(chunk_pooling(p, samples), argmax + out, dy + out, {dz, true});
}

void require_bf16(const char* op) {
  if (!cpu_has_avx512_bf16())
    throw Error(std::string(op) + ": bf16 products need a CPU with AVX512_BF16 (vdpbf16ps), and this one has none");
}

// dst (pairs(K)) = the receptive field of output (oh, ow) of image xs, paired: read in place when the window is
// contiguous, else through im2col_row into `row` (K floats).
void pack_field(const Conv2DGeometry& g, const float* xs, int64_t oh, int64_t ow, float* row, uint32_t* dst) {
  const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
  if (contiguous_window(g, ih0, iw0)) {
    bf16_pack_segments(xs + (ih0 * g.w + iw0) * g.c, g.kh, g.kw * g.c, g.dilation_h * g.w * g.c, dst);
    return;
  }
  im2col_row(g, xs, oh, ow, row);
  bf16_pack_row(row, g.kh * g.kw * g.c, dst);
}

// True when every receptive field is a contiguous window (the first and the last are, so all between are).
bool windows_contiguous(const Conv2DGeometry& g) {
  return contiguous_window(g, -g.pad_top, -g.pad_left) &&
         contiguous_window(g, (g.oh - 1) * g.stride_h - g.pad_top, (g.ow - 1) * g.stride_w - g.pad_left);
}

// a (samples * OH * OW, pairs(K)) = the receptive fields of the chunk at xc, each paired along K: with `contiguous`
// (windows_contiguous) all in one call from their starts in the image, else one by one. starts (samples * OH * OW)
// and row (K) are scratch.
void pack_fields(const Conv2DGeometry& g, const float* xc, int64_t samples, bool contiguous, const float** starts,
                 float* row, uint32_t* a) {
  const int64_t pairs = bf16_pairs(g.kh * g.kw * g.c);
  if (contiguous) {
    receptive_field_starts(g, xc, samples, starts);
    bf16_pack_fields(starts, samples * g.oh * g.ow, g.kh, g.kw * g.c, g.dilation_h * g.w * g.c, a, pairs);
    return;
  }
  for (int64_t s = 0; s < samples; ++s) {
    const float* xs = xc + s * g.h * g.w * g.c;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) pack_field(g, xs, oh, ow, row, a + ((s * g.oh + oh) * g.ow + ow) * pairs);
  }
}

// The bf16 forward_chunks: y = conv(x, w) + b (then elu, or with `pool` its pooling, as the float path): each
// chunk's receptive fields, one row of A each, packed in pairs (rows, pairs(K)) and multiplied by w packed once
// (pairs(K), F).
void forward_chunks_bf16(const Conv2DGeometry& g, const float* x, const float* w, const float* b, bool elu,
                         float alpha, float* y, const Pool2DGeometry* pool, int32_t* argmax) {
  require_bf16("conv2d (bf16)");
  const int64_t k = g.kh * g.kw * g.c, pairs = bf16_pairs(k), rows_per_sample = g.oh * g.ow;
  const int64_t chunk = chunk_samples(g), chunks = (g.n + chunk - 1) / chunk;
  uint32_t* w_packed = workspace(bf16_weight_buffer, pairs * bf16_packed_cols(g.f));
  bf16_pack_b(false, k, g.f, w, g.f, w_packed);
  const int64_t threads = omp_get_max_threads();
  const int64_t a_slot = slot_size(chunk * rows_per_sample * pairs), row_slot = slot_size(k);
  const int64_t starts_slot = chunk * rows_per_sample;
  const bool contiguous = windows_contiguous(g);
  uint32_t* a_all = workspace(bf16_a_buffer, a_slot * threads);
  float* row_all = workspace(bf16_row_buffer, row_slot * threads);
  const float** starts_all = workspace(starts_buffer, starts_slot * threads);
  const int64_t unpooled_slot = pool ? slot_size(chunk * rows_per_sample * g.f) : 0;
  float* unpooled = pool ? thread_slots(unpooled_buffer, unpooled_slot) : nullptr;
#pragma omp parallel for schedule(static)
  for (int64_t ci = 0; ci < chunks; ++ci) {
    const int64_t s0 = ci * chunk, samples = std::min(chunk, g.n - s0), rows = samples * rows_per_sample;
    const int64_t thread = omp_get_thread_num();
    uint32_t* a = a_all + thread * a_slot;
    pack_fields(g, x + s0 * g.h * g.w * g.c, samples, contiguous, starts_all + thread * starts_slot,
                row_all + thread * row_slot, a);
    float* yc = pool ? unpooled + thread * unpooled_slot : y + s0 * rows_per_sample * g.f;
    bf16_gemm_packed(rows, g.f, pairs, a, pairs, 1, w_packed, b, 0.0f, yc, g.f);
    if (elu) elu_forward_serial(yc, yc, rows * g.f, alpha);
    if (pool) pool_chunk(*pool, s0, samples, yc, y, argmax);
  }
}

// The bf16 backward_chunks. Per chunk: dz = dy * elu'(y) as the float path (with y_elu), or with `pool` dy scattered
// back onto the convolution's outputs (unpool_chunk); db summed in float;
// dW (K, F) = A (K, rows) * dy (rows, F), A = the receptive fields paired along the rows (pair-major, two
// receptive fields interleaved per pair) and dy paired along its rows; dcol (rows, K) = dy (rows, F) * w^T (F, K),
// dy paired along F and w^T packed once; then col2im in float.
void backward_chunks_bf16(const Conv2DGeometry& g, const float* x, const float* w, const float* y_elu, float alpha,
                          const float* dy, GradBuffer dx_out, GradBuffer dw_out, GradBuffer db_out,
                          const Pool2DGeometry* pool, const int32_t* argmax) {
  require_bf16("conv2d backward (bf16)");
  float *dx = dx_out.data, *dw = dw_out.data, *db = db_out.data;
  const int64_t k = g.kh * g.kw * g.c, rows_per_sample = g.oh * g.ow;
  const int64_t chunk = chunk_samples(g), chunks = (g.n + chunk - 1) / chunk, chunk_rows = chunk * rows_per_sample;
  const int64_t threads = omp_get_max_threads();
  thread_local std::vector<float> dw_partial_buffer, db_partial_buffer, dz_buffer;  // the calling thread's
  float* dw_partial = dw ? workspace(dw_partial_buffer, chunks * k * g.f) : nullptr;
  float* db_partial = db ? workspace(db_partial_buffer, chunks * g.f) : nullptr;
  const int64_t dz_slot = slot_size(chunk_rows * g.f);
  float* dzs = y_elu || pool ? workspace(dz_buffer, dz_slot * threads) : nullptr;
  // w^T (F, K) paired along F, for dX.
  const int64_t f_pairs = bf16_pairs(g.f), row_pairs = bf16_pairs(chunk_rows);
  uint32_t* wt_packed = dx ? workspace(bf16_weight_buffer, f_pairs * bf16_packed_cols(k)) : nullptr;
  if (dx) bf16_pack_b(true, g.f, k, w, g.f, wt_packed);
  // A: for dW the receptive fields (row_pairs, K); for dX dy (rows, f_pairs); the two take turns in one slot.
  const int64_t a_slot = slot_size(std::max(dw ? row_pairs * k : 0, dx ? chunk_rows * f_pairs : 0));
  const int64_t b_slot = dw ? slot_size(row_pairs * bf16_packed_cols(g.f)) : 0, row_slot = slot_size(k);
  const int64_t field_slot = slot_size(chunk_rows * bf16_pairs(k));
  const bool contiguous = windows_contiguous(g);
  uint32_t* a_all = workspace(bf16_a_buffer, a_slot * threads);
  uint32_t* b_all = dw ? workspace(bf16_b_buffer, b_slot * threads) : nullptr;
  float* row_all = dw ? workspace(bf16_row_buffer, row_slot * threads) : nullptr;
  uint32_t* field_all = dw && !contiguous ? workspace(bf16_field_buffer, field_slot * threads) : nullptr;
  const float** starts_all = dw && contiguous ? workspace(starts_buffer, chunk_rows * threads) : nullptr;
  const int64_t col_slot = slot_size(chunk_rows * k);
  float* columns = dx ? thread_slots(column_buffer, col_slot) : nullptr;
  const int64_t dw_size = k * g.f;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int64_t ci = 0; ci < chunks; ++ci) {
      const int64_t s0 = ci * chunk, samples = std::min(chunk, g.n - s0), rows = samples * rows_per_sample;
      const int64_t thread = omp_get_thread_num();
      const float* dyc = dy + s0 * rows_per_sample * g.f;
      if (y_elu) {
        float* dz = dzs + thread * dz_slot;
        elu_backward_serial(y_elu + s0 * rows_per_sample * g.f, dyc, {dz, true}, rows * g.f, alpha);
        dyc = dz;
      } else if (pool) {
        float* dz = dzs + thread * dz_slot;
        unpool_chunk(*pool, s0, samples, argmax, dy, dz);
        dyc = dz;
      }
      uint32_t* a = a_all + thread * a_slot;
      if (dw) {
        // Pair p of A's row t: taps t of the receptive fields of the chunk's outputs 2p and 2p + 1. Contiguous
        // windows: straight from the image. Else the fields are paired along K first (rows, pairs(K)), then each
        // two fields' values interleaved (a missing second: zeros).
        const float* xc = x + s0 * g.h * g.w * g.c;
        const int64_t pairs = bf16_pairs(rows), field_pairs = bf16_pairs(k);
        if (contiguous) {
          const float** starts = starts_all + thread * chunk_rows;
          receptive_field_starts(g, xc, samples, starts);
          bf16_pack_field_pairs(starts, rows, g.kh, g.kw * g.c, g.dilation_h * g.w * g.c, a);
        } else {
          uint32_t* fields = field_all + thread * field_slot;
          pack_fields(g, xc, samples, false, nullptr, row_all + thread * row_slot, fields);
          for (int64_t p = 0; p < pairs; ++p)
            bf16_interleave_rows(fields + 2 * p * field_pairs,
                                 2 * p + 1 < rows ? fields + (2 * p + 1) * field_pairs : nullptr, k, a + p * k);
        }
        uint32_t* dy_packed = b_all + thread * b_slot;
        bf16_pack_b(false, rows, g.f, dyc, g.f, dy_packed);
        bf16_gemm_packed(k, g.f, pairs, a, 1, k, dy_packed, nullptr, 0.0f, dw_partial + ci * dw_size, g.f);
      }
      if (db) sum_rows(dyc, rows, g.f, db_partial + ci * g.f);
      if (dx) {
        // dy's rows paired along F; with F even no pair crosses a row, so the chunk is one row of rows * F values.
        if (g.f % 2 == 0)
          bf16_pack_row(dyc, rows * g.f, a);
        else
          for (int64_t r = 0; r < rows; ++r) bf16_pack_row(dyc + r * g.f, g.f, a + r * f_pairs);
        float* col = columns + thread * col_slot;
        bf16_gemm_packed(rows, k, f_pairs, a, f_pairs, 1, wt_packed, nullptr, 0.0f, col, k);
        float* dxc = dx + s0 * g.h * g.w * g.c;
        if (dx_out.fresh) std::fill(dxc, dxc + samples * g.h * g.w * g.c, 0.0f);
        col2im_add(g, col, samples, dxc);
      }
    }
    // dW: each element summed over the chunks in chunk order, as the float path.
    if (dw) {
#pragma omp for schedule(static)
      for (int64_t block = 0; block < sum_blocks(dw_size); ++block)
        add_chunk_sums(dw_partial, chunks, dw_size, block, dw_out);
    }
  }
  if (db)
    for (int64_t block = 0; block < sum_blocks(g.f); ++block) add_chunk_sums(db_partial, chunks, g.f, block, db_out);
}

// y = conv(x, w) + b, then y = elu(y) chunk by chunk while the chunk is in cache when `elu` is set. With `pool`, each
// chunk's conv(x, w) + b goes to a per-thread slot instead, and y (and argmax, unless null) receive its pooling.
void forward_chunks(const Conv2DGeometry& g, const float* x, const float* w, const float* b, bool elu, float alpha,
                    float* y, const Pool2DGeometry* pool = nullptr, int32_t* argmax = nullptr) {
  if (g.bf16 && !float_path_takes_bf16(g, true, false, false)) {
    forward_chunks_bf16(g, x, w, b, elu, alpha, y, pool, argmax);
    return;
  }
  if (g.bf16) require_bf16("conv2d (bf16)");  // bf16_round_operand
  const int64_t k = g.kh * g.kw * g.c, rows_per_sample = g.oh * g.ow;
  const int64_t chunk = chunk_samples(g), chunks = (g.n + chunk - 1) / chunk;
  // 3x3, stride 1, valid or same padding, whole vectors of channels, tiles that fit the outputs (winograd_suits):
  // Winograd from w transformed once. With g.bf16 w and each chunk's images are rounded to bfloat16 first.
  const bool winograd = winograd_suits(g);
  const int64_t image_floats = g.h * g.w * g.c, rounded_slot = g.bf16 ? slot_size(chunk * image_floats) : 0;
  float* rounded_images = g.bf16 ? thread_slots(rounded_buffer, rounded_slot) : nullptr;
  if (g.bf16) w = rounded(w, k * g.f, workspace(rounded_kernel_buffer, k * g.f));
  float* u = winograd ? workspace(winograd_kernel_buffer, winograd_kernel_floats(g)) : nullptr;
  if (u) winograd_transform_kernel(g, w, u);
  const int64_t winograd_slot = winograd ? slot_size(winograd_scratch_floats(g)) : 0;
  float* winograd_scratch = winograd ? thread_slots(winograd_buffer, winograd_slot) : nullptr;
  const Fields fields = winograd ? Fields::in_place : fields_of(g);  // no canvas, no columns with Winograd
  const int64_t slot = slot_size(chunk * rows_per_sample * k), starts_slot = chunk * rows_per_sample;
  const int64_t canvas_slot = slot_size(chunk * canvas_floats(g));
  float* columns = fields == Fields::columns ? thread_slots(column_buffer, slot) : nullptr;
  float* canvases = fields == Fields::padded_copy ? thread_slots(canvas_buffer, canvas_slot) : nullptr;
  const float** all_starts = fields == Fields::columns || winograd
                                 ? nullptr
                                 : workspace(starts_buffer, starts_slot * omp_get_max_threads());
  const int64_t unpooled_slot = pool ? slot_size(chunk * rows_per_sample * g.f) : 0;
  float* unpooled = pool ? thread_slots(unpooled_buffer, unpooled_slot) : nullptr;
#pragma omp parallel for schedule(static)
  for (int64_t ci = 0; ci < chunks; ++ci) {
    const int64_t s0 = ci * chunk, samples = std::min(chunk, g.n - s0), rows = samples * rows_per_sample;
    const float* xc = x + s0 * image_floats;
    if (g.bf16) xc = rounded(xc, samples * image_floats, rounded_images + omp_get_thread_num() * rounded_slot);
    float* yc = pool ? unpooled + omp_get_thread_num() * unpooled_slot : y + s0 * rows_per_sample * g.f;
    if (winograd) {
      winograd_forward(g, xc, samples, u, b, false, yc, winograd_scratch + omp_get_thread_num() * winograd_slot);
    } else if (fields != Fields::columns) {
      // yc (rows, F) = the receptive fields in x (or its padded copy), KH runs of KW * C floats each,
      // (rows, K) * w (K, F) + b
      float* canvas = canvases ? canvases + omp_get_thread_num() * canvas_slot : nullptr;
      const float** starts = all_starts + omp_get_thread_num() * starts_slot;
      const int64_t row_step = chunk_field_starts(g, xc, samples, canvas, starts);
      sgemm_avx512_rows(rows, g.f, g.kh, g.kw * g.c, starts, row_step, w, g.f, b, 0.0f, yc, g.f);
    } else {
      // yc (rows, F) = col (rows, K) * w (K, F) + yc, yc set to b first
      if (b)
        for (int64_t r = 0; r < rows; ++r) std::memcpy(yc + r * g.f, b, sizeof(float) * static_cast<size_t>(g.f));
      float* col = columns + omp_get_thread_num() * slot;
      im2col(g, xc, samples, col);
      sgemm(false, false, rows, g.f, k, 1.0f, col, k, w, g.f, b ? 1.0f : 0.0f, yc, g.f);
    }
    if (elu) elu_forward_serial(yc, yc, rows * g.f, alpha);
    if (pool) pool_chunk(*pool, s0, samples, yc, y, argmax);
  }
}

// The backward of forward_chunks. With `y_elu` (the saved ELU output), each chunk first turns dy into the gradient of
// the pre-activation, dz = dy * elu'(y), in a per-thread slot, and goes on with dz. With `pool`, dy is the pooling's
// gradient: each chunk scatters it back onto the convolution's outputs in that slot first (max_pool2d_backward).
void backward_chunks(const Conv2DGeometry& g, const float* x, const float* w, const float* y_elu, float alpha,
                     const float* dy, GradBuffer dx_out, GradBuffer dw_out, GradBuffer db_out,
                     const Pool2DGeometry* pool = nullptr, const int32_t* argmax = nullptr) {
  if (g.bf16 && !float_path_takes_bf16(g, false, dx_out.data != nullptr, dw_out.data != nullptr)) {
    backward_chunks_bf16(g, x, w, y_elu, alpha, dy, dx_out, dw_out, db_out, pool, argmax);
    return;
  }
  if (g.bf16) require_bf16("conv2d backward (bf16)");  // bf16_round_operand
  float *dx = dx_out.data, *dw = dw_out.data, *db = db_out.data;
  const int64_t k = g.kh * g.kw * g.c, rows_per_sample = g.oh * g.ow;
  const int64_t chunk = chunk_samples(g), chunks = (g.n + chunk - 1) / chunk;
  // Per-chunk partial sums of dW (K, F) and db (F), added in chunk order below.
  thread_local std::vector<float> dw_partial_buffer, db_partial_buffer;  // the calling thread's
  float* dw_partial = dw ? workspace(dw_partial_buffer, chunks * k * g.f) : nullptr;
  float* db_partial = db ? workspace(db_partial_buffer, chunks * g.f) : nullptr;
  const int64_t slot = slot_size(chunk * rows_per_sample * k), dz_slot = slot_size(chunk * rows_per_sample * g.f);
  thread_local std::vector<float> dz_buffer;
  float* dzs = y_elu || pool || g.bf16 ? thread_slots(dz_buffer, dz_slot) : nullptr;
  // With g.bf16 the kernel, and each chunk's images and dz, are rounded to bfloat16 before their products; db sums
  // dz in float32.
  const int64_t image_floats = g.h * g.w * g.c, rounded_slot = g.bf16 && dw ? slot_size(chunk * image_floats) : 0;
  float* rounded_images = g.bf16 && dw ? thread_slots(rounded_buffer, rounded_slot) : nullptr;
  if (g.bf16 && dx) w = rounded(w, k * g.f, workspace(rounded_kernel_buffer, k * g.f));  // only dX's products read w
  // dW reads x in place (or its padded copy), as the forward does, when the chunk's rows are a depth the AVX-512
  // kernel takes.
  const Fields fields = fields_of(g);
  const bool dw_winograd = dw && winograd_suits(g);  // dW by Winograd (kernels/winograd.hpp)
  const bool dw_in_place =
      dw && !dw_winograd && fields != Fields::columns && sgemm_avx512_suits(k, g.f, chunk * rows_per_sample);
  const bool dw_canvas = dw_in_place && fields == Fields::padded_copy;
  // dX as the convolution of dy's canvas with the turned kernel when it can (input_gradient_geometry, strides 1):
  // each element one FMA chain, no columns and no col2im; else dcol (rows, K) = dy w^T scattered back by col2im.
  // That convolution by Winograd when it suits (winograd_suits asks for strides 1; same padding gives
  // same padding, valid padding a "full" one of 2 on each side), whatever its zero border would cost the direct
  // kernels: there it costs only the tiles' partly empty windows.
  // When the forward runs as Winograd, dX by the adjoint of its transforms on its tiles (winograd_input_gradient):
  // for valid padding fewer tiles than the full convolution's.
  const Conv2DGeometry back = input_gradient_geometry(g);  // dx's convolution, when dx_convolved
  const bool dx_adjoint = dx && winograd_suits(g);
  const bool dx_winograd = dx && !dx_adjoint && winograd_suits(back);
  const bool dx_convolved = dx_winograd || (dx && !dx_adjoint && input_gradient_reads_in_place(g));
  thread_local std::vector<float> turned_buffer;  // the calling thread's
  float* turned = dx_convolved ? workspace(turned_buffer, k * g.f) : nullptr;
  if (turned) turn_kernel(g, w, turned);
  float* u = dx_adjoint || dx_winograd
                 ? workspace(winograd_kernel_buffer, winograd_kernel_floats(dx_adjoint ? g : back))
                 : nullptr;
  if (dx_adjoint) winograd_transform_kernel_for_input_gradient(g, w, u);
  if (dx_winograd) winograd_transform_kernel(back, turned, u);
  // A chunk's dW and dX take turns in one slot of Winograd's scratch.
  const int64_t winograd_slot = slot_size(std::max({dw_winograd ? winograd_weight_gradient_scratch_floats(g) : 0,
                                                    dx_adjoint ? winograd_scratch_floats(g) : 0,
                                                    dx_winograd ? winograd_scratch_floats(back) : 0}));
  float* winograd_scratch =
      dw_winograd || dx_adjoint || dx_winograd ? thread_slots(winograd_buffer, winograd_slot) : nullptr;
  const bool dx_in_place = dx_convolved && !dx_winograd;
  float* columns = (dx && !dx_adjoint && !dx_convolved) || (dw && !dw_in_place && !dw_winograd)
                       ? thread_slots(column_buffer, slot)
                       : nullptr;
  // Each chunk's dW and dX take turns in one slot of receptive-field starts and one canvas.
  const int64_t starts_slot = chunk * std::max(rows_per_sample, dx_in_place ? g.h * g.w : 0);
  const int64_t canvas_slot =
      slot_size(chunk * std::max(dw_canvas ? canvas_floats(g) : 0, dx_in_place ? canvas_floats(back) : 0));
  const float** all_starts =
      dw_in_place || dx_in_place ? workspace(starts_buffer, starts_slot * omp_get_max_threads()) : nullptr;
  float* canvases = dw_canvas || dx_in_place ? thread_slots(canvas_buffer, canvas_slot) : nullptr;
  const int64_t dw_size = k * g.f;
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int64_t ci = 0; ci < chunks; ++ci) {
      const int64_t s0 = ci * chunk, samples = std::min(chunk, g.n - s0), rows = samples * rows_per_sample;
      const float* dyc = dy + s0 * rows_per_sample * g.f;
      float* dz = dzs ? dzs + omp_get_thread_num() * dz_slot : nullptr;
      if (y_elu) {
        elu_backward_serial(y_elu + s0 * rows_per_sample * g.f, dyc, {dz, true}, rows * g.f, alpha);
        dyc = dz;
      } else if (pool) {
        unpool_chunk(*pool, s0, samples, argmax, dy, dz);
        dyc = dz;
      }
      if (db) sum_rows(dyc, rows, g.f, db_partial + ci * g.f);
      if (g.bf16) dyc = rounded(dyc, rows * g.f, dz);
      const float* xc = x ? x + s0 * image_floats : nullptr;  // x is null when only dx is asked for (conv2d_transpose)
      if (g.bf16 && dw) xc = rounded(xc, samples * image_floats, rounded_images + omp_get_thread_num() * rounded_slot);
      float* col = columns ? columns + omp_get_thread_num() * slot : nullptr;  // im2col for dW, then dcol
      if (dw_winograd) {
        winograd_weight_gradient(g, xc, samples, dyc, dw_partial + ci * dw_size,
                                 winograd_scratch + omp_get_thread_num() * winograd_slot);
      } else if (dw_in_place) {
        // dW chunk (K, F) = (the receptive fields in x or its padded copy, (rows, K))^T * dy (rows, F)
        float* canvas = dw_canvas ? canvases + omp_get_thread_num() * canvas_slot : nullptr;
        const float** starts = all_starts + omp_get_thread_num() * starts_slot;
        const int64_t row_step = chunk_field_starts(g, xc, samples, canvas, starts);
        sgemm_avx512_rows_transposed(g.kh, g.kw * g.c, g.f, rows, starts, row_step, dyc, g.f,
                                     dw_partial + ci * dw_size, g.f);
      } else if (dw) {
        im2col(g, xc, samples, col);
        // dW chunk (K, F) = col^T (K, rows) * dy (rows, F)
        sgemm(true, false, k, g.f, rows, 1.0f, col, k, dyc, g.f, 0.0f, dw_partial + ci * dw_size, g.f);
      }
      if (dx_adjoint) {
        winograd_input_gradient(g, dyc, samples, u, !dx_out.fresh, dx + s0 * image_floats,
                                winograd_scratch + omp_get_thread_num() * winograd_slot);
      } else if (dx_winograd) {
        winograd_forward(back, dyc, samples, u, nullptr, !dx_out.fresh, dx + s0 * g.h * g.w * g.c,
                         winograd_scratch + omp_get_thread_num() * winograd_slot);
      } else if (dx_convolved) {
        // dx chunk (samples * H * W, C) = the windows of dy's canvas (KH runs of KW * F floats each) * turned
        // (KH * KW * F, C), added to dx unless it is fresh.
        float* canvas = canvases + omp_get_thread_num() * canvas_slot;
        const float** starts = all_starts + omp_get_thread_num() * starts_slot;
        const int64_t row_step = chunk_field_starts(back, dyc, samples, canvas, starts);
        sgemm_avx512_rows(samples * g.h * g.w, g.c, g.kh, g.kw * g.f, starts, row_step, turned, g.c, nullptr,
                          dx_out.fresh ? 0.0f : 1.0f, dx + s0 * g.h * g.w * g.c, g.c);
      } else if (dx) {
        // dcol (rows, K) = dy (rows, F) * w^T (F, K), then scattered back onto this chunk's own samples.
        sgemm(false, true, rows, k, g.f, 1.0f, dyc, g.f, w, g.f, 0.0f, col, k);
        float* dxc = dx + s0 * g.h * g.w * g.c;
        if (dx_out.fresh) std::fill(dxc, dxc + samples * g.h * g.w * g.c, 0.0f);
        col2im_add(g, col, samples, dxc);
      }
    }
    // dW: each element summed over the chunks in chunk order, elements split over the same team (no new one).
    if (dw) {
#pragma omp for schedule(static)
      for (int64_t block = 0; block < sum_blocks(dw_size); ++block)
        add_chunk_sums(dw_partial, chunks, dw_size, block, dw_out);
    }
  }
  if (db)
    for (int64_t block = 0; block < sum_blocks(g.f); ++block) add_chunk_sums(db_partial, chunks, g.f, block, db_out);
}

}  // namespace

void conv2d_forward(const Conv2DGeometry& g, const float* x, const float* w, const float* b, float* y) {
  forward_chunks(g, x, w, b, false, 0.0f, y);
}

void conv2d_elu_forward(const Conv2DGeometry& g, const float* x, const float* w, const float* b, float alpha,
                        float* y) {
  forward_chunks(g, x, w, b, true, alpha, y);
}

void conv2d_backward(const Conv2DGeometry& g, const float* x, const float* w, const float* dy, GradBuffer dx,
                     GradBuffer dw, GradBuffer db) {
  backward_chunks(g, x, w, nullptr, 0.0f, dy, dx, dw, db);
}

void conv2d_elu_backward(const Conv2DGeometry& g, const float* x, const float* w, const float* y, float alpha,
                         const float* dy, GradBuffer dx, GradBuffer dw, GradBuffer db) {
  backward_chunks(g, x, w, y, alpha, dy, dx, dw, db);
}

namespace {
// p must pool the convolution's outputs (N, OH, OW, F).
void check_pooling(const Conv2DGeometry& g, const Pool2DGeometry& p) {
  if (p.n != g.n || p.h != g.oh || p.w != g.ow || p.c != g.f)
    throw Error("conv2d_max_pool: a pooling of (" + std::to_string(p.n) + ", " + std::to_string(p.h) + ", " +
                std::to_string(p.w) + ", " + std::to_string(p.c) + ") for the convolution's outputs (" +
                std::to_string(g.n) + ", " + std::to_string(g.oh) + ", " + std::to_string(g.ow) + ", " +
                std::to_string(g.f) + ")");
}
}  // namespace

void conv2d_max_pool_forward(const Conv2DGeometry& g, const Pool2DGeometry& p, const float* x, const float* w,
                             const float* b, float* y, int32_t* argmax) {
  check_pooling(g, p);
  forward_chunks(g, x, w, b, false, 0.0f, y, &p, argmax);
}

void conv2d_max_pool_backward(const Conv2DGeometry& g, const Pool2DGeometry& p, const float* x, const float* w,
                              const int32_t* argmax, const float* dy, GradBuffer dx, GradBuffer dw, GradBuffer db) {
  check_pooling(g, p);
  backward_chunks(g, x, w, nullptr, 0.0f, dy, dx, dw, db, &p, argmax);
}

}  // namespace elucid::kernels
