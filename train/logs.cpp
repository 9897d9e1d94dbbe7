// Logs: an ordered list of named figures.
#include <elucid/train/logs.hpp>

#include <elucid/core/error.hpp>

namespace elucid {

void Logs::set(const std::string& key, double value) {
  for (auto& [k, v] : items_)
    if (k == key) {
      v = value;
      return;
    }
  items_.emplace_back(key, value);
}

std::optional<double> Logs::get(const std::string& key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return v;
  return std::nullopt;
}

double Logs::at(const std::string& key) const {
  if (auto v = get(key)) return *v;
  throw Error("logs have no \"" + key + "\"; they have: " + (items_.empty() ? "nothing" : keys_string()));
}

std::string Logs::keys_string() const {
  std::string s;
  for (const auto& [k, v] : items_) s += (s.empty() ? "" : ", ") + k;
  return s;
}

}  // namespace elucid
