// Metric accumulators: per-sample scores summed over an epoch, divided by the sample count.
#include <elucid/train/metrics.hpp>

#include <elucid/core/error.hpp>

#include <cmath>

namespace elucid::metrics {

namespace {
int64_t rows(const Tensor& t) { return t.rank() == 0 ? 1 : t.dim(0); }

void check_rows(const std::string& name, const Tensor& predictions, const Tensor& targets) {
  if (rows(predictions) != rows(targets))
    throw Error("metric " + name + ": predictions " + to_string(predictions.shape()) + " and targets " +
                to_string(targets.shape()) + " differ in batch size");
}
}  // namespace

void Metric::update(const Tensor& predictions, const Tensor& targets) {
  check_rows(name_, predictions, targets);
  const int64_t n = rows(predictions);
  if (n == 0) return;
  const int64_t width = predictions.size() / n;  // classes, or values per sample
  const float* p = predictions.data();
  const float* t = targets.data();
  double batch_total = 0;
  switch (kind_) {
    case Kind::SparseCategoricalAccuracy:
    case Kind::SparseTopKCategoricalAccuracy: {
      if (targets.size() != n)
        throw Error("metric " + name_ + ": targets " + to_string(targets.shape()) + " must hold one class index per sample");
      const int k = kind_ == Kind::SparseCategoricalAccuracy ? 1 : k_;
      for (int64_t i = 0; i < n; ++i) {
        const float* row = p + i * width;
        const int64_t label = static_cast<int64_t>(t[i]);
        if (label < 0 || label >= width) continue;  // the loss has already reported it
        // Rank of the true class: the count of classes scoring strictly higher (ties favour the label, as Keras).
        int64_t higher = 0;
        for (int64_t c = 0; c < width; ++c) higher += row[c] > row[label];
        batch_total += higher < k;
      }
      break;
    }
    case Kind::CategoricalAccuracy: {
      if (targets.size() != predictions.size())
        throw Error("metric " + name_ + ": targets " + to_string(targets.shape()) + " do not match predictions " +
                    to_string(predictions.shape()));
      for (int64_t i = 0; i < n; ++i) {
        const float* row = p + i * width;
        const float* truth = t + i * width;
        int64_t best = 0, best_truth = 0;
        for (int64_t c = 1; c < width; ++c) {
          if (row[c] > row[best]) best = c;
          if (truth[c] > truth[best_truth]) best_truth = c;
        }
        batch_total += best == best_truth;
      }
      break;
    }
    case Kind::BinaryAccuracy:
    case Kind::MeanSquaredError:
    case Kind::MeanAbsoluteError: {
      if (targets.size() != predictions.size())
        throw Error("metric " + name_ + ": targets " + to_string(targets.shape()) + " do not match predictions " +
                    to_string(predictions.shape()));
      // Per sample: the mean over its values, as Keras averages the last axis before the batch.
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t j = 0; j < width; ++j) {
          const float pv = p[i * width + j], tv = t[i * width + j];
          if (kind_ == Kind::BinaryAccuracy) s += (pv > threshold_) == (tv > 0.5f);
          else if (kind_ == Kind::MeanSquaredError) s += double(pv - tv) * double(pv - tv);
          else s += std::fabs(double(pv) - tv);
        }
        batch_total += s / static_cast<double>(width);
      }
      break;
    }
  }
  total_ += batch_total;
  count_ += static_cast<double>(n);
}

Metric get(const std::string& name, const losses::Loss& loss) {
  using K = Metric::Kind;
  if (name == "accuracy" || name == "acc") {
    switch (loss.kind()) {
      case losses::Loss::Kind::SparseCategoricalCrossentropy: return Metric(name, K::SparseCategoricalAccuracy);
      case losses::Loss::Kind::CategoricalCrossentropy: return Metric(name, K::CategoricalAccuracy);
      default:
        // On logits the decision boundary is 0, which is sigmoid's 0.5.
        return Metric(name, K::BinaryAccuracy, 5, loss.from_logits() ? 0.0f : 0.5f);
    }
  }
  if (name == "sparse_categorical_accuracy") return Metric(name, K::SparseCategoricalAccuracy);
  if (name == "categorical_accuracy") return Metric(name, K::CategoricalAccuracy);
  if (name == "binary_accuracy") return Metric(name, K::BinaryAccuracy, 5, loss.from_logits() ? 0.0f : 0.5f);
  if (name == "sparse_top_k_categorical_accuracy") return Metric(name, K::SparseTopKCategoricalAccuracy, 5);
  if (name == "mse" || name == "mean_squared_error") return Metric(name, K::MeanSquaredError);
  if (name == "mae" || name == "mean_absolute_error") return Metric(name, K::MeanAbsoluteError);
  throw Error("unknown metric \"" + name +
              "\"; known: accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, "
              "sparse_top_k_categorical_accuracy, mse, mae");
}

}  // namespace elucid::metrics
