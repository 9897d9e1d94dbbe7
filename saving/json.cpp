// JSON plumbing: nlohmann's parser with our own line/column, typed reads with paths, Python-style text.
#include <elucid/saving/json.hpp>

#include <elucid/core/error.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace elucid::json {

namespace {
constexpr int kMaxDepth = 64;

// nlohmann reports the byte offset (1-based) of the last character it read; people want a line and a column.
std::string line_and_column(const std::string& text, size_t byte) {
  const size_t pos = std::min(byte > 0 ? byte - 1 : 0, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(pos - line_start + 1);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
std::string reason(const std::string& what) {
  const size_t syntax = what.find("syntax error");
  if (syntax != std::string::npos) return what.substr(syntax);
  const size_t colon = what.rfind(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

// Python's float repr: the shortest digits that read back as the same double, in fixed notation when the decimal
// exponent is in [-4, 16), else as d.ddde+XX; a whole number in fixed notation keeps ".0".
std::string python_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  (void)ec;  // 64 characters hold any double in scientific form
  std::string s(buffer, end);  // "-1.2345e-05"
  std::string sign;
  if (s[0] == '-') sign = "-", s.erase(0, 1);
  const size_t e_pos = s.find('e');
  const int exponent = std::stoi(s.substr(e_pos + 1));
  std::string digits = s.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  if (exponent >= -4 && exponent < 16) {
    std::string out;
    if (exponent >= 0) {
      const size_t whole = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= whole) return sign + digits + std::string(whole - digits.size(), '0') + ".0";
      return sign + digits.substr(0, whole) + "." + digits.substr(whole);
    }
    return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  const int magnitude = std::abs(exponent);
  return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + std::to_string(magnitude);
}

void dump_to(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        out += Json(key).dump(-1, ' ', /*ensure_ascii=*/true);
        out += ": ";
        dump_to(item, out);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        dump_to(v[i], out);
      }
      out += ']';
      return;
    }
    case Json::value_t::number_float:
      out += python_float(v.get<double>());
      return;
    default:
      out += v.dump(-1, ' ', /*ensure_ascii=*/true);
      return;
  }
}
}  // namespace

Json parse(const std::string& text, const std::string& source) {
  // The callback sees each value as it starts; refusing deep nesting keeps recursion bounded everywhere after.
  auto limit_depth = [&](int depth, nlohmann::detail::parse_event_t, Json&) {
    if (depth > kMaxDepth) throw Error(source + ": JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    return true;
  };
  try {
    return Json::parse(text, limit_depth);
  } catch (const Json::parse_error& e) {
    throw Error(source + ": " + line_and_column(text, e.byte) + ": " + reason(e.what()));
  } catch (const Json::exception& e) {
    throw Error(source + ": " + reason(e.what()));
  }
}

std::string dump_python(const Json& value) {
  std::string out;
  dump_to(value, out);
  return out;
}

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "true or false";
    case Json::value_t::string: return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "a binary value";
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string nearest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = std::max<size_t>(1, key.size() / 3) + 1;
  for (const auto& k : known) {
    const size_t d = edit_distance(key, k);
    if (d < best_distance) best = k, best_distance = d;
  }
  return best;
}

// ---- Value ----

std::string Value::where() const { return path_.empty() ? source_ : source_ + ": " + path_; }

void Value::fail(const std::string& problem) const { throw Error(where() + ": " + problem); }

void Value::fail(const Error& caught) const {
  const std::string what = caught.what();
  if (what.rfind(source_ + ": ", 0) == 0) throw caught;
  fail(what);
}

std::string Value::child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

std::string Value::as_string() const {
  if (!json_->is_string()) fail("expected a string, got " + type_name(*json_));
  return json_->get<std::string>();
}

bool Value::as_bool() const {
  if (!json_->is_boolean()) fail("expected true or false, got " + type_name(*json_));
  return json_->get<bool>();
}

double Value::as_number() const {
  if (!json_->is_number()) fail("expected a number, got " + type_name(*json_));
  const double v = json_->get<double>();
  if (!std::isfinite(v)) fail("expected a finite number");
  return v;
}

int64_t Value::as_int(int64_t min, int64_t max) const {
  if (json_->is_number_unsigned() && json_->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + json_->dump());
  if (!json_->is_number_integer()) {
    if (json_->is_number_float())
      fail("expected an integer, got the number " + json_->dump());
    fail("expected an integer, got " + type_name(*json_));
  }
  const int64_t v = json_->get<int64_t>();
  if (v < min || v > max)
    fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + std::to_string(v));
  return v;
}

std::vector<Value> Value::as_array() const {
  if (!json_->is_array()) fail("expected an array, got " + type_name(*json_));
  std::vector<Value> items;
  for (size_t i = 0; i < json_->size(); ++i)
    items.emplace_back((*json_)[i], source_, path_ + "[" + std::to_string(i) + "]");
  return items;
}

void Value::require_object() const {
  if (!json_->is_object()) fail("expected an object, got " + type_name(*json_));
}

bool Value::has(const std::string& key) const {
  if (!json_->is_object()) return false;
  auto it = json_->find(key);
  return it != json_->end() && !it->is_null();
}

Value Value::at(const std::string& key) const {
  require_object();
  auto it = json_->find(key);
  if (it == json_->end()) fail("missing key '" + key + "'");
  return Value(*it, source_, child_path(key));
}

void Value::check_keys(const std::vector<std::string>& known) const {
  require_object();
  for (const auto& [key, item] : json_->items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string guess = nearest(key, known);
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "'" : ", '") + k + "'";
    throw Error(source_ + ": " + child_path(key) + ": unknown key; " +
                (guess.empty() ? "known keys: " + list : "did you mean '" + guess + "'?"));
  }
}

std::string Value::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? at(key).as_string() : fallback;
}

bool Value::get_bool(const std::string& key, bool fallback) const { return has(key) ? at(key).as_bool() : fallback; }

double Value::get_number(const std::string& key, double fallback) const {
  return has(key) ? at(key).as_number() : fallback;
}

int64_t Value::get_int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
  return has(key) ? at(key).as_int(min, max) : fallback;
}

}  // namespace elucid::json
