// Every op in kOpNames has a gradient check (registered by GRAD_TEST in tests/core/ops/*.cpp), and every checked
// op is in kOpNames.
#include "support/grad_check.hpp"

#include <elucid/core/op_names.hpp>

#include <string>

TEST_CASE("every op in kOpNames has a gradient check", "[ops][registry]") {
  const auto& checked = grad_check::registry();
  for (std::string_view name : elucid::ops::kOpNames) {
    INFO("op " << name << " is in core/op_names.hpp but no GRAD_TEST checks it");
    CHECK(checked.count(std::string(name)) == 1);
  }
  for (const std::string& name : checked) {
    INFO("GRAD_TEST checks op " << name << ", which core/op_names.hpp does not list");
    bool listed = false;
    for (std::string_view n : elucid::ops::kOpNames) listed = listed || n == name;
    CHECK(listed);
  }
}

TEST_CASE("kOpNames has no duplicates", "[ops][registry]") {
  std::set<std::string_view> names(elucid::ops::kOpNames.begin(), elucid::ops::kOpNames.end());
  CHECK(names.size() == elucid::ops::kOpNames.size());
}
