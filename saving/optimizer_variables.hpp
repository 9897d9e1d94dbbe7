// The optimizer's variables as the Keras file formats order and name them (internal to saving/).
//
// elucid keeps each parameter's slots together (OptimizerState: conv2d/kernel/momentum, conv2d/kernel/velocity,
// conv2d/bias/momentum, ...). Keras files list them in the order its optimizers create them:
//   Keras 3 (.keras, .weights.h5) and tf.keras 2.11-2.15: one creation loop over the parameters per slot, except that
//     Adam and AdamW make momentum and velocity in one loop (m0, v0, m1, v1, ..., then any velocity_hat);
//   tf.keras 2.x before 2.11 (OptimizerV2, .h5 optimizer_weights): one loop per slot (m0, m1, ..., v0, v1, ...).
// tf.keras 2.x names each one in its .h5 file: "Adam/conv2d/kernel/m:0" (OptimizerV2) or "Adam/m/conv2d/kernel:0"
// (2.11-2.15), with its own short slot names (Adam m, v, vhat; RMSprop rms, mg).
#pragma once
#include <elucid/optim/optimizer.hpp>

#include <string>
#include <utility>
#include <vector>

namespace elucid::keras {

// (parameter, slot) pairs in a file's order; `params` trainable parameters, the slots those of opt.state_slot_names().
using SlotOrder = std::vector<std::pair<size_t, size_t>>;
SlotOrder keras3_slot_order(const optimizers::Optimizer& opt, size_t params);
SlotOrder slot_by_slot_order(const optimizers::Optimizer& opt, size_t params);

// The name tf.keras 2.x gives slot `slot` (an index into state_slot_names()) of this optimizer: OptimizerV2's
// ("momentum" of Adam is "m", "velocity" of RMSprop "rms") or, with `optimizer_v2` false, 2.11's ("velocity").
std::string tf2_slot_name(const optimizers::Optimizer& opt, size_t slot, bool optimizer_v2);

}  // namespace elucid::keras
