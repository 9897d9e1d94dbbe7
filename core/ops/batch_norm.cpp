// batch_norm over every axis but the last: batch statistics (and a moving-average update) in training, the moving
// statistics in inference. gamma and beta may be undefined (Keras' scale=False / center=False).
// The passes over the tensor are compiled per instruction set (core/kernels/simd.hpp); no contraction into FMA, so
// that every version gives the same bits.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/simd.hpp>
#include <elucid/core/ops/check.hpp>
#include <elucid/core/ops/fused.hpp>
#include <elucid/core/slice_group.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace elucid::ops {

using detail::shape_of;

namespace {
// Elementwise passes split their rows among the threads; the per-channel sums split the channels in blocks of 16 (a
// cache line of floats in a row), each block summing its rows in order: the same bits at any thread count.
constexpr int64_t kParallelMin = 1 << 15;
constexpr int64_t kChannelBlock = 16;

void check_channel_vector(const Tensor& x, const Tensor& t, const char* what, bool optional) {
  if (!t.defined() && optional) return;
  detail::check_defined("batch_norm", t, what);
  if (t.rank() != 1 || t.dim(0) != x.dim(-1))
    throw Error(std::string("batch_norm: input ") + shape_of(x) + " and " + what + " " + shape_of(t) + ": " + what +
                " must have shape (" + std::to_string(x.dim(-1)) + ",)");
}

// For each block of `block` items out of `count` (channels or rows), body(i0, i1) on items [i0, i1), the blocks spread
// over the threads when `parallel` (the tensor is large enough for a team to pay).
template <class Body>
void for_blocks(int64_t count, int64_t block, bool parallel, Body body) {
  const int64_t blocks = (count + block - 1) / block;
#pragma omp parallel for schedule(static) if (parallel && blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) body(b * block, std::min(count, (b + 1) * block));
}
constexpr int64_t kRowBlock = 256;  // rows per block of the elementwise passes

// The passes, on the channels [j0, j0 + w) of x (m, c) (statistics) or on its rows [r0, r1) (elementwise). Each
// channel's sums run over the rows in order, one lane per channel: a full block of 16 channels keeps its sums in two
// vectors of 8 doubles (GCC's vector extensions, as wide as the clone's registers allow), a narrower one in an array;
// the same operations on each lane either way.
using Floats8 = float __attribute__((vector_size(32)));
using Doubles8 = double __attribute__((vector_size(64)));

// Vectors pass by reference only: a vector argument's ABI would depend on the clone.
inline void load8(const float* p, Floats8& v) { std::memcpy(&v, p, sizeof v); }
inline void load_widened(const float* p, Doubles8& v) {
  Floats8 f;
  load8(p, f);
  v = __builtin_convertvector(f, Doubles8);
}
inline void store8(const Doubles8& v, double* p) { std::memcpy(p, &v, sizeof v); }

// mean[k] = the mean of channel j0 + k, var_sum[k] = the sum of its squared deviations from it, in one pass over x:
// the sums of d = x - x[0] and of d * d in double, d taken from the channel's first value so that
// var_sum = sum(d * d) - sum(d)^2 / m does not cancel (it loses about (mean - x[0])^2 / var of double's 16 digits).
ELUCID_SIMD_CLONES void channel_moments(const float* x, int64_t m, int64_t c, int64_t j0, int64_t w, double* mean,
                                        double* var_sum) {
  const double count = static_cast<double>(m);
  if (w == kChannelBlock) {
    Doubles8 first_lo, first_hi, sum_lo = {}, sum_hi = {}, sq_lo = {}, sq_hi = {}, lo, hi;
    load_widened(x + j0, first_lo);
    load_widened(x + j0 + 8, first_hi);
    for (int64_t r = 0; r < m; ++r) {
      load_widened(x + r * c + j0, lo);
      load_widened(x + r * c + j0 + 8, hi);
      lo -= first_lo;
      hi -= first_hi;
      sum_lo += lo;
      sum_hi += hi;
      sq_lo += lo * lo;
      sq_hi += hi * hi;
    }
    const Doubles8 zero = {};
    const Doubles8 mean_lo = first_lo + sum_lo / count, mean_hi = first_hi + sum_hi / count;
    sq_lo -= sum_lo * sum_lo / count;
    sq_hi -= sum_hi * sum_hi / count;
    sq_lo = sq_lo < zero ? zero : sq_lo;  // rounding can leave a constant channel's a hair below zero
    sq_hi = sq_hi < zero ? zero : sq_hi;
    store8(mean_lo, mean);
    store8(mean_hi, mean + 8);
    store8(sq_lo, var_sum);
    store8(sq_hi, var_sum + 8);
    return;
  }
  for (int64_t k = 0; k < w; ++k) {
    const double first = x[j0 + k];
    double sum = 0.0, sum_sq = 0.0;
    for (int64_t r = 0; r < m; ++r) {
      const double d = x[r * c + j0 + k] - first;
      sum += d;
      sum_sq += d * d;
    }
    mean[k] = first + sum / count;
    sum_sq -= sum * sum / count;
    var_sum[k] = sum_sq < 0.0 ? 0.0 : sum_sq;
  }
}

// y = scale * (x - mean) * inv_std + offset on rows [r0, r1), then max(y, 0) when `relu` (batch_norm_relu: the
// backward takes the ReLU's mask from the same float expression of x, scale * xhat + offset > 0).
ELUCID_SIMD_CLONES void normalize_rows(const float* x, int64_t r0, int64_t r1, int64_t c, const float* mean,
                                       const float* inv_std, const float* scale, const float* offset, bool relu,
                                       float* y) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t j = 0; j < c; ++j) {
      const float xhat = (x[r * c + j] - mean[j]) * inv_std[j];
      const float v = scale[j] * xhat + offset[j];
      y[r * c + j] = relu ? (v > 0.0f ? v : 0.0f) : v;
    }
}

