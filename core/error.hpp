// elucid::Error: the one exception type. Its message names the operation, file or argument and the numbers.
#pragma once
#include <stdexcept>
#include <string>

namespace elucid {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace elucid
