// Tensor storage, element access and the reverse-mode autograd walk.
#include <elucid/core/tensor.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/leaf_gradients.hpp>

#include <malloc.h>

#include <algorithm>
#include <unordered_set>

namespace elucid {

namespace {
thread_local bool grad_mode = true;

// Tensor storage of a training step (activations, gradients: megabytes) is freed and allocated again every step.
// glibc would return it to the kernel (mmap above 128 KiB, heap trimming) and take page faults to get it back,
// which costs more than the step's arithmetic on this VM; keep freed memory in the process instead.
const bool keep_freed_memory = [] {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();

std::string index_string(std::initializer_list<int64_t> index) {
  Shape s(index);
  return to_string(s);
}
}  // namespace

bool grad_enabled() { return grad_mode; }
NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }

Tensor::Tensor(Shape shape, float fill) : node_(std::make_shared<TensorNode>()) {
  const int64_t n = numel(shape);
  node_->shape = std::move(shape);
  node_->data = std::make_shared<Storage>(static_cast<size_t>(n), fill);
}

Tensor Tensor::empty(Shape shape) {
  auto node = std::make_shared<TensorNode>();
  node->data = std::make_shared<Storage>(static_cast<size_t>(numel(shape)));
  node->shape = std::move(shape);
  return Tensor(std::move(node));
}

Tensor::Tensor(Shape shape, std::vector<float> values) : node_(std::make_shared<TensorNode>()) {
  const int64_t n = numel(shape);
  if (static_cast<int64_t>(values.size()) != n)
    throw Error("Tensor: " + std::to_string(values.size()) + " values do not fill shape " + to_string(shape) +
                " (" + std::to_string(n) + " elements)");
  node_->shape = std::move(shape);
  node_->data = std::make_shared<Storage>(values.begin(), values.end());
}

TensorNode& Tensor::checked() const {
  if (!node_) throw Error("Tensor: use of an undefined tensor");
  return *node_;
}

const Shape& Tensor::shape() const { return checked().shape; }

int64_t Tensor::dim(int axis) const {
  const int r = rank();
  const int a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r)
    throw Error("Tensor::dim: axis " + std::to_string(axis) + " is out of range for shape " + to_string(shape()));
  return shape()[static_cast<size_t>(a)];
}

int64_t Tensor::size() const { return static_cast<int64_t>(checked().data->size()); }
float* Tensor::data() { return checked().data->data(); }
const float* Tensor::data() const { return checked().data->data(); }

float Tensor::item() const {
  if (size() != 1) throw Error("Tensor::item: tensor of shape " + to_string(shape()) + " is not one element");
  return data()[0];
}

float Tensor::at(std::initializer_list<int64_t> index) const { return const_cast<Tensor*>(this)->at(index); }

float& Tensor::at(std::initializer_list<int64_t> index) {
  const Shape& s = shape();
  if (index.size() != s.size())
    throw Error("Tensor::at: index " + index_string(index) + " does not match shape " + to_string(s));
  int64_t flat = 0;
  size_t axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= s[axis])
      throw Error("Tensor::at: index " + index_string(index) + " is out of range for shape " + to_string(s));
    flat = flat * s[axis] + i;
    ++axis;
  }
  return data()[flat];
}

bool Tensor::requires_grad() const { return node_ && node_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  if (!is_leaf()) throw Error(std::string("Tensor::set_requires_grad: only leaves can be set; this is the output of ") +
                              checked().op);
  checked().requires_grad = on;
  return *this;
}

bool Tensor::has_grad() const { return node_ && node_->grad != nullptr; }

Tensor Tensor::grad() const {
  auto& n = checked();
  auto node = std::make_shared<TensorNode>();
  node->shape = n.shape;
  node->data = n.grad ? n.grad : std::make_shared<Storage>(n.data->size(), 0.0f);
  return Tensor(std::move(node));
}

float* Tensor::grad_data() {
  auto& n = checked();
  if (auto redirected = LeafGradients::active_buffer(&n)) {  // this thread's own gradient for a shared weight
    if (redirected->fresh) std::fill(redirected->data, redirected->data + n.data->size(), 0.0f);
    return redirected->data;
  }
  if (!n.grad) n.grad = std::make_shared<Storage>(n.data->size(), 0.0f);
  return n.grad->data();
}

GradBuffer Tensor::grad_buffer() {
  auto& n = checked();
  if (auto redirected = LeafGradients::active_buffer(&n)) return *redirected;
  if (n.grad) return {n.grad->data(), false};
  n.grad = std::make_shared<Storage>(n.data->size());
  return {n.grad->data(), true};
}

void Tensor::zero_grad() { checked().grad.reset(); }
bool Tensor::is_leaf() const { return !checked().backward; }
const char* Tensor::op() const { return checked().op; }

void Tensor::backward() {
  auto& root = checked();
  if (root.data->size() != 1)
    throw Error("backward: called on a tensor of shape " + to_string(root.shape) +
                "; it needs a one-element tensor such as a loss");
  if (!root.requires_grad) throw Error("backward: the tensor does not require grad (no parameter led to it)");

  // Post-order depth-first walk, iterative so that deep graphs cannot overflow the stack.
  std::vector<std::shared_ptr<TensorNode>> order;
  std::unordered_set<TensorNode*> visited;
  std::vector<std::pair<std::shared_ptr<TensorNode>, size_t>> stack{{node_, 0}};
  visited.insert(node_.get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const auto& child = node->inputs[next++].node_;
      if (child && child->requires_grad && visited.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }

  grad_data()[0] += 1.0f;
  NoGradGuard no_grad;  // backward functions compute with plain kernels; nothing they do is recorded
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorNode& n = **it;
    if (n.backward && n.grad) n.backward(n.inputs, n.grad->data());
  }
  // Release the graph: the step's intermediate buffers go away with it; leaves keep their gradients.
  for (auto& n : order) {
    if (n->backward) {
      n->inputs.clear();
      n->backward = nullptr;
      n->grad.reset();
      n->requires_grad = false;
    }
  }
}

Tensor Tensor::clone() const {
  const auto& n = checked();
  auto node = std::make_shared<TensorNode>();
  node->shape = n.shape;
  node->data = std::make_shared<Storage>(*n.data);
  return Tensor(std::move(node));
}

Tensor Tensor::detach() const {
  const auto& n = checked();
  auto node = std::make_shared<TensorNode>();
  node->shape = n.shape;
  node->data = n.data;
  return Tensor(std::move(node));
}

void Tensor::copy_from(const Tensor& other) {
  if (other.size() != size())
    throw Error("Tensor::copy_from: source " + to_string(other.shape()) + " and destination " + to_string(shape()) +
                " differ in element count");
  std::copy(other.data(), other.data() + size(), data());
}

void Tensor::fill(float value) { std::fill(data(), data() + size(), value); }

void Tensor::set_backward(const char* op, std::vector<Tensor> inputs, BackwardFn backward) {
  auto& n = checked();
  n.op = op;
  n.requires_grad = true;
  n.inputs = std::move(inputs);
  n.backward = std::move(backward);
}

Tensor Tensor::view(Shape shape) const {
  const auto& n = checked();
  if (numel(shape) != static_cast<int64_t>(n.data->size()))
    throw Error("reshape: cannot view " + to_string(n.shape) + " as " + to_string(shape) + " (element counts differ)");
  auto node = std::make_shared<TensorNode>();
  node->shape = std::move(shape);
  node->data = n.data;
  return Tensor(std::move(node));
}

}  // namespace elucid
