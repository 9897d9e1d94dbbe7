// An optimizer by name with Keras' defaults, as keras.optimizers.get("adam").
#pragma once
#include <elucid/optim/optimizer.hpp>

#include <memory>
#include <string>

namespace elucid::optimizers {

// "sgd", "adam", "adamw", "rmsprop", "adagrad" (any case, so Keras class names work too). An unknown name is an
// elucid::Error listing the known ones.
std::unique_ptr<Optimizer> get(const std::string& name);

}  // namespace elucid::optimizers
