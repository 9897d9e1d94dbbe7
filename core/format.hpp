// Numbers as text, one way everywhere: error messages, the summary, CSV and JSON files, the CLI and the reports.
#pragma once
#include <cstdint>
#include <string>

namespace elucid {

std::string thousands(int64_t n);  // 93322 -> "93,322"
// The shortest text that reads back as the same number (as Python's repr): 0.1 -> "0.1", 1e-7 -> "1e-07",
// "nan", "inf", "-inf". The float overload prints a float as written: 0.1f -> "0.1", not 0.100000001.
std::string format_number(double value);
std::string format_number(float value);
// Fixed decimals, as Python's f"{value:.5f}": (0.345678912, 5) -> "0.34568"; "nan", "inf", "-inf". For messages
// that Keras prints so, such as ModelCheckpoint's "val_loss improved from 0.34568 to 0.31234".
std::string format_number(double value, int decimals);
// The double written the same way as a float: 0.001f -> 0.001 (not 0.0010000000474974513), for configs.
double as_written(float value);

}  // namespace elucid
