// History: one column per figure, one row per epoch.
#include <elucid/train/history.hpp>

#include <elucid/core/error.hpp>

namespace elucid {

void History::append(int epoch_index, const Logs& logs) {
  epoch.push_back(epoch_index);
  for (const auto& [key, value] : logs.items()) {
    auto it = history.begin();
    while (it != history.end() && it->first != key) ++it;
    if (it == history.end()) it = history.insert(history.end(), {key, {}});
    it->second.push_back(value);
  }
}

const std::vector<double>& History::operator[](const std::string& key) const { return history[key]; }

bool History::contains(const std::string& key) const { return history.contains(key); }

const std::vector<double>& FigureLists::operator[](const std::string& key) const {
  std::string keys;
  for (const auto& [k, values] : *this) {
    if (k == key) return values;
    keys += (keys.empty() ? "" : ", ") + k;
  }
  throw Error("History has no \"" + key + "\"; it has: " + (keys.empty() ? "nothing" : keys));
}

bool FigureLists::contains(const std::string& key) const {
  for (const auto& [k, values] : *this)
    if (k == key) return true;
  return false;
}

}  // namespace elucid
