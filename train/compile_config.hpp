// CompileConfig: what model.compile() was given (optimizer with its options, losses, metrics) as plain values, so
// that Keras 3's compile_config, a recipe's "compile" section and a model file can all carry it.
#pragma once
#include <elucid/train/losses.hpp>
#include <elucid/optim/optimizer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace elucid {

namespace train {
class Trainer;
}

struct CompileConfig {
  std::shared_ptr<const optimizers::Optimizer> optimizer = {};  // with its options; null: "rmsprop", Keras' default
  // One loss for every output, or one per output of a model of several (Keras' loss=[...]); required to compile.
  std::vector<losses::Loss> losses = {};
  // No metrics, one list for every output, or one list per output (Keras' metrics=[[...], [...]]).
  std::vector<std::vector<std::string>> metrics = {};
  std::vector<double> loss_weights = {};  // none (1 each), or one per output
  // Keras' dicts by output name (loss={"digit": ..., "size": ...}): the output each entry of losses, metrics and
  // loss_weights is for, in their order; empty: a list in the model's order. An output a dict leaves out has no
  // metrics and a weight of 1; every output needs a loss.
  std::vector<std::string> loss_outputs = {}, metric_outputs = {}, loss_weight_outputs = {};

  // model.compile(*optimizer, losses, metrics, loss_weights), the dicts put in the model's order of outputs. Throws
  // elucid::Error when there is no loss, a dict names an output the model does not have or gives one no loss.
  void apply(train::Trainer& model) const;
};

}  // namespace elucid