// The ReLU fused after a BatchNormalization (batch_norm_relu): its gamma and beta as the forward used them, from
// which the backward retakes the ReLU's mask, y > 0, without reading y. Null pointers: no ReLU.
struct FusedRelu {
  const float* scale = nullptr;
  const float* offset = nullptr;
};

// sum_dy[k] and sum_dy_xhat[k]: the sums of dy and dy * xhat over channel j0 + k, xhat = (x - mean) * inv_std in
// float; with a fused ReLU, dy where its output is positive and 0 elsewhere (what ReLU's backward would pass on).
ELUCID_SIMD_CLONES void gradient_sums(const float* x, const float* dy, int64_t m, int64_t c, int64_t j0, int64_t w,
                                      const float* mean, const float* inv_std, FusedRelu relu, double* sum_dy,
                                      double* sum_dy_xhat) {
  if (w == kChannelBlock) {
    Floats8 mean_lo, mean_hi, inv_lo, inv_hi, x_lo, x_hi, scale_lo = {}, scale_hi = {}, offset_lo = {}, offset_hi = {};
    load8(mean + j0, mean_lo);
    load8(mean + j0 + 8, mean_hi);
    load8(inv_std + j0, inv_lo);
    load8(inv_std + j0 + 8, inv_hi);
    if (relu.scale) {
      load8(relu.scale + j0, scale_lo);
      load8(relu.scale + j0 + 8, scale_hi);
      load8(relu.offset + j0, offset_lo);
      load8(relu.offset + j0 + 8, offset_hi);
    }
    const Floats8 zero = {};
    Doubles8 dy_lo = {}, dy_hi = {}, dyx_lo = {}, dyx_hi = {};
    Floats8 g_lo, g_hi;
    for (int64_t r = 0; r < m; ++r) {
      const int64_t i = r * c + j0;
      load8(dy + i, g_lo);
      load8(dy + i + 8, g_hi);
      load8(x + i, x_lo);
      load8(x + i + 8, x_hi);
      const Floats8 xhat_lo = (x_lo - mean_lo) * inv_lo, xhat_hi = (x_hi - mean_hi) * inv_hi;
      if (relu.scale) {
        g_lo = scale_lo * xhat_lo + offset_lo > zero ? g_lo : zero;
        g_hi = scale_hi * xhat_hi + offset_hi > zero ? g_hi : zero;
      }
      const Doubles8 wide_lo = __builtin_convertvector(g_lo, Doubles8), wide_hi = __builtin_convertvector(g_hi, Doubles8);
      dy_lo += wide_lo;
      dy_hi += wide_hi;
      dyx_lo += wide_lo * __builtin_convertvector(xhat_lo, Doubles8);
      dyx_hi += wide_hi * __builtin_convertvector(xhat_hi, Doubles8);
    }
    store8(dy_lo, sum_dy);
    store8(dy_hi, sum_dy + 8);
    store8(dyx_lo, sum_dy_xhat);
    store8(dyx_hi, sum_dy_xhat + 8);
    return;
  }
  double dys[kChannelBlock] = {}, dy_xhats[kChannelBlock] = {};
  for (int64_t r = 0; r < m; ++r)
    for (int64_t k = 0; k < w; ++k) {
      const int64_t i = r * c + j0 + k, j = j0 + k;
      const float xhat = (x[i] - mean[j]) * inv_std[j];
      const float d = dy[i];
      const float g = relu.scale && !(relu.scale[j] * xhat + relu.offset[j] > 0.0f) ? 0.0f : d;
      dys[k] += g;
      dy_xhats[k] += static_cast<double>(g) * xhat;
    }
  std::copy(dys, dys + w, sum_dy);
  std::copy(dy_xhats, dy_xhats + w, sum_dy_xhat);
}

