// For scripts/check-onnx.sh: exports each prefix of a model file's layers as its own ONNX graph, so that ONNX Runtime
// can be compared with elucid at every layer's output (a graph gives its outputs only) and the first layer where the
// two part is named. Through elucid's public API only: the prefixes share the model's layers and weights. For a
// Functional model a prefix is the model from its inputs to one layer's output, for each layer in the order of its
// calls (tests/tfjs/dump_model.cpp dumps the layers' outputs in that order).
//
//   export_prefixes MODEL OUT_DIR      writes OUT_DIR/layer_1.onnx (the first layer) ... layer_N.onnx (the model)
#include <elucid/elucid.hpp>

#include <iostream>
#include <memory>
#include <string>

int main(int argc, char** argv) try {
  using namespace elucid;
  if (argc != 3) {
    std::cerr << "usage: export_prefixes MODEL OUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[2];
  const ModelFile file = load_model_file(argv[1]);
  if (file.functional) {
    const Functional& graph = *file.functional;
    int k = 0;
    for (const auto& node : graph.nodes()) {
      if (node->inputs.empty() || graph.node_index(*node) != 0) continue;
      const Functional prefix(graph.inputs(), {layers::KerasTensor(node)}, graph.name());
      export_onnx(prefix, dir + "/layer_" + std::to_string(++k) + ".onnx");
    }
    return 0;
  }
  const Sequential& model = file.model;
  Sequential prefix(model.name());
  prefix.add(std::make_shared<layers::InputLayer>(layers::InputLayerOptions{.shape = model.input_shape()}));
  for (size_t i = 0; i < model.layers().size(); ++i) {
    prefix.add(model.layers()[i]);  // already built for this shape, named: added as it is
    export_onnx(prefix, dir + "/layer_" + std::to_string(i + 1) + ".onnx");
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "export_prefixes: " << e.what() << "\n";
  return 1;
}
