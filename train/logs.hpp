// Logs: the named figures of a batch or an epoch ("loss", "accuracy", "val_loss", ...), in the order Keras shows them.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace elucid {

class Logs {
 public:
  void set(const std::string& key, double value);   // replaces, or appends in order
  std::optional<double> get(const std::string& key) const;
  double at(const std::string& key) const;          // throws elucid::Error naming the key and the keys there are
  bool contains(const std::string& key) const { return get(key).has_value(); }
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::string keys_string() const;                  // "loss, accuracy"

 private:
  std::vector<std::pair<std::string, double>> items_;
};

}  // namespace elucid
