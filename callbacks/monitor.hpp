// Monitor: the "is this figure better?" rule EarlyStopping and ReduceLROnPlateau share, with Keras' 'auto' mode
// (max for accuracy-like figures, min for the rest) and min_delta.
#pragma once
#include <string>
#include <vector>

namespace elucid::callbacks {

// `wanted` as it is named among a run's figures, accepting Keras's two spellings of accuracy (acc and accuracy,
// val_acc and val_accuracy). Throws `who: what "wanted" is not a figure of this run, which logs ...` (saying that
// val_ figures need validation data when the run has none) when it is not there.
std::string find_figure(const std::string& who, const std::string& what, const std::string& wanted,
                        const std::vector<std::string>& figures);

class Monitor {
 public:
  // mode: "auto", "min" or "max"; anything else is an elucid::Error naming `who`.
  Monitor(const std::string& who, std::string key, const std::string& mode, double min_delta);
  bool improves(double value, double reference) const;  // better than reference by more than min_delta
  double worst() const;                                  // +inf for min, -inf for max
  bool maximize() const { return maximize_; }
  // Before training: the key as the run names it (find_figure), or an error naming `who`.
  void resolve(const std::string& who, const std::vector<std::string>& figures);
  const std::string& key() const { return key_; }

 private:
  std::string key_;
  bool maximize_;
  double min_delta_;
};

}  // namespace elucid::callbacks
