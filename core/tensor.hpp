// Tensor: a float32, contiguous, row-major array of any rank with reverse-mode autograd.
//
// A Tensor is a cheap handle: copies share the same node (data, grad and graph links), as flashlight's Variable
// and PyTorch's tensors do. Use clone() for an independent copy of the data.
//
// Ops (core/ops.hpp) build a dynamic graph while grad mode is on and some input requires grad: the output node keeps
// handles to its inputs and a backward function. backward() walks that graph in reverse topological order,
// accumulates gradients into the leaves that require grad, then releases the graph (inputs, backward functions and
// intermediate gradients), so nothing outlives the step and no reference cycle is formed.
#pragma once
#include <elucid/core/grad_buffer.hpp>
#include <elucid/core/shape.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace elucid {

class Tensor;

// An allocator that default-initialises (for float: leaves uninitialised) elements made by resize or a sized
// constructor; std::allocator value-initialises them, which zero-fills every op output only to overwrite it.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using Storage = std::vector<float, UninitializedAllocator<float>>;  // a tensor's data or gradient

// Computes the inputs' gradients from the output's gradient `grad_out` (same numel as the output) and adds them
// into inputs[i].grad_data() for each input that requires grad. It captures scalars and saved buffers only, never
// the output tensor itself (that would be a reference cycle).
using BackwardFn = std::function<void(std::span<const Tensor> inputs, const float* grad_out)>;

struct TensorNode {
  Shape shape;
  std::shared_ptr<Storage> data;  // shared by reshape() views
  std::shared_ptr<Storage> grad;  // allocated on first use
  bool requires_grad = false;
  const char* op = "leaf";                   // the op that made it, for error messages and debugging
  std::vector<Tensor> inputs;                // the graph: empty for leaves and after backward()
  BackwardFn backward;
};

class Tensor {
 public:
  Tensor() = default;                                  // undefined: defined() is false
  explicit Tensor(Shape shape, float fill = 0.0f);     // new storage filled with `fill`
  Tensor(Shape shape, std::vector<float> values);      // values.size() must equal numel(shape)

  static Tensor zeros(Shape shape) { return Tensor(std::move(shape), 0.0f); }
  static Tensor ones(Shape shape) { return Tensor(std::move(shape), 1.0f); }
  static Tensor scalar(float value) { return Tensor(Shape{}, value); }
  // New storage with unspecified values, for ops whose kernel writes every element of their output.
  static Tensor empty(Shape shape);

  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return static_cast<int>(shape().size()); }
  int64_t dim(int axis) const;  // negative axes count from the end, as in Python
  int64_t size() const;         // number of elements

  float* data();
  const float* data() const;
  std::span<float> values() { return {data(), static_cast<size_t>(size())}; }
  std::span<const float> values() const { return {data(), static_cast<size_t>(size())}; }
  float item() const;           // the value of a one-element tensor
  float& at(std::initializer_list<int64_t> index);  // bounds-checked element access
  float at(std::initializer_list<int64_t> index) const;

  // Autograd.
  bool requires_grad() const;  // false for an undefined tensor
  Tensor& set_requires_grad(bool on = true);  // only on leaves
  bool has_grad() const;        // true once a gradient has been accumulated
  Tensor grad() const;          // the accumulated gradient (shares storage), zeros if none yet
  float* grad_data();           // allocates a zeroed gradient on first use
  // For backward functions: the gradient to add into, or on first use a new one with unspecified values that the
  // caller must overwrite entirely (fresh), which saves the zero-fill.
  GradBuffer grad_buffer();
  void zero_grad();             // drops the accumulated gradient
  void backward();              // from a one-element tensor: d(self)/d(self) = 1
  bool is_leaf() const;
  const char* op() const;

  // Data movement.
  Tensor clone() const;         // a new leaf with a copy of the data and no grad
  Tensor detach() const;        // a new leaf sharing the data, not the graph
  void copy_from(const Tensor& other);  // copies values; shapes must have equal numel
  void fill(float value);

  // For op implementations (core/ops/*.cpp): attach the graph to a freshly made output.
  void set_backward(const char* op, std::vector<Tensor> inputs, BackwardFn backward);
  // A view with another shape over the same data (numel must match); the view is a new node.
  Tensor view(Shape shape) const;

  const TensorNode* node() const { return node_.get(); }
  bool same_node(const Tensor& other) const { return node_ == other.node_; }

 private:
  explicit Tensor(std::shared_ptr<TensorNode> node) : node_(std::move(node)) {}
  TensorNode& checked() const;
  std::shared_ptr<TensorNode> node_;
};

// A weight with its Keras-style path, e.g. {"conv2d/kernel", t}. Files, checkpoints and optimizer state are keyed
// by these names and their order, never by address.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// Grad mode: when off, ops record no graph (inference, evaluation, optimizer updates).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
 private:
  bool previous_;
};

// True when an op over these inputs must record its backward: grad mode is on and one input requires grad.
// Undefined tensors (an absent bias) count as not requiring grad.
template <class... Tensors>
bool needs_grad(const Tensors&... inputs) {
  return grad_enabled() && (inputs.requires_grad() || ...);
}

}  // namespace elucid
