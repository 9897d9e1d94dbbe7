// Training curves: panels 420 x 300 side by side; x is the epoch (1-based, as the progress bar counts), y spans the
// values with round ticks.
#include <elucid/report/training_curves.hpp>

#include <elucid/core/error.hpp>
#include <elucid/report/svg.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace elucid::report {

namespace {
constexpr double kPanelWidth = 420, kPanelHeight = 300;
constexpr double kLeft = 64, kRight = 16, kTop = 40, kBottom = 52;  // plot margins inside a panel
const char* const kTrainColour = "#1f77b4";
const char* const kValidationColour = "#ff7f0e";

void panel(std::ostringstream& s, double x0, double y0, const std::string& figure, const std::vector<int>& epochs,
           const std::vector<double>* train, const std::vector<double>* validation) {
  double low = INFINITY, high = -INFINITY;
  for (const auto* series : {train, validation})
    if (series)
      for (double v : *series)
        if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
  if (!std::isfinite(low)) low = 0, high = 1;
  if (high - low < 1e-9) low -= 0.5, high += 0.5;
  const double margin = 0.06 * (high - low);  // keep the points off the frame
  low -= margin, high += margin;
  const auto ticks = nice_ticks(low, high);
  low = std::min(low, ticks.front());
  high = std::max(high, ticks.back());
  const double plot_w = kPanelWidth - kLeft - kRight, plot_h = kPanelHeight - kTop - kBottom;
  const int first = epochs.front() + 1, last = epochs.back() + 1;
  auto px = [&](int epoch) {
    return x0 + kLeft + (last == first ? plot_w / 2 : plot_w * (epoch - first) / double(last - first));
  };
  auto py = [&](double v) { return y0 + kTop + plot_h * (1 - (v - low) / (high - low)); };

  s << "<text x=\"" << num(x0 + kLeft + plot_w / 2) << "\" y=\"" << num(y0 + 24)
    << "\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">" << escape_xml(figure) << "</text>\n";
  s << "<rect x=\"" << num(x0 + kLeft) << "\" y=\"" << num(y0 + kTop) << "\" width=\"" << num(plot_w) << "\" height=\""
    << num(plot_h) << "\" fill=\"none\" stroke=\"#333\"/>\n";
  for (double t : ticks) {
    const double y = py(t);
    s << "<line x1=\"" << num(x0 + kLeft) << "\" x2=\"" << num(x0 + kLeft + plot_w) << "\" y1=\"" << num(y) << "\" y2=\""
      << num(y) << "\" stroke=\"#e5e5e5\"/>\n"
      << "<text x=\"" << num(x0 + kLeft - 6) << "\" y=\"" << num(y + 4) << "\" font-size=\"11\" text-anchor=\"end\">"
      << num(t) << "</text>\n";
  }
  // At most about 10 epoch ticks, so long runs stay readable.
  const int step = std::max(1, (last - first + 9) / 10);
  for (int e = first; e <= last; e += step)
    s << "<text x=\"" << num(px(e)) << "\" y=\"" << num(y0 + kTop + plot_h + 16)
      << "\" font-size=\"11\" text-anchor=\"middle\">" << e << "</text>\n";
  s << "<text x=\"" << num(x0 + kLeft + plot_w / 2) << "\" y=\"" << num(y0 + kPanelHeight - 12)
    << "\" font-size=\"12\" text-anchor=\"middle\">Epoch</text>\n";
  const double mid = y0 + kTop + plot_h / 2;
  s << "<text x=\"" << num(x0 + 16) << "\" y=\"" << num(mid) << "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 "
    << num(x0 + 16) << " " << num(mid) << ")\">" << escape_xml(figure) << "</text>\n";

  auto line = [&](const std::vector<double>& values, const char* colour) {
    std::string points;
    for (size_t i = 0; i < values.size() && i < epochs.size(); ++i)
      if (std::isfinite(values[i])) points += num(px(epochs[i] + 1)) + "," + num(py(values[i])) + " ";
    s << "<polyline points=\"" << points << "\" fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n";
    for (size_t i = 0; i < values.size() && i < epochs.size(); ++i)
      if (std::isfinite(values[i]))
        s << "<circle cx=\"" << num(px(epochs[i] + 1)) << "\" cy=\"" << num(py(values[i])) << "\" r=\"3\" fill=\""
          << colour << "\"/>\n";
  };
  if (train) line(*train, kTrainColour);
  if (validation) line(*validation, kValidationColour);

  // Legend, inside the plot on a white box: top-right, or bottom-right when the curves end high (accuracy rises).
  const std::vector<double>* last_series = train ? train : validation;
  const bool ends_high = last_series && !last_series->empty() && last_series->back() > (low + high) / 2;
  double ly = ends_high ? y0 + kTop + plot_h - (train && validation ? 44 : 26) : y0 + kTop + 8;
  const double lx = x0 + kLeft + plot_w - 112;
  s << "<rect x=\"" << num(lx - 6) << "\" y=\"" << num(ly - 4) << "\" width=\"114\" height=\""
    << (train && validation ? 40 : 22) << "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
  struct Entry {
    const std::vector<double>* series;
    const char* colour;
    const char* label;
  };
  for (const Entry& e : {Entry{train, kTrainColour, "training"}, Entry{validation, kValidationColour, "validation"}}) {
    const auto* series = e.series;
    const char* colour = e.colour;
    const char* label = e.label;
    if (!series) continue;
    s << "<line x1=\"" << num(lx) << "\" x2=\"" << num(lx + 20) << "\" y1=\"" << num(ly + 7) << "\" y2=\"" << num(ly + 7)
      << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>\n"
      << "<text x=\"" << num(lx + 26) << "\" y=\"" << num(ly + 11) << "\" font-size=\"11\">" << label << "</text>\n";
    ly += 18;
  }
}
}  // namespace

std::string training_curves_svg(const History& history, const std::string& title) {
  if (history.epoch.empty()) throw Error("training curves: the History holds no epochs");
  std::vector<std::string> figures;
  for (const auto& [key, values] : history.history)
    if (key.rfind("val_", 0) != 0 && key != "lr") figures.push_back(key);
  for (const auto& [key, values] : history.history)  // a validation figure without its training twin
    if (key.rfind("val_", 0) == 0 && !history.contains(key.substr(4))) figures.push_back(key);
  const double width = kPanelWidth * static_cast<double>(figures.size()), height = kPanelHeight + 36;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\"" << num(height)
    << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << num(width / 2) << "\" y=\"24\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\">"
    << escape_xml(title) << "</text>\n";
  for (size_t i = 0; i < figures.size(); ++i) {
    const std::string& f = figures[i];
    const bool is_val = f.rfind("val_", 0) == 0;
    const std::vector<double>* train = is_val ? nullptr : &history[f];
    const std::vector<double>* validation =
        is_val ? &history[f] : (history.contains("val_" + f) ? &history["val_" + f] : nullptr);
    panel(s, kPanelWidth * static_cast<double>(i), 36, is_val ? f.substr(4) : f, history.epoch, train, validation);
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace elucid::report
