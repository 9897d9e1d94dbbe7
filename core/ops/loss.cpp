// Losses, each the mean over the batch with shape (): sparse / categorical cross-entropy (from logits through a
// fused, max-shifted log-softmax; from probabilities clipped as Keras does), binary cross-entropy, MSE and MAE.
// Gradients flow to the predictions only; labels and targets are data.
#include <elucid/core/ops.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops/check.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace elucid::ops {

using detail::check_defined;
using detail::check_same_shape;
using detail::shape_of;

namespace {
constexpr float kEpsilon = 1e-7f;  // Keras' backend.epsilon()

float clip_prob(float p) { return std::clamp(p, kEpsilon, 1.0f - kEpsilon); }
bool inside_clip(float p) { return p >= kEpsilon && p <= 1.0f - kEpsilon; }  // where the clip passes gradients

// (rows, C) view of predictions (..., C), rows > 0.
struct Rows {
  int64_t rows, cols;
};
Rows class_rows(const char* op, const Tensor& predictions) {
  check_defined(op, predictions, "predictions");
  if (predictions.rank() < 1 || predictions.dim(-1) < 1 || predictions.size() == 0)
    throw Error(std::string(op) + ": predictions " + shape_of(predictions) +
                " must be (N, C) with at least one sample and one class");
  return {predictions.size() / predictions.dim(-1), predictions.dim(-1)};
}

// log(sum_j exp(x_j)) over one row, shifted by the row's maximum: exact for logits of any magnitude.
double log_sum_exp(const float* x, int64_t cols) {
  const float m = *std::max_element(x, x + cols);
  double s = 0;
  for (int64_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(x[j]) - m);
  return m + std::log(s);
}

// 10 prints as "10", 2.5 as "2.5", NaN as "nan".
std::string number(float v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

Tensor loss_scalar(double total, int64_t count) { return Tensor::scalar(static_cast<float>(total / count)); }
}  // namespace

// ---- sparse categorical cross-entropy: predictions (..., C), labels (...) or (..., 1) of class indices ----

Tensor sparse_categorical_crossentropy(const Tensor& predictions, const Tensor& labels, bool from_logits) {
  const char* op = "sparse_categorical_crossentropy";
  const auto [rows, cols] = class_rows(op, predictions);
  check_defined(op, labels, "labels");
  Shape expected(predictions.shape().begin(), predictions.shape().end() - 1);
  Shape expected_1 = expected;
  expected_1.push_back(1);
  if (labels.shape() != expected && labels.shape() != expected_1)
    throw Error(std::string(op) + ": predictions " + shape_of(predictions) + " and labels " + shape_of(labels) +
                ": labels must have shape " + to_string(expected) + ", one class index per sample");
  auto classes = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float v = labels.data()[r];
    if (!(v >= 0 && v < static_cast<float>(cols)) || v != std::floor(v))
      throw Error(std::string(op) + ": label " + number(v) + " of sample " + std::to_string(r) +
                  " is not a class index in [0, " + std::to_string(cols) + ") (" + std::to_string(cols) + " classes)");
    (*classes)[static_cast<size_t>(r)] = static_cast<int64_t>(v);
  }

  const float* p = predictions.data();
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* pr = p + r * cols;
    const int64_t y = (*classes)[static_cast<size_t>(r)];
    if (from_logits) {
      total += log_sum_exp(pr, cols) - pr[y];
    } else {
      // As Keras' TensorFlow backend: log of the clipped probabilities fed to softmax cross-entropy, i.e.
      // -log(clip(p_y)) + log(sum_j clip(p_j)); the second term is 0 for probabilities that sum to 1.
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) s += clip_prob(pr[j]);
      total += -std::log(static_cast<double>(clip_prob(pr[y]))) + std::log(s);
    }
  }
  Tensor loss = loss_scalar(total, rows);

  if (needs_grad(predictions))
    loss.set_backward(op, {predictions}, [rows = rows, cols = cols, from_logits, classes](std::span<const Tensor> in,
                                                                            const float* g) {
      Tensor pred = in[0];
      const float* p = pred.data();
      float* gp = pred.grad_data();
      const double scale = static_cast<double>(g[0]) / rows;
      for (int64_t r = 0; r < rows; ++r) {
        const float* pr = p + r * cols;
        float* gr = gp + r * cols;
        const int64_t y = (*classes)[static_cast<size_t>(r)];
        if (from_logits) {  // d/dx_j = softmax_j - [j == y]
          const double lse = log_sum_exp(pr, cols);
          for (int64_t j = 0; j < cols; ++j)
            gr[j] += static_cast<float>(scale * (std::exp(pr[j] - lse) - (j == y ? 1.0 : 0.0)));
        } else {  // d/dp_j = [p_j inside the clip] / sum_k clip(p_k) - [j == y and p_y inside the clip] / clip(p_y)
          double s = 0;
          for (int64_t j = 0; j < cols; ++j) s += clip_prob(pr[j]);
          for (int64_t j = 0; j < cols; ++j) {
            if (!inside_clip(pr[j])) continue;
            double d = 1.0 / s;
            if (j == y) d -= 1.0 / pr[j];
            gr[j] += static_cast<float>(scale * d);
          }
        }
      }
    });
  return loss;
}

// ---- categorical cross-entropy: predictions and one-hot (or soft) targets, both (..., C) ----

