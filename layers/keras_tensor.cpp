// KerasTensor: shapes and calls; Input.
#include <elucid/layers/keras_tensor.hpp>

#include <elucid/core/error.hpp>
#include <elucid/layers/input_layer.hpp>

#include <atomic>

namespace elucid::layers {

const Shape& KerasTensor::shape() const {
  if (!node_) throw Error("KerasTensor: empty (made by no Input or layer call)");
  return node_->shape;
}

uint64_t next_node_serial() {
  static std::atomic<uint64_t> serial{0};
  return serial++;
}

KerasTensor Input(Shape shape, std::string name) {
  auto layer = std::make_shared<InputLayer>(InputLayerOptions{.shape = shape, .name = std::move(name)});
  return KerasTensor(std::make_shared<const Node>(Node{.layer = layer, .inputs = {}, .shape = std::move(shape)}));
}

}  // namespace elucid::layers
