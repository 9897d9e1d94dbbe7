// Keras' creation orders and tf.keras 2.x's slot names for the optimizer variables in its files.
#include <elucid/saving/optimizer_variables.hpp>

namespace elucid::keras {

namespace {
bool is_adam(const optimizers::Optimizer& opt) { return opt.name() == "Adam" || opt.name() == "AdamW"; }
}  // namespace

SlotOrder keras3_slot_order(const optimizers::Optimizer& opt, size_t params) {
  // The creation loops, each a list of slots made together per parameter.
  const std::vector<std::string> slots = opt.state_slot_names();
  std::vector<std::vector<size_t>> loops;
  for (size_t k = 0; k < slots.size(); ++k) {
    if (is_adam(opt) && slots[k] == "velocity" && k > 0 && slots[k - 1] == "momentum") {
      loops.back().push_back(k);
    } else {
      loops.push_back({k});
    }
  }
  SlotOrder order;
  for (const auto& loop : loops)
    for (size_t p = 0; p < params; ++p)
      for (size_t k : loop) order.emplace_back(p, k);
  return order;
}

SlotOrder slot_by_slot_order(const optimizers::Optimizer& opt, size_t params) {
  SlotOrder order;
  const size_t slots = opt.state_slot_names().size();
  for (size_t k = 0; k < slots; ++k)
    for (size_t p = 0; p < params; ++p) order.emplace_back(p, k);
  return order;
}

std::string tf2_slot_name(const optimizers::Optimizer& opt, size_t slot, bool optimizer_v2) {
  std::string name = opt.state_slot_names().at(slot);
  if (is_adam(opt)) {
    if (name == "momentum") return "m";
    if (name == "velocity") return "v";
    if (name == "velocity_hat") return "vhat";
  }
  if (opt.name() == "SGD" && name == "momentum") return optimizer_v2 ? "momentum" : "m";
  if (optimizer_v2 && name == "velocity") return "rms";          // RMSprop
  if (optimizer_v2 && name == "average_gradient") return "mg";   // RMSprop, centered
  return name;                                                   // RMSprop's momentum, Adagrad's accumulator
}

}  // namespace elucid::keras