Tensor categorical_crossentropy(const Tensor& predictions, const Tensor& targets, bool from_logits) {
  const char* op = "categorical_crossentropy";
  const auto [rows, cols] = class_rows(op, predictions);
  check_same_shape(op, predictions, targets);
  const float *p = predictions.data(), *t = targets.data();
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *pr = p + r * cols, *tr = t + r * cols;
    if (from_logits) {  // sum_j t_j * (lse - x_j)
      const double lse = log_sum_exp(pr, cols);
      for (int64_t j = 0; j < cols; ++j) total += tr[j] * (lse - pr[j]);
    } else {  // as Keras: q = p / sum(p), clipped; -sum_j t_j log(q_j)
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) s += pr[j];
      for (int64_t j = 0; j < cols; ++j) total -= tr[j] * std::log(static_cast<double>(clip_prob(static_cast<float>(pr[j] / s))));
    }
  }
  Tensor loss = loss_scalar(total, rows);

  if (needs_grad(predictions))
    loss.set_backward(op, {predictions, targets}, [rows = rows, cols = cols, from_logits](std::span<const Tensor> in,
                                                                            const float* g) {
      Tensor pred = in[0];
      const float *p = pred.data(), *t = in[1].data();
      float* gp = pred.grad_data();
      const double scale = static_cast<double>(g[0]) / rows;
      std::vector<double> a(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        const float *pr = p + r * cols, *tr = t + r * cols;
        float* gr = gp + r * cols;
        if (from_logits) {  // d/dx_k = softmax_k * sum_j t_j - t_k
          const double lse = log_sum_exp(pr, cols);
          double tsum = 0;
          for (int64_t j = 0; j < cols; ++j) tsum += tr[j];
          for (int64_t j = 0; j < cols; ++j) gr[j] += static_cast<float>(scale * (std::exp(pr[j] - lse) * tsum - tr[j]));
        } else {  // a_j = dL/dq_j = -t_j / q_j inside the clip; dL/dp_k = (a_k - sum_j a_j q_j) / s
          double s = 0;
          for (int64_t j = 0; j < cols; ++j) s += pr[j];
          double aq = 0;
          for (int64_t j = 0; j < cols; ++j) {
            const double q = pr[j] / s;
            a[static_cast<size_t>(j)] = inside_clip(static_cast<float>(q)) ? -tr[j] / q : 0.0;
            aq += a[static_cast<size_t>(j)] * q;
          }
          for (int64_t j = 0; j < cols; ++j) gr[j] += static_cast<float>(scale * (a[static_cast<size_t>(j)] - aq) / s);
        }
      }
    });
  return loss;
}

// ---- losses over every element: binary cross-entropy, mean squared and mean absolute error ----

namespace {
// The mean over every element of f(p, t); its gradient is df(p, t) / n for each prediction.
template <class F, class DF>
Tensor elementwise_mean(const char* op, const Tensor& predictions, const Tensor& targets, F f, DF df) {
  check_same_shape(op, predictions, targets);
  const int64_t n = predictions.size();
  if (n == 0) throw Error(std::string(op) + ": predictions " + shape_of(predictions) + " have no elements");
  const float *p = predictions.data(), *t = targets.data();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += f(p[i], t[i]);
  Tensor loss = loss_scalar(total, n);
  if (needs_grad(predictions))
    loss.set_backward(op, {predictions, targets}, [n, df](std::span<const Tensor> in, const float* g) {
      Tensor pred = in[0];
      const float *p = pred.data(), *t = in[1].data();
      float* gp = pred.grad_data();
      const double scale = static_cast<double>(g[0]) / n;
      for (int64_t i = 0; i < n; ++i) gp[i] += static_cast<float>(scale * df(p[i], t[i]));
    });
  return loss;
}

double stable_sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
}  // namespace

Tensor binary_crossentropy(const Tensor& predictions, const Tensor& targets, bool from_logits) {
  if (from_logits)  // max(x, 0) - x t + log1p(exp(-|x|)): no overflow for any x; d/dx = sigmoid(x) - t
    return elementwise_mean(
        "binary_crossentropy", predictions, targets,
        [](double x, double t) { return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::fabs(x))); },
        [](double x, double t) { return stable_sigmoid(x) - t; });
  // Keras 3: clip, then -(t log p + (1 - t) log(1 - p)); the clip passes no gradient outside [1e-7, 1 - 1e-7]
  return elementwise_mean(
      "binary_crossentropy", predictions, targets,
      [](double p, double t) {
        const double pc = clip_prob(static_cast<float>(p));
        return -(t * std::log(pc) + (1.0 - t) * std::log(1.0 - pc));
      },
      [](double p, double t) {
        return inside_clip(static_cast<float>(p)) ? -t / p + (1.0 - t) / (1.0 - p) : 0.0;
      });
}

Tensor mean_squared_error(const Tensor& predictions, const Tensor& targets) {
  return elementwise_mean(
      "mean_squared_error", predictions, targets, [](double p, double t) { return (p - t) * (p - t); },
      [](double p, double t) { return 2.0 * (p - t); });
}

Tensor mean_absolute_error(const Tensor& predictions, const Tensor& targets) {
  return elementwise_mean(
      "mean_absolute_error", predictions, targets, [](double p, double t) { return std::fabs(p - t); },
      [](double p, double t) { return p > t ? 1.0 : (p < t ? -1.0 : 0.0); });
}

}  // namespace elucid::ops
