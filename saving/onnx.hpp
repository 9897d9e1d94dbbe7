// ONNX export: a Sequential or Functional model as one ONNX graph (opset 13) that ONNX Runtime and the other ONNX
// tools run.
//
//   elucid::export_onnx(model, "fashion.onnx");   // or `elucid export fashion.elucid fashion.onnx`
//
// The graph takes and gives what model.predict() takes and gives, as a Keras model converted by tf2onnx does:
//   input   named as Keras names the model's InputLayer ("conv2d_input", or "input_1"), float32
//           (batch, H, W, C) channels_last, its first dimension the symbol "batch";
//   output  named after the last layer, float32 (batch, ...the last layer's output shape).
// A Functional model: an input per InputLayer, named as it; an output per model output, named after its layer, in
// Keras' layout; each call's nodes in the model's order; a layer called more than once is refused.
// Inside, images run channels first (batch, C, H, W), the layout ONNX's Conv, pooling, BatchNormalization and Resize
// take: a Transpose (perm 0, 3, 1, 2) where an image reaches one of those ops, and one back (perm 0, 2, 3, 1) where a
// layer needs Keras' order: Flatten (so the flat vector is in H, W, C order, as Dense's kernel expects it), Reshape,
// Dense (it acts on the last axis) and the graph's output. Elementwise layers run in either layout.
//
// Layer by layer (each layer's last node writes a value named after the layer):
//   Conv2D              Conv (pads explicit: Keras' 'same' pads the odd row and column at the bottom and right),
//                       then its activation
//   Dense               MatMul, Add (the bias), then its activation
//   MaxPooling2D        MaxPool; AveragePooling2D: AveragePool with count_include_pad 0 (as Keras' 'same')
//   GlobalAverage/GlobalMaxPooling2D   GlobalAveragePool / GlobalMaxPool, then Flatten unless keepdims
//   BatchNormalization  BatchNormalization with the moving statistics and epsilon written explicitly
//   ZeroPadding2D       Pad; Cropping2D: Slice; UpSampling2D: Resize (nearest, asymmetric, floor: pixel repeats)
//   Rescaling           Mul, Add; Flatten: Flatten; Reshape: Reshape (the batch dimension copied)
//   activations         Elu (alpha kept), Relu, Sigmoid, Tanh, Softmax (the channel axis), Selu (Keras' alpha and
//                       scale), Softplus; swish as x * Sigmoid(x), gelu as 0.5 x (1 + Erf(x / sqrt 2)) (opset 13 has
//                       no Gelu)
//   Dropout, RandomFlip, RandomContrast, RandomTranslation, RandomRotation, RandomZoom
//                       nothing: layers of training only, the identity at inference
//   RandomCrop          its inference: Slice (the centered window), then Resize (linear, half_pixel) when the
//                       window is not the target size
//   Add, Subtract, Average, Maximum   Sum, Sub, Mean, Max, the inputs brought to the first one's layout; Multiply:
//                       a chain of Mul; Concatenate: Concat (axis 1 when every input is channels first and Keras'
//                       axis is the channels', else Keras' axis in Keras' order)
// Weights are initializers named as elucid names them ("conv2d/kernel"), float32; a Conv2D kernel is stored
// (F, C, KH, KW), as ONNX's Conv takes it (elucid's and Keras' is (KH, KW, C, F)); the others keep their shapes.
// The constants the graph needs (pads, shapes, scales) are initializers named LAYER/what.
// The same model gives the same bytes: no timestamps, no paths.
#pragma once
#include <elucid/train/trainer.hpp>

#include <string>

namespace elucid {

// The opset the graph imports (the default ONNX domain only).
inline constexpr int kOnnxOpset = 13;

// The serialized ModelProto, checked by ONNX's checker (onnx::checker::check_model) before it is returned. The model
// must be a built Sequential or a Functional model. A layer the graph cannot express throws one elucid::Error naming
// the layer and why.
std::string onnx_model_bytes(const train::Trainer& model);

// Writes onnx_model_bytes(model) to `path` atomically; an error names the path.
void export_onnx(const train::Trainer& model, const std::string& path);

}  // namespace elucid
