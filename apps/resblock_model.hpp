// A small residual network through the Functional API, for elucid-bench --model resblock and its libtorch twin
// (scripts/bench/libtorch_resblock.cpp): a stem and one residual block as in ResNet, then a classifier.
#pragma once
#include <elucid/layers/layers.hpp>
#include <elucid/model/functional.hpp>

namespace elucid::examples {

// (batch, 28, 28, 1) images -> (batch, 10) logits, 19,242 trainable parameters (and 192 moving statistics).
// Stem: Conv2D(32, 3x3, same) -> BN -> ReLU, (28, 28, 32).
// Block: Conv2D(32, 3x3, same) -> BN -> ReLU -> Conv2D(32, 3x3, same) -> BN, added to the stem's output, ReLU.
// Head: MaxPooling2D(2x2) (14, 14, 32) -> GlobalAveragePooling2D (32) -> Dense(10).
// The convolutions have no bias, as in ResNet: the BatchNormalization after each one has its own offset.
inline Functional resblock_model() {
  using namespace elucid::layers;
  const Conv2DOptions conv = {.padding = "same", .use_bias = false};
  KerasTensor inputs = Input({28, 28, 1});
  KerasTensor stem = ReLU()(BatchNormalization()(Conv2D(32, {3, 3}, conv)(inputs)));
  KerasTensor x = ReLU()(BatchNormalization()(Conv2D(32, {3, 3}, conv)(stem)));
  x = BatchNormalization()(Conv2D(32, {3, 3}, conv)(x));
  x = ReLU()(Add()({x, stem}));
  KerasTensor outputs = Dense(10)(GlobalAveragePooling2D()(MaxPooling2D({2, 2})(x)));
  return Functional(inputs, outputs, "resblock");
}

}  // namespace elucid::examples
