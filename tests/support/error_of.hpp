// One check the file-format tests share: the message of the elucid::Error a call throws (a test failure when none).
#pragma once
#include <elucid/core/error.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace elucid::test {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace elucid::test
