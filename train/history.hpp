// History: what fit() returns, every figure per epoch (loss, accuracy, val_loss, ..., lr when it changes).
#pragma once
#include <elucid/train/logs.hpp>

#include <string>
#include <utility>
#include <vector>

namespace elucid {

struct History {
  std::vector<int> epoch;  // 0-based epoch numbers, as Keras' history.epoch
  std::vector<std::pair<std::string, std::vector<double>>> history;  // in the order the figures first appeared

  void append(int epoch_index, const Logs& logs);
  const std::vector<double>& operator[](const std::string& key) const;  // throws naming the keys there are
  bool contains(const std::string& key) const;
};

}  // namespace elucid
