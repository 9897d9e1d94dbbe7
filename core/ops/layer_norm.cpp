// layer_norm: each row of the last axis normalised on its own (its mean and biased variance), then scaled by gamma
// and shifted by beta, as Keras' LayerNormalization over axis -1. The backward recomputes each row's statistics from
// the saved input.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace elucid::ops {

using detail::shape_of;

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // values; fewer stay on the calling thread

// The mean and 1 / sqrt(variance + epsilon) of one row of d values, two passes in order.
struct RowStats {
  float mean, inv;
};
RowStats row_stats(const float* x, int64_t d, float epsilon) {
  float sum = 0;
  for (int64_t i = 0; i < d; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(d);
  float squares = 0;
  for (int64_t i = 0; i < d; ++i) squares += (x[i] - mean) * (x[i] - mean);
  return {mean, 1.0f / std::sqrt(squares / static_cast<float>(d) + epsilon)};
}
}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon) {
  if (x.rank() < 1 || x.dim(x.rank() - 1) < 1) throw Error("layer_norm: input " + shape_of(x) + " has no last axis");
  const int64_t d = x.dim(x.rank() - 1), rows = x.size() / d;
  for (const Tensor* p : {&gamma, &beta})
    if (p->defined() && (p->rank() != 1 || p->dim(0) != d))
      throw Error("layer_norm: input " + shape_of(x) + " and " + (p == &gamma ? "gamma " : "beta ") + shape_of(*p) +
                  ": gamma and beta must have shape (" + std::to_string(d) + ",)");
  if (!(epsilon > 0)) throw Error("layer_norm: epsilon must be > 0, got " + std::to_string(epsilon));
  Tensor y = Tensor::empty(x.shape());
  const float *px = x.data(), *pg = gamma.defined() ? gamma.data() : nullptr, *pb = beta.defined() ? beta.data() : nullptr;
  float* py = y.data();
  // y = (x - mean) * inv * gamma + beta, one row per iteration.
#pragma omp parallel for schedule(static) if (x.size() >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const RowStats st = row_stats(px + r * d, d, epsilon);
    for (int64_t i = 0; i < d; ++i) {
      const float xhat = (px[r * d + i] - st.mean) * st.inv;
      py[r * d + i] = xhat * (pg ? pg[i] : 1.0f) + (pb ? pb[i] : 0.0f);
    }
  }
  std::vector<Tensor> inputs{x};
  if (gamma.defined()) inputs.push_back(gamma);
  if (beta.defined()) inputs.push_back(beta);
  if (needs_grad(x, gamma, beta))
    y.set_backward("layer_norm", inputs, [d, rows, epsilon, has_gamma = gamma.defined(),
                                          has_beta = beta.defined()](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const Tensor gamma = has_gamma ? in[1] : Tensor(), beta = has_beta ? in[has_gamma ? 2 : 1] : Tensor();
      const float* px = x.data();
      const float* pg = has_gamma ? gamma.data() : nullptr;
      // dx = inv * (g' - mean(g') - xhat * mean(g' * xhat)) with g' = g * gamma, one row per iteration.
      if (x.requires_grad()) {
        const GradBuffer gx = x.grad_buffer();
#pragma omp parallel for schedule(static) if (rows * d >= kParallelMin)
        for (int64_t r = 0; r < rows; ++r) {
          const RowStats st = row_stats(px + r * d, d, epsilon);
          float sum_g = 0, sum_gx = 0;
          for (int64_t i = 0; i < d; ++i) {
            const float gi = g[r * d + i] * (pg ? pg[i] : 1.0f);
            sum_g += gi;
            sum_gx += gi * (px[r * d + i] - st.mean) * st.inv;
          }
          const float mean_g = sum_g / static_cast<float>(d), mean_gx = sum_gx / static_cast<float>(d);
          for (int64_t i = 0; i < d; ++i) {
            const float xhat = (px[r * d + i] - st.mean) * st.inv;
            const float v = st.inv * (g[r * d + i] * (pg ? pg[i] : 1.0f) - mean_g - xhat * mean_gx);
            float& out = gx.data[r * d + i];
            out = gx.fresh ? v : out + v;
          }
        }
      }
      // dgamma = sum over rows of g * xhat, dbeta = sum of g: rows in order.
      const bool want_gamma = has_gamma && gamma.requires_grad(), want_beta = has_beta && beta.requires_grad();
      if (want_gamma || want_beta) {
        std::vector<float> dgamma(static_cast<size_t>(d), 0.0f), dbeta(static_cast<size_t>(d), 0.0f);
        for (int64_t r = 0; r < rows; ++r) {
          const RowStats st = row_stats(px + r * d, d, epsilon);
          for (int64_t i = 0; i < d; ++i) {
            dgamma[i] += g[r * d + i] * (px[r * d + i] - st.mean) * st.inv;
            dbeta[i] += g[r * d + i];
          }
        }
        if (want_gamma) add_into(Tensor(gamma).grad_buffer(), dgamma.data(), d);
        if (want_beta) add_into(Tensor(beta).grad_buffer(), dbeta.data(), d);
      }
    });
  return y;
}

}  // namespace elucid::ops
