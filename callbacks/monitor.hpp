// Monitor: the "is this figure better?" rule EarlyStopping and ReduceLROnPlateau share, with Keras' 'auto' mode
// (max for accuracy-like figures, min for the rest) and min_delta.
#pragma once
#include <string>

namespace elucid::callbacks {

class Monitor {
 public:
  // mode: "auto", "min" or "max"; anything else is an elucid::Error naming `who`.
  Monitor(const std::string& who, std::string key, const std::string& mode, double min_delta);
  bool improves(double value, double reference) const;  // better than reference by more than min_delta
  double worst() const;                                  // +inf for min, -inf for max
  bool maximize() const { return maximize_; }
  const std::string& key() const { return key_; }

 private:
  std::string key_;
  bool maximize_;
  double min_delta_;
};

}  // namespace elucid::callbacks
