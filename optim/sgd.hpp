// SGD: gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD.
#pragma once
#include <elucid/optim/optimizer.hpp>

namespace elucid::optimizers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct SGDOptions {
  LearningRate learning_rate = 0.01f;
  double momentum = 0.0;  // in [0, 1]; 0 keeps no slot
  bool nesterov = false;
  std::optional<float> weight_decay = {}, clipnorm = {}, clipvalue = {}, global_clipnorm = {};
};

class SGD : public Optimizer {
 public:
  explicit SGD(const SGDOptions& options = {});
  std::unique_ptr<Optimizer> clone() const override { return std::make_unique<SGD>(*this); }

 protected:
  std::vector<std::string> slot_names() const override;
  void update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots,
              float learning_rate) override;
  Config own_config() const override;

 private:
  double momentum_;
  bool nesterov_;
};

}  // namespace elucid::optimizers
