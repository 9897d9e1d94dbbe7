// Monitor: direction and threshold of "better", as keras.callbacks resolves them.
#include <elucid/callbacks/monitor.hpp>

#include <elucid/core/error.hpp>

#include <cmath>
#include <limits>

namespace elucid::callbacks {

Monitor::Monitor(const std::string& who, std::string key, const std::string& mode, double min_delta)
    : key_(std::move(key)), min_delta_(std::fabs(min_delta)) {
  if (mode == "min") maximize_ = false;
  else if (mode == "max") maximize_ = true;
  else if (mode == "auto")
    maximize_ = key_.find("acc") != std::string::npos || key_.find("auc") != std::string::npos;
  else
    throw Error(who + ": mode must be \"auto\", \"min\" or \"max\", got \"" + mode + "\"");
}

bool Monitor::improves(double value, double reference) const {
  return maximize_ ? value - min_delta_ > reference : value + min_delta_ < reference;
}

double Monitor::worst() const {
  return maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

}  // namespace elucid::callbacks
