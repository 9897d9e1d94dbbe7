// Loss objects: names, and the dispatch to the fused loss ops of core/ops.hpp.
#include <elucid/train/losses.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/ops.hpp>

namespace elucid::losses {

namespace {
struct Named {
  const char* name;
  const char* class_name;
  Loss::Kind kind;
};
constexpr Named kLosses[] = {
    {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", Loss::Kind::SparseCategoricalCrossentropy},
    {"categorical_crossentropy", "CategoricalCrossentropy", Loss::Kind::CategoricalCrossentropy},
    {"binary_crossentropy", "BinaryCrossentropy", Loss::Kind::BinaryCrossentropy},
    {"mean_squared_error", "MeanSquaredError", Loss::Kind::MeanSquaredError},
    {"mean_absolute_error", "MeanAbsoluteError", Loss::Kind::MeanAbsoluteError},
};
const Named& entry(Loss::Kind kind) {
  for (const auto& n : kLosses)
    if (n.kind == kind) return n;
  throw Error("loss: unknown kind");  // unreachable: every Kind is in the table
}
}  // namespace

Tensor Loss::operator()(const Tensor& predictions, const Tensor& targets) const {
  switch (kind_) {
    case Kind::SparseCategoricalCrossentropy:
      return ops::sparse_categorical_crossentropy(predictions, targets, options_.from_logits);
    case Kind::CategoricalCrossentropy:
      return ops::categorical_crossentropy(predictions, targets, options_.from_logits);
    case Kind::BinaryCrossentropy: return ops::binary_crossentropy(predictions, targets, options_.from_logits);
    case Kind::MeanSquaredError: return ops::mean_squared_error(predictions, targets);
    case Kind::MeanAbsoluteError: return ops::mean_absolute_error(predictions, targets);
  }
  throw Error("loss: unknown kind");
}

std::string Loss::name() const { return entry(kind_).name; }
std::string Loss::class_name() const { return entry(kind_).class_name; }

Loss get(const std::string& name, LossOptions options) {
  std::string known;
  for (const auto& n : kLosses) {
    if (name == n.name || name == n.class_name) return Loss(n.kind, options);
    known += std::string(known.empty() ? "" : ", ") + n.name;
  }
  if (name == "mse") return Loss(Loss::Kind::MeanSquaredError, options);
  if (name == "mae") return Loss(Loss::Kind::MeanAbsoluteError, options);
  throw Error("unknown loss \"" + name + "\"; known: " + known + ", mse, mae");
}

}  // namespace elucid::losses