// dx = scale * (dy - mean_dy - xhat * mean_dy_xhat) on rows [r0, r1), assigned when fresh, else added; dy masked
// by a fused ReLU as in gradient_sums.
ELUCID_SIMD_CLONES void input_gradient_rows(const float* x, const float* dy, int64_t r0, int64_t r1, int64_t c,
                                            const float* mean, const float* inv_std, FusedRelu relu,
                                            const double* scale, const double* mean_dy, const double* mean_dy_xhat,
                                            bool fresh, float* dx) {
  const auto xhat = [&](int64_t i, int64_t j) { return (x[i] - mean[j]) * inv_std[j]; };
  // dy masked by the fused ReLU: dy's bits and-ed with the compare's, +0 where ReLU's output is 0 (a select of dy
  // compiles to a branch around its load here, and the loop would not vectorise).
  const auto masked = [&](int64_t i, int64_t j, float xh) {
    const uint32_t keep = relu.scale[j] * xh + relu.offset[j] > 0.0f ? ~0u : 0u;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(dy[i]) & keep);
  };
  const auto gradient = [&](int64_t j, float g, float xh) {
    return static_cast<float>(scale[j] * (g - mean_dy[j] - static_cast<double>(xh) * mean_dy_xhat[j]));
  };
  for (int64_t r = r0; r < r1; ++r) {
    float* out = dx + r * c;
    const int64_t i = r * c;
    if (relu.scale && fresh)
      for (int64_t j = 0; j < c; ++j) {
        const float xh = xhat(i + j, j);
        out[j] = gradient(j, masked(i + j, j, xh), xh);
      }
    else if (relu.scale)
      for (int64_t j = 0; j < c; ++j) {
        const float xh = xhat(i + j, j);
        out[j] += gradient(j, masked(i + j, j, xh), xh);
      }
    else if (fresh)
      for (int64_t j = 0; j < c; ++j) out[j] = gradient(j, dy[i + j], xhat(i + j, j));
    else
      for (int64_t j = 0; j < c; ++j) out[j] += gradient(j, dy[i + j], xhat(i + j, j));
  }
}

// In a sliced training step (core/slice_group.hpp): the batch's mean and var_sum per channel from every slice's
// rows, mean and var_sum, combined in slice order (Chan's update: the means' differences weighted by the rows
// on either side). Every slice computes the same doubles from the same values. Returns the batch's rows.
int64_t batch_moments(SliceGroup& group, int64_t rows, std::vector<double>& mean, std::vector<double>& var_sum) {
  const size_t c = mean.size(), width = 2 * c + 1;
  std::vector<double> mine(width);
  mine[0] = static_cast<double>(rows);
  std::copy(mean.begin(), mean.end(), mine.begin() + 1);
  std::copy(var_sum.begin(), var_sum.end(), mine.begin() + 1 + static_cast<std::ptrdiff_t>(c));
  const std::vector<double> all = group.gather(mine);
  // Slice 0's as they are, then each further slice's folded in.
  std::copy(all.begin() + 1, all.begin() + 1 + static_cast<std::ptrdiff_t>(c), mean.begin());
  std::copy(all.begin() + 1 + static_cast<std::ptrdiff_t>(c), all.begin() + static_cast<std::ptrdiff_t>(width),
            var_sum.begin());
  double total = all[0];
  for (int64_t s = 1; s < group.slices(); ++s) {
    const double* slice = all.data() + static_cast<size_t>(s) * width;
    const double n = slice[0], sum = total + n;
    for (size_t j = 0; j < c; ++j) {
      const double delta = slice[1 + j] - mean[j];
      mean[j] += delta * (n / sum);
      var_sum[j] += slice[1 + c + j] + delta * delta * (total * n / sum);
    }
    total = sum;
  }
  return static_cast<int64_t>(total);
}

