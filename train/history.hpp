// History: what fit() returns, every figure per epoch (loss, accuracy, val_loss, ..., lr when it changes).
#pragma once
#include <elucid/train/logs.hpp>

#include <string>
#include <utility>
#include <vector>

namespace elucid {

// Keras' History.history: each figure's name with its value at each epoch, in the order the figures first appeared.
// Read like Keras' dict, history.history["loss"]; iterate it as (name, values) pairs.
struct FigureLists : std::vector<std::pair<std::string, std::vector<double>>> {
  using vector::vector;
  using vector::operator[];                                             // by position
  const std::vector<double>& operator[](const std::string& key) const;  // throws naming the keys there are
  bool contains(const std::string& key) const;
};

// auto h = model.fit(...); h.history["loss"] as in Keras, or h["loss"] for short.
struct History {
  std::vector<int> epoch;  // 0-based epoch numbers, as Keras' history.epoch
  FigureLists history;

  void append(int epoch_index, const Logs& logs);
  const std::vector<double>& operator[](const std::string& key) const;  // throws naming the keys there are
  bool contains(const std::string& key) const;
};

}  // namespace elucid
