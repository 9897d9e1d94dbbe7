// Activations: ELU (fused kernel, backward from the saved output), the other pointwise ones, softmax, log_softmax.
// Backward lambdas that need the output capture its storage (a shared vector), never the output Tensor.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/activation.hpp>
#include <elucid/core/ops/check.hpp>

#include <cmath>
#include <memory>
#include <string>

namespace elucid::ops {

using detail::check_defined;
using detail::shape_of;

namespace {
constexpr int64_t kParallelMin = 1 << 15;
using Saved = std::shared_ptr<Storage>;

Saved storage_of(const Tensor& t) { return t.node()->data; }

// y = f(x) elementwise; backward dx += dy * df(x, y), with y read from the saved output storage.
template <class F, class DF>
Tensor pointwise(const char* op, const Tensor& x, F f, DF df) {
  check_defined(op, x, "input");
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  const int64_t n = x.size();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = f(px[i]);
  if (needs_grad(x))
    y.set_backward(op, {x}, [df, saved = storage_of(y)](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const float* px = x.data();
      const float* py = saved->data();
      float* gx = x.grad_data();
      const int64_t n = x.size();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) gx[i] += g[i] * df(px[i], py[i]);
    });
  return y;
}

float stable_sigmoid(float v) {
  if (v >= 0) return 1.0f / (1.0f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.0f + e);
}

// Keras' SELU constants.
constexpr float kSeluScale = 1.05070098735548049342f;
constexpr float kSeluAlpha = 1.67326324235437728481f;
}  // namespace

// ---- ELU: forward with expm1 for x <= 0, backward dy * (y > 0 ? 1 : y + alpha) from the saved output ----

Tensor elu(const Tensor& x, float alpha) {
  check_defined("elu", x, "input");
  if (!std::isfinite(alpha) || alpha < 0)
    throw Error("elu: alpha must be finite and >= 0, got " + std::to_string(alpha));
  Tensor y = Tensor::empty(x.shape());
  kernels::elu_forward(x.data(), y.data(), x.size(), alpha);
  if (needs_grad(x))
    y.set_backward("elu", {x}, [alpha, saved = storage_of(y)](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      kernels::elu_backward(saved->data(), g, x.grad_buffer(), x.size(), alpha);
    });
  return y;
}

// ---- the other pointwise activations ----

// Its own backward, dx += (x > 0 ? dy : 0) (assigned to a fresh gradient), a select as TensorFlow's ReluGrad:
// pointwise's dy * (x > 0 ? 1 : 0) compiles to a branch per element (the product may trap, so it is not turned into a
// select), mispredicted half the time, and was the slowest elementwise loop of a residual block's step.
Tensor relu(const Tensor& x) {
  check_defined("relu", x, "input");
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
  const int64_t n = x.size();
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) py[i] = px[i] > 0.0f ? px[i] : 0.0f;
  if (needs_grad(x))
    y.set_backward("relu", {x}, [](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      const float* px = x.data();
      const GradBuffer gx = x.grad_buffer();  // a fresh one is assigned, not zero-filled and added to
      const int64_t n = x.size();
      float* out = gx.data;
      const bool fresh = gx.fresh;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) {
        const float dy = g[i];  // read on both sides of the select, so that it vectorises
        const float v = px[i] > 0.0f ? dy : 0.0f;
        out[i] = fresh ? v : out[i] + v;  // the loop is split on `fresh`: a fresh buffer is not read
      }
    });
  return y;
}

Tensor sigmoid(const Tensor& x) {
  return pointwise("sigmoid", x, stable_sigmoid, [](float, float s) { return s * (1.0f - s); });
}

Tensor tanh(const Tensor& x) {
  return pointwise("tanh", x, [](float v) { return std::tanh(v); }, [](float, float t) { return 1.0f - t * t; });
}

Tensor selu(const Tensor& x) {
  return pointwise(
      "selu", x, [](float v) { return kSeluScale * (v > 0.0f ? v : kSeluAlpha * std::expm1(v)); },
      [](float v, float) { return v > 0.0f ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(v); });
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
Tensor softplus(const Tensor& x) {
  return pointwise(
      "softplus", x, [](float v) { return std::fmax(v, 0.0f) + std::log1p(std::exp(-std::fabs(v))); },
      [](float v, float) { return stable_sigmoid(v); });
}

// gelu(x) = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); gelu'(x) = Phi(x) + x * phi(x).
Tensor gelu(const Tensor& x) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f, kInvSqrt2Pi = 0.39894228040143267794f;
  return pointwise(
      "gelu", x, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); },
      [](float v, float) { return 0.5f * (1.0f + std::erf(v * kInvSqrt2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v); });
}

// swish(x) = x * sigmoid(x); swish'(x) = s + x s (1 - s).
Tensor swish(const Tensor& x) {
  return pointwise(
      "swish", x, [](float v) { return v * stable_sigmoid(v); },
      [](float v, float) {
        const float s = stable_sigmoid(v);
        return s + v * s * (1.0f - s);
      });
}

// ---- softmax and log_softmax over the last axis ----

namespace {
int64_t last_axis(const char* op, const Tensor& x) {
  check_defined(op, x, "input");
  if (x.rank() < 1) throw Error(std::string(op) + ": input () has no axis to normalise over");
  return x.dim(-1);
}
}  // namespace

namespace {
// softmax or log_softmax over the last axis; the backward works from the saved output (core/kernels/activation.hpp).
Tensor normalise_last_axis(const char* op, const Tensor& x, bool log) {
  const int64_t cols = last_axis(op, x), rows = cols == 0 ? 0 : x.size() / cols;
  Tensor y = Tensor::empty(x.shape());
  (log ? kernels::log_softmax_rows : kernels::softmax_rows)(x.data(), y.data(), rows, cols);
  if (needs_grad(x))
    y.set_backward(op, {x}, [rows, cols, log, saved = storage_of(y)](std::span<const Tensor> in, const float* g) {
      Tensor x = in[0];
      (log ? kernels::log_softmax_rows_backward : kernels::softmax_rows_backward)(saved->data(), g, x.grad_data(),
                                                                                  rows, cols);
    });
  return y;
}
}  // namespace

Tensor softmax(const Tensor& x) { return normalise_last_axis("softmax", x, false); }
Tensor log_softmax(const Tensor& x) { return normalise_last_axis("log_softmax", x, true); }

}  // namespace elucid::ops