// The batch's sums of dy and dy * xhat per channel from every slice's, added in slice order (the backward's meeting).
void batch_gradient_sums(SliceGroup& group, std::vector<double>& sum_dy, std::vector<double>& sum_dy_xhat) {
  const size_t c = sum_dy.size();
  std::vector<double> mine(sum_dy);
  mine.insert(mine.end(), sum_dy_xhat.begin(), sum_dy_xhat.end());
  const std::vector<double> all = group.gather(mine);
  std::fill(sum_dy.begin(), sum_dy.end(), 0.0);
  std::fill(sum_dy_xhat.begin(), sum_dy_xhat.end(), 0.0);
  for (int64_t s = 0; s < group.slices(); ++s)
    for (size_t j = 0; j < c; ++j) {
      sum_dy[j] += all[static_cast<size_t>(s) * 2 * c + j];
      sum_dy_xhat[j] += all[static_cast<size_t>(s) * 2 * c + c + j];
    }
}

// x (..., C) viewed as (M, C); y = gamma * (x - mean) * inv_std + beta with inv_std = 1 / sqrt(var + epsilon), then
// max(y, 0) when `relu` (batch_norm_relu).
Tensor normalize(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean,
                 Tensor& moving_variance, float momentum, float epsilon, bool training, bool relu) {
  detail::check_defined("batch_norm", x, "input");
  if (x.rank() < 1) throw Error("batch_norm: input () has no channel axis");
  check_channel_vector(x, gamma, "gamma", true);
  check_channel_vector(x, beta, "beta", true);
  check_channel_vector(x, moving_mean, "moving_mean", false);
  check_channel_vector(x, moving_variance, "moving_variance", false);
  if (!(epsilon > 0.0f)) throw Error("batch_norm: epsilon must be > 0, got " + std::to_string(epsilon));
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    throw Error("batch_norm: momentum must be in [0, 1], got " + std::to_string(momentum));
  const int64_t c = x.dim(-1), m = c == 0 ? 0 : x.size() / c;
  if (training && m == 0) throw Error("batch_norm: input " + shape_of(x) + " has no samples to take statistics from");

  // Per-channel mean and inv_std, kept for the backward. Statistics are summed in double, rows in order. In a
  // sliced training step they are the whole batch's, gathered from the slices (batch_rows of them).
  SliceGroup* const group = training ? SliceGroup::active() : nullptr;
  int64_t batch_rows = m;
  auto mean = std::make_shared<std::vector<float>>(static_cast<size_t>(c));
  auto inv_std = std::make_shared<std::vector<float>>(static_cast<size_t>(c));
  const float* px = x.data();
  const bool parallel = m * c >= kParallelMin;
  if (training) {
    std::vector<double> s(static_cast<size_t>(c), 0.0), ss(static_cast<size_t>(c), 0.0);
    for_blocks(c, kChannelBlock, parallel,
               [&](int64_t j0, int64_t j1) { channel_moments(px, m, c, j0, j1 - j0, &s[j0], &ss[j0]); });
    if (group) batch_rows = batch_moments(*group, m, s, ss);
    // The moving statistics move once a step: in a sliced step, slice 0 moves them (every slice has the same).
    const bool move = !group || SliceGroup::active_slice() == 0;
    float* mm = moving_mean.data();
    float* mv = moving_variance.data();
    for (int64_t j = 0; j < c; ++j) {
      const double var = ss[j] / static_cast<double>(batch_rows);  // biased, as Keras' ops.moments
      (*mean)[j] = static_cast<float>(s[j]);
      (*inv_std)[j] = static_cast<float>(1.0 / std::sqrt(var + epsilon));
      if (!move) continue;
      mm[j] = mm[j] * momentum + static_cast<float>(s[j]) * (1.0f - momentum);
      mv[j] = mv[j] * momentum + static_cast<float>(var) * (1.0f - momentum);
    }
  } else {
    for (int64_t j = 0; j < c; ++j) {
      (*mean)[j] = moving_mean.data()[j];
      (*inv_std)[j] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(moving_variance.data()[j]) + epsilon));
    }
  }

  Tensor y = Tensor::empty(x.shape());  // every element written below
  float* py = y.data();
  // gamma and beta per channel, ones and zeros when off; plain pointers, so that the loop below vectorises. Kept
  // for the backward when a ReLU is fused: its mask is retaken from them.
  auto scale = std::make_shared<std::vector<float>>(static_cast<size_t>(c), 1.0f);
  auto offset = std::make_shared<std::vector<float>>(static_cast<size_t>(c), 0.0f);
  if (gamma.defined()) std::copy(gamma.data(), gamma.data() + c, scale->begin());
  if (beta.defined()) std::copy(beta.data(), beta.data() + c, offset->begin());
  const float *pm = mean->data(), *ps = inv_std->data(), *pg = scale->data(), *pb = offset->data();
  for_blocks(m, kRowBlock, parallel,
             [&](int64_t r0, int64_t r1) { normalize_rows(px, r0, r1, c, pm, ps, pg, pb, relu, py); });

  if (needs_grad(x, gamma, beta)) {
    if (!relu) scale.reset(), offset.reset();
    // Inputs: x, then gamma and beta as given (an undefined one stands in and never requires grad).
    const bool met = group != nullptr;
    auto backward = [m, c, training, parallel, met, batch_rows, mean, inv_std, scale, offset](
                        std::span<const Tensor> in, const float* g) {
      Tensor x = in[0], gamma = in[1], beta = in[2];
      const float* px = x.data();
      const float *pm = mean->data(), *ps = inv_std->data();
      const FusedRelu relu = scale ? FusedRelu{scale->data(), offset->data()} : FusedRelu{};
      // Per channel: sum(dy) and sum(dy * xhat), needed by every gradient.
      std::vector<double> sum_dy(static_cast<size_t>(c), 0.0), sum_dy_xhat(static_cast<size_t>(c), 0.0);
      for_blocks(c, kChannelBlock, parallel, [&](int64_t j0, int64_t j1) {
        gradient_sums(px, g, m, c, j0, j1 - j0, pm, ps, relu, &sum_dy[j0], &sum_dy_xhat[j0]);
      });
      if (gamma.requires_grad()) {
        float* gg = gamma.grad_data();
        for (int64_t j = 0; j < c; ++j) gg[j] += static_cast<float>(sum_dy_xhat[j]);
      }
      if (beta.requires_grad()) {
        float* gb = beta.grad_data();
        for (int64_t j = 0; j < c; ++j) gb[j] += static_cast<float>(sum_dy[j]);
      }
      if (!x.requires_grad()) return;
      // gamma and beta took this slice's sums (the step adds the slices' gradients); dx needs the batch's.
      if (met) {
        SliceGroup* const group = SliceGroup::active();
        if (!group) throw Error("batch_norm: the backward of a sliced training step ran outside its slice's thread");
        batch_gradient_sums(*group, sum_dy, sum_dy_xhat);
      }
      // Per channel: scale = gamma * inv_std, and the means of dy and dy * xhat (zero at inference, where the
      // statistics are constants).
      const float* pg = gamma.defined() ? gamma.data() : nullptr;
      std::vector<double> scale(static_cast<size_t>(c)), mean_dy(static_cast<size_t>(c), 0.0),
          mean_dy_xhat(static_cast<size_t>(c), 0.0);
      for (int64_t j = 0; j < c; ++j) {
        scale[j] = (pg ? pg[j] : 1.0) * ps[j];
        if (!training) continue;
        mean_dy[j] = sum_dy[j] / static_cast<double>(batch_rows);
        mean_dy_xhat[j] = sum_dy_xhat[j] / static_cast<double>(batch_rows);
      }
      const GradBuffer gx = x.grad_buffer();
      const double *pscale = scale.data(), *pmdy = mean_dy.data(), *pmdyx = mean_dy_xhat.data();
      // dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)), the batch statistics differentiated
      for_blocks(m, kRowBlock, parallel, [&](int64_t r0, int64_t r1) {
        input_gradient_rows(px, g, r0, r1, c, pm, ps, relu, pscale, pmdy, pmdyx, gx.fresh, gx.data);
      });
    };
    y.set_backward(relu ? "batch_norm_relu" : "batch_norm", {x, gamma, beta}, backward);
  }
  return y;
}
}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean,
                  Tensor& moving_variance, float momentum, float epsilon, bool training) {
  return normalize(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon, training, false);
}

Tensor batch_norm_relu(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean,
                       Tensor& moving_variance, float momentum, float epsilon, bool training) {
  return normalize(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon, training, true);
}

}  // namespace elucid::ops
