// Monitor: direction and threshold of "better", as keras.callbacks resolves them.
#include <elucid/callbacks/monitor.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace elucid::callbacks {

std::string find_figure(const std::string& who, const std::string& what, const std::string& wanted,
                        const std::vector<std::string>& figures) {
  const auto has = [&](const std::string& name) { return std::find(figures.begin(), figures.end(), name) != figures.end(); };
  if (has(wanted)) return wanted;
  const std::string prefix = wanted.rfind("val_", 0) == 0 ? "val_" : "";
  const std::string bare = wanted.substr(prefix.size());
  const std::string other = bare == "acc" ? "accuracy" : bare == "accuracy" ? "acc" : "";
  if (!other.empty() && has(prefix + other)) return prefix + other;
  std::string names;
  for (const auto& name : figures) names += (names.empty() ? "" : ", ") + name;
  const bool validation = std::any_of(figures.begin(), figures.end(), [](const std::string& f) { return f.rfind("val_", 0) == 0; });
  throw Error(who + ": " + what + " \"" + wanted + "\" is not a figure of this run, which logs " + names +
              (!prefix.empty() && !validation ? " (val_ figures need validation data: validation_split or validation_data)"
                                              : ""));
}

Monitor::Monitor(const std::string& who, std::string key, const std::string& mode, double min_delta)
    : key_(std::move(key)), min_delta_(std::fabs(min_delta)) {
  if (mode == "min") maximize_ = false;
  else if (mode == "max") maximize_ = true;
  else if (mode == "auto")
    maximize_ = key_.find("acc") != std::string::npos || key_.find("auc") != std::string::npos;
  else
    throw Error(who + ": mode must be \"auto\", \"min\" or \"max\", got \"" + mode + "\"");
}

void Monitor::resolve(const std::string& who, const std::vector<std::string>& figures) {
  key_ = find_figure(who, "monitor", key_, figures);
}

bool Monitor::improves(double value, double reference) const {
  return maximize_ ? value - min_delta_ > reference : value + min_delta_ < reference;
}

double Monitor::worst() const {
  return maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

}  // namespace elucid::callbacks
