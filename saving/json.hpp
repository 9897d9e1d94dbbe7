// JSON plumbing for model/ (internal: it includes nlohmann/json, so it is not installed and no public header may
// include it). Parsing with line and column in errors, typed reads whose errors name the file and the JSON path,
// the nearest known key for a typo, and text written the way Python's json.dumps (and so tf.keras) writes it.
#pragma once
#include <elucid/core/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace elucid::json {

// Objects keep their keys in the order they were written: Keras JSON round-trips key for key.
using Json = nlohmann::ordered_json;

// Parses `text`. A syntax error is an elucid::Error "SOURCE: line L, column C: <what went wrong>"; nesting deeper
// than 64 levels is refused the same way.
Json parse(const std::string& text, const std::string& source);

// As Python's json.dumps(value): ", " and ": " separators, floats as Python's repr (0.001, 1e-07, 1.0),
// non-ASCII escaped. This is byte for byte how tf.keras' model.to_json() writes a model.
std::string dump_python(const Json& value);

// "a string", "an integer", "a number", "true or false", "null", "an array", "an object": for messages.
std::string type_name(const Json& value);

// The edit distance between two strings, and the nearest of `known` to `key` when it is close enough to be a typo
// (at most a third of the key's length, at least 1); "" otherwise.
size_t edit_distance(const std::string& a, const std::string& b);
std::string nearest(const std::string& key, const std::vector<std::string>& known);

// A JSON value being read, with where it came from for messages: "recipe.json: fit.epochs: expected an integer,
// got a string". Paths are written as JavaScript would reach them: fit.epochs, callbacks[1].config.patience.
class Value {
 public:
  Value(const Json& json, std::string source, std::string path) : json_(&json), source_(std::move(source)), path_(std::move(path)) {}

  const Json& json() const { return *json_; }
  const std::string& source() const { return source_; }
  const std::string& path() const { return path_; }
  // "SOURCE: PATH" (or just SOURCE at the top), the prefix of every message about this value.
  std::string where() const;
  [[noreturn]] void fail(const std::string& problem) const;
  // For an error caught while this value was read: one that names this value's source already (a Value's own
  // fail() deeper down) goes on as it is; another (a constructor's, which knows no path) gets this value's place.
  [[noreturn]] void fail(const Error& caught) const;

  bool is_null() const { return json_->is_null(); }
  bool is_object() const { return json_->is_object(); }
  bool is_string() const { return json_->is_string(); }
  bool is_array() const { return json_->is_array(); }

  // Typed reads; a value of another type is an error naming the path, the type expected and the type found.
  std::string as_string() const;
  bool as_bool() const;
  double as_number() const;                          // an integer or a float, finite
  int64_t as_int(int64_t min, int64_t max) const;    // an integer in [min, max]
  std::vector<Value> as_array() const;
  void require_object() const;

  // Object members. has(): present and not null (Keras writes null for "not set").
  bool has(const std::string& key) const;
  Value at(const std::string& key) const;  // an error naming the path when the key is missing
  // Every key must be in `known`, else "PATH.key: unknown key; did you mean 'x'?" (or the list of known keys).
  void check_keys(const std::vector<std::string>& known) const;

  // Optional members with defaults: missing or null gives the default.
  std::string get_string(const std::string& key, const std::string& fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  double get_number(const std::string& key, double fallback) const;
  int64_t get_int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;

 private:
  std::string child_path(const std::string& key) const;
  const Json* json_;
  std::string source_;
  std::string path_;
};

}  // namespace elucid::json
