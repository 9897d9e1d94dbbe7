// Adam (with AMSGrad as an option) and AdamW, Adam with decoupled weight decay on by default, as keras.optimizers.
#pragma once
#include <elucid/optim/optimizer.hpp>

namespace elucid::optimizers {

// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct AdamOptions {
  LearningRate learning_rate = 0.001f;
  double beta_1 = 0.9;    // in [0, 1)
  double beta_2 = 0.999;  // in [0, 1)
  double epsilon = 1e-7;  // > 0
  bool amsgrad = false;
  std::optional<float> weight_decay = {}, clipnorm = {}, clipvalue = {}, global_clipnorm = {};
};

class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options = {});
  std::unique_ptr<Optimizer> clone() const override { return std::make_unique<Adam>(*this); }

 protected:
  Adam(std::string name, const AdamOptions& options);
  std::vector<std::string> slot_names() const override;
  void update(std::span<float> w, std::span<const float> g, std::span<std::vector<float>> slots,
              float learning_rate) override;
  Config own_config() const override;

 private:
  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
};

// Keras 3 AdamW: the Adam update after w = w - w * weight_decay * lr; weight_decay defaults to 0.004.
// Designated initializers name the fields in the order they are declared here (C++20 requires it).
struct AdamWOptions {
  LearningRate learning_rate = 0.001f;
  float weight_decay = 0.004f;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<float> clipnorm = {}, clipvalue = {}, global_clipnorm = {};
};

class AdamW : public Adam {
 public:
  explicit AdamW(const AdamWOptions& options = {});
  std::unique_ptr<Optimizer> clone() const override { return std::make_unique<AdamW>(*this); }
};

}  // namespace elucid::optimizers
