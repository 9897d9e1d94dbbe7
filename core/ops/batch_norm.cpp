// batch_norm over every axis but the last: batch statistics (and a moving-average update) in training, the moving
// statistics in inference. gamma and beta may be undefined (Keras' scale=False / center=False).
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace elucid::ops {

using detail::shape_of;

namespace {
void check_channel_vector(const Tensor& x, const Tensor& t, const char* what, bool optional) {
  if (!t.defined() && optional) return;
  detail::check_defined("batch_norm", t, what);
  if (t.rank() != 1 || t.dim(0) != x.dim(-1))
    throw Error(std::string("batch_norm: input ") + shape_of(x) + " and " + what + " " + shape_of(t) + ": " + what +
                " must have shape (" + std::to_string(x.dim(-1)) + ",)");
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
    for (int64_t r = 0; r < m; ++r)
      for (int64_t j = 0; j < c; ++j) s[j] += px[r * c + j];
    for (int64_t j = 0; j < c; ++j) s[j] /= static_cast<double>(m);
    for (int64_t r = 0; r < m; ++r)
      for (int64_t j = 0; j < c; ++j) {
        const double d = px[r * c + j] - s[j];
        ss[j] += d * d;
      }
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

  Tensor y(x.shape());
  float* py = y.data();
  const float* pg = gamma.defined() ? gamma.data() : nullptr;
  const float* pb = beta.defined() ? beta.data() : nullptr;
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < c; ++j) {
      const float xhat = (px[r * c + j] - (*mean)[j]) * (*inv_std)[j];
      py[r * c + j] = (pg ? pg[j] : 1.0f) * xhat + (pb ? pb[j] : 0.0f);
    }

  if (needs_grad(x, gamma, beta)) {
    // Inputs: x, then gamma and beta as given (an undefined one stands in and never requires grad).
    y.set_backward("batch_norm", {x, gamma, beta}, [m, c, training, mean, inv_std](std::span<const Tensor> in,
                                                                                   const float* g) {
      Tensor x = in[0], gamma = in[1], beta = in[2];
      const float* px = x.data();
      const float* pg = gamma.defined() ? gamma.data() : nullptr;
      // Per channel: sum(dy) and sum(dy * xhat), needed by every gradient.
      std::vector<double> sum_dy(static_cast<size_t>(c), 0.0), sum_dy_xhat(static_cast<size_t>(c), 0.0);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < c; ++j) {
          const double xhat = (px[r * c + j] - (*mean)[j]) * (*inv_std)[j];
          sum_dy[j] += g[r * c + j];
          sum_dy_xhat[j] += g[r * c + j] * xhat;
        }
      if (gamma.requires_grad()) {
        float* gg = gamma.grad_data();
        for (int64_t j = 0; j < c; ++j) gg[j] += static_cast<float>(sum_dy_xhat[j]);
      }
      if (beta.requires_grad()) {
        float* gb = beta.grad_data();
        for (int64_t j = 0; j < c; ++j) gb[j] += static_cast<float>(sum_dy[j]);
      }
      if (x.requires_grad()) {
        float* gx = x.grad_data();
        for (int64_t r = 0; r < m; ++r)
          for (int64_t j = 0; j < c; ++j) {
            const double scale = (pg ? pg[j] : 1.0) * (*inv_std)[j];
            if (!training) {  // the statistics are constants
              gx[r * c + j] += static_cast<float>(scale * g[r * c + j]);
              continue;
            }
            // dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)), the batch statistics differentiated
            const double xhat = (px[r * c + j] - (*mean)[j]) * (*inv_std)[j];
            gx[r * c + j] += static_cast<float>(
                scale * (g[r * c + j] - sum_dy[j] / static_cast<double>(m) - xhat * sum_dy_xhat[j] / static_cast<double>(m)));
          }
      }
    });
  }
  return y;
}

}  // namespace elucid::ops
