// The Keras 2.x Progbar, formatted the same way: bar of 30, ETA while running, total time and time per step at the
// end, each figure with 4 decimals (or 4-digit scientific notation below 1e-3).
#include <elucid/train/progress_bar.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace elucid {

namespace {
std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}
}  // namespace

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return isatty(STDOUT_FILENO);
  if (&out == &std::cerr) return isatty(STDERR_FILENO);
  return false;
}

ProgressBar::ProgressBar(int64_t target_steps, int verbose, std::ostream& out, bool interactive)
    : target_(target_steps), verbose_(verbose), out_(out), interactive_(interactive),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

std::string ProgressBar::bar(int64_t current, int64_t target, int width) {
  const int digits = target > 0 ? static_cast<int>(std::log10(static_cast<double>(target))) + 1 : 1;
  char head[64];
  std::snprintf(head, sizeof head, "%*lld/%lld [", digits, static_cast<long long>(current),
                static_cast<long long>(target));
  std::string s = head;
  const double progress = target > 0 ? static_cast<double>(current) / static_cast<double>(target) : 1.0;
  const int filled = static_cast<int>(width * progress);
  if (filled > 0) {
    s += std::string(static_cast<size_t>(filled - 1), '=');
    s += current < target ? '>' : '=';
  }
  s += std::string(static_cast<size_t>(std::max(0, width - filled)), '.');
  return s + "]";
}

std::string ProgressBar::figures(const Logs& logs) {
  std::string s;
  for (const auto& [key, value] : logs.items())
    s += " - " + key + ":" + printf_string(std::fabs(value) > 1e-3 ? " %.4f" : " %.4e", value);
  return s;
}

std::string ProgressBar::format_duration(double seconds) {
  const long long t = std::llround(seconds);
  char buffer[48];
  if (t >= 3600) std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", t / 3600, (t % 3600) / 60, t % 60);
  else if (t >= 60) std::snprintf(buffer, sizeof buffer, "%lld:%02lld", t / 60, t % 60);
  else std::snprintf(buffer, sizeof buffer, "%llds", t);
  return buffer;
}

std::string ProgressBar::format_per_step(double seconds) {
  if (seconds >= 1) return printf_string("%.0fs/step", seconds);
  if (seconds >= 1e-3) return printf_string("%.0fms/step", seconds * 1e3);
  return printf_string("%.0fus/step", seconds * 1e6);
}

double ProgressBar::seconds_since_start() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::line(int64_t current, const Logs& logs, bool final) const {
  const double elapsed = seconds_since_start();
  const double per_step = current > 0 ? elapsed / static_cast<double>(current) : 0.0;
  std::string s = verbose_ == 1 ? bar(current, target_) : std::to_string(target_) + "/" + std::to_string(target_);
  if (!final) s += " - ETA: " + format_duration(per_step * static_cast<double>(target_ - current));
  else if (verbose_ == 1) s += " - " + printf_string("%.0fs", elapsed) + " " + format_per_step(per_step);
  else s += " - " + printf_string("%.0fs", elapsed);
  s += figures(logs);
  if (final && verbose_ == 2)
    s += " - " + printf_string("%.0fs/epoch", elapsed) + " - " + format_per_step(per_step);
  return s;
}

void ProgressBar::update(int64_t step, const Logs& logs) {
  if (verbose_ != 1 || !interactive_ || step >= target_) return;
  // Redraw at most 20 times a second: a terminal that draws every batch slows training down.
  const auto now = std::chrono::steady_clock::now();
  if (step > 1 && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  std::string s = line(step, logs, false);
  const size_t width = s.size();
  if (width < last_width_) s += std::string(last_width_ - width, ' ');  // erase what the longer line left
  last_width_ = width;
  out_ << '\r' << s << std::flush;
}

void ProgressBar::finish(const Logs& logs) {
  if (verbose_ == 0) return;
  std::string s = line(target_, logs, true);
  if (interactive_ && verbose_ == 1) {
    if (s.size() < last_width_) s += std::string(last_width_ - s.size(), ' ');
    out_ << '\r';
  }
  out_ << s << '\n' << std::flush;
}

}  // namespace elucid
