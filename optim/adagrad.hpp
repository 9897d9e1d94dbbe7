// Adagrad: per-element rates shrinking with the sum of squared gradients, as keras.optimizers.Adagrad.
#pragma once
#include <elucid/optim/optimizer.hpp>

namespace elucid::optimizers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct AdagradOptions {
  LearningRate learning_rate = 0.001f;
  double initial_accumulator_value = 0.1;  // >= 0
  double epsilon = 1e-7;                   // > 0
  std::optional<float> weight_decay = {}, clipnorm = {}, clipvalue = {}, global_clipnorm = {};
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(const AdagradOptions& options = {});
  std::unique_ptr<Optimizer> clone() const override { return std::make_unique<Adagrad>(*this); }

 protected:
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  float slot_initial_value() const override { return static_cast<float>(initial_accumulator_value_); }
  void update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots,
              float learning_rate) override;
  Config own_config() const override;

 private:
  double initial_accumulator_value_, epsilon_;
};

}  // namespace elucid::optimizers
