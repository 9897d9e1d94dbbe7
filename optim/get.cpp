// Optimizers by name.
#include <elucid/optim/get.hpp>

#include <elucid/core/error.hpp>
#include <elucid/optim/optimizers.hpp>

#include <algorithm>
#include <cctype>

namespace elucid::optimizers {

std::unique_ptr<Optimizer> get(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  if (key == "sgd") return std::make_unique<SGD>();
  if (key == "adam") return std::make_unique<Adam>();
  if (key == "adamw") return std::make_unique<AdamW>();
  if (key == "rmsprop") return std::make_unique<RMSprop>();
  if (key == "adagrad") return std::make_unique<Adagrad>();
  throw Error("unknown optimizer \"" + name + "\"; known: sgd, adam, adamw, rmsprop, adagrad");
}

}  // namespace elucid::optimizers
