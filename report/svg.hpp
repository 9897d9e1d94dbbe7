// Tiny helpers for writing SVG by hand: escaped text and fixed-precision numbers.
#pragma once
#include <string>
#include <vector>

namespace elucid::report {

std::string escape_xml(const std::string& text);
std::string num(double value);  // "12.5": at most 2 decimals, no trailing zeros
// About 5 round tick values covering [low, high] (1, 2 or 5 times a power of ten apart).
std::vector<double> nice_ticks(double low, double high, int target = 5);
// Text width in pixels at a font size, for layout (an average sans-serif glyph is about 0.6 em wide).
double text_width(const std::string& text, double font_size);

}  // namespace elucid::report
