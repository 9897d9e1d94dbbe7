// LeafGradients: one thread's own gradients for a set of leaves (a model's weights). While it is active on a thread
// (LeafGradients::Scope), backward() on that thread writes those leaves' gradients into it instead of into the
// leaves, so several threads can run backward through the same weights at once; add_into_leaves() then adds them to
// the leaves' gradients. The training step's batch split (train/batch_split.hpp) gives each slice one.
#pragma once
#include <elucid/core/tensor.hpp>

#include <optional>
#include <span>
#include <vector>

namespace elucid {

class LeafGradients {
 public:
  // Starts a step over these leaves: buffers are sized to them (and kept from step to step), none written yet.
  void reset(std::span<const Tensor> leaves);

  // The buffer backward() writes this leaf's gradient into on this thread, or null when no LeafGradients is active
  // here or it does not hold this leaf. fresh on the first write of the step, as Tensor::grad_buffer().
  static std::optional<GradBuffer> active_buffer(const TensorNode* leaf);

  // Adds each written gradient into its leaf's gradient (copies it when the leaf has none yet), then lets go of the
  // leaves until the next reset().
  void add_into_leaves();
  // The same for several, reset() over the same leaves: their gradients are added in the order given, one pass over
  // each leaf's elements split over the thread team (the same bits as add_into_leaves() on each in turn).
  static void add_into_leaves(std::span<LeafGradients> in_order);

  // Makes `gradients` the active one on this thread for the scope's lifetime.
  class Scope {
   public:
    explicit Scope(LeafGradients& gradients);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    LeafGradients* previous_;
  };

 private:
  struct Slot {
    Tensor leaf;
    Storage values;
    bool written = false;
  };
  std::vector<Slot> slots_;
};

}  // namespace elucid
