// RMSprop: gradients divided by a moving root mean square, optionally centered and with momentum, as
// keras.optimizers.RMSprop.
#pragma once
#include <elucid/optim/optimizer.hpp>

namespace elucid::optimizers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct RMSpropOptions {
  LearningRate learning_rate = 0.001f;
  double rho = 0.9;       // in [0, 1)
  double momentum = 0.0;  // in [0, 1]; 0 keeps no momentum slot
  double epsilon = 1e-7;  // > 0
  bool centered = false;  // also track the mean gradient and divide by the estimated standard deviation
  std::optional<float> weight_decay = {}, clipnorm = {}, clipvalue = {}, global_clipnorm = {};
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(const RMSpropOptions& options = {});
  std::unique_ptr<Optimizer> clone() const override { return std::make_unique<RMSprop>(*this); }

 protected:
  std::vector<std::string> slot_names() const override;
  void update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots,
              float learning_rate) override;
  Config own_config() const override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
};

}  // namespace elucid::optimizers
