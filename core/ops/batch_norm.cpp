// batch_norm over every axis but the last: batch statistics (and a moving-average update) in training, the moving
// statistics in inference. gamma and beta may be undefined (Keras' scale=False / center=False).
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <cmath>
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

// For each channel block, body(j0, j1) on channels [j0, j1), the blocks spread over the threads.
template <class Body>
void for_channel_blocks(int64_t m, int64_t c, Body body) {
  const int64_t blocks = (c + kChannelBlock - 1) / kChannelBlock;
#pragma omp parallel for schedule(static) if (m * c >= kParallelMin && blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) body(b * kChannelBlock, std::min(c, (b + 1) * kChannelBlock));
}
}  // namespace

// x (..., C) viewed as (M, C); y = gamma * (x - mean) * inv_std + beta with inv_std = 1 / sqrt(var + epsilon).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& moving_mean,
                  Tensor& moving_variance, float momentum, float epsilon, bool training) {
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

  // Per-channel mean and inv_std, kept for the backward. Statistics are summed in double, rows in order.
  auto mean = std::make_shared<std::vector<float>>(static_cast<size_t>(c));
  auto inv_std = std::make_shared<std::vector<float>>(static_cast<size_t>(c));
  const float* px = x.data();
  if (training) {
    std::vector<double> s(static_cast<size_t>(c), 0.0), ss(static_cast<size_t>(c), 0.0);
    for_channel_blocks(m, c, [&](int64_t j0, int64_t j1) {
      double sum[kChannelBlock] = {}, sum_sq[kChannelBlock] = {};  // this block's, on this thread's stack
      const int64_t w = j1 - j0;
      for (int64_t r = 0; r < m; ++r)
        for (int64_t k = 0; k < w; ++k) sum[k] += px[r * c + j0 + k];
      for (int64_t k = 0; k < w; ++k) sum[k] /= static_cast<double>(m);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t k = 0; k < w; ++k) {
          const double d = px[r * c + j0 + k] - sum[k];
          sum_sq[k] += d * d;
        }
      std::copy(sum, sum + w, s.begin() + j0);
      std::copy(sum_sq, sum_sq + w, ss.begin() + j0);
    });
    float* mm = moving_mean.data();
    float* mv = moving_variance.data();
    for (int64_t j = 0; j < c; ++j) {
      const double var = ss[j] / static_cast<double>(m);  // biased, as Keras' ops.moments
      (*mean)[j] = static_cast<float>(s[j]);
      (*inv_std)[j] = static_cast<float>(1.0 / std::sqrt(var + epsilon));
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
  // gamma and beta per channel, ones and zeros when off; plain pointers, so that the loop below vectorises.
  std::vector<float> scale(static_cast<size_t>(c), 1.0f), offset(static_cast<size_t>(c), 0.0f);
  if (gamma.defined()) std::copy(gamma.data(), gamma.data() + c, scale.begin());
  if (beta.defined()) std::copy(beta.data(), beta.data() + c, offset.begin());
  const float *pm = mean->data(), *ps = inv_std->data(), *pg = scale.data(), *pb = offset.data();
#pragma omp parallel for schedule(static) if (m * c >= kParallelMin)
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < c; ++j) {
      const float xhat = (px[r * c + j] - pm[j]) * ps[j];
      py[r * c + j] = pg[j] * xhat + pb[j];
    }

  if (needs_grad(x, gamma, beta)) {
    // Inputs: x, then gamma and beta as given (an undefined one stands in and never requires grad).
    y.set_backward("batch_norm", {x, gamma, beta}, [m, c, training, mean, inv_std](std::span<const Tensor> in,
                                                                                   const float* g) {
      Tensor x = in[0], gamma = in[1], beta = in[2];
      const float* px = x.data();
      const float *pm = mean->data(), *ps = inv_std->data();
      // Per channel: sum(dy) and sum(dy * xhat), needed by every gradient.
      std::vector<double> sum_dy(static_cast<size_t>(c), 0.0), sum_dy_xhat(static_cast<size_t>(c), 0.0);
      for_channel_blocks(m, c, [&](int64_t j0, int64_t j1) {
        double dy[kChannelBlock] = {}, dy_xhat[kChannelBlock] = {};  // this block's, on this thread's stack
        const int64_t w = j1 - j0;
        for (int64_t r = 0; r < m; ++r)
          for (int64_t k = 0; k < w; ++k) {
            const int64_t i = r * c + j0 + k;
            const double xhat = (px[i] - pm[j0 + k]) * ps[j0 + k];
            dy[k] += g[i];
            dy_xhat[k] += g[i] * xhat;
          }
        std::copy(dy, dy + w, sum_dy.begin() + j0);
        std::copy(dy_xhat, dy_xhat + w, sum_dy_xhat.begin() + j0);
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
      // Per channel: scale = gamma * inv_std, and the means of dy and dy * xhat (zero at inference, where the
      // statistics are constants).
      const float* pg = gamma.defined() ? gamma.data() : nullptr;
      std::vector<double> scale(static_cast<size_t>(c)), mean_dy(static_cast<size_t>(c), 0.0),
          mean_dy_xhat(static_cast<size_t>(c), 0.0);
      for (int64_t j = 0; j < c; ++j) {
        scale[j] = (pg ? pg[j] : 1.0) * ps[j];
        if (!training) continue;
        mean_dy[j] = sum_dy[j] / static_cast<double>(m);
        mean_dy_xhat[j] = sum_dy_xhat[j] / static_cast<double>(m);
      }
      float* gx = x.grad_data();
      const double *pscale = scale.data(), *pmdy = mean_dy.data(), *pmdyx = mean_dy_xhat.data();
      // dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)), the batch statistics differentiated
#pragma omp parallel for schedule(static) if (m * c >= kParallelMin)
      for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < c; ++j) {
          const double xhat = (px[r * c + j] - pm[j]) * ps[j];
          gx[r * c + j] += static_cast<float>(pscale[j] * (g[r * c + j] - pmdy[j] - xhat * pmdyx[j]));
        }
    });
  }
  return y;
}

}  // namespace elucid::ops
