// The Catch2 main, compiled once and linked into the test executable. The tests run their parallel regions on the
// threads they set: a team that shrank on a busy test machine would turn a 2-thread test into a 1-thread one
// unnoticed (tests/core/parallel.cpp turns following the free cores on where it tests it).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <elucid/core/parallel.hpp>

int main(int argc, char** argv) {
  elucid::set_follow_free_cores(false);
  return Catch::Session().run(argc, argv);
}
