// CompileConfig: what model.compile() was given (optimizer with its options, loss, metrics) as plain values, so
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
  std::optional<losses::Loss> loss = {};                         // required to compile
  std::vector<std::string> metrics = {};

  // model.compile(*optimizer, *loss, metrics). Throws elucid::Error when there is no loss.
  void apply(train::Trainer& model) const;
};

}  // namespace elucid
