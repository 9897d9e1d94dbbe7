// LeafGradients: per-thread gradient buffers for shared leaves, found by a thread-local pointer.
#include <elucid/core/leaf_gradients.hpp>

namespace elucid {

namespace {
thread_local LeafGradients* active = nullptr;
}

void LeafGradients::reset(std::span<const Tensor> leaves) {
  slots_.resize(leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) {
    slots_[i].leaf = leaves[i];
    slots_[i].values.resize(static_cast<size_t>(leaves[i].size()));
    slots_[i].written = false;
  }
}

std::optional<GradBuffer> LeafGradients::active_buffer(const TensorNode* leaf) {
  if (!active) return std::nullopt;
  for (Slot& s : active->slots_) {
    if (s.leaf.node() != leaf) continue;
    const GradBuffer buffer{s.values.data(), !s.written};
    s.written = true;
    return buffer;
  }
  return std::nullopt;
}

void LeafGradients::add_into_leaves() {
  for (Slot& s : slots_) {
    if (s.written) add_into(s.leaf.grad_buffer(), s.values.data(), static_cast<int64_t>(s.values.size()));
    s.written = false;
    s.leaf = Tensor();  // the buffers stay for the next step, the weights are not kept alive by them
  }
}

LeafGradients::Scope::Scope(LeafGradients& gradients) : previous_(active) { active = &gradients; }
LeafGradients::Scope::~Scope() { active = previous_; }

}  // namespace elucid
