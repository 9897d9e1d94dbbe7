// Whole-file reads and atomic writes: the target is replaced whole or not at all.
#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace elucid;
namespace fs = std::filesystem;

TEST_CASE("write_file_atomically replaces the file and leaves no temporary behind", "[file_io]") {
  const fs::path dir = fs::path(ELUCID_BINARY_DIR) / "test_file_io";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "a.bin").string();
  write_file_atomically(path, "first");
  CHECK(read_file(path) == "first");
  write_file_atomically(path, std::string("sec\0nd", 6));
  CHECK(read_file(path) == std::string("sec\0nd", 6));
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  check_writable(path);

  CHECK_THROWS_WITH(write_file_atomically(dir.string(), "x"), Catch::EndsWith("test_file_io: is a directory, not a file"));
  CHECK_THROWS_WITH(read_file((dir / "nope").string()), Catch::EndsWith("nope: cannot open: No such file or directory"));
  CHECK_THROWS_WITH(read_file(dir.string()), Catch::EndsWith("test_file_io: is not a regular file (it is a directory)"));
  CHECK_THROWS_WITH(read_file(path, 3), Catch::EndsWith("a.bin: is 6 bytes, more than the 3 expected at most"));
  // Missing folders are made when the file is written, as Keras' ModelCheckpoint makes them; checking makes none.
  const std::string deep = (dir / "missing" / "deeper" / "b").string();
  check_writable(deep);
  CHECK_FALSE(fs::exists(dir / "missing"));
  write_file_atomically(deep, "x");
  CHECK(read_file(deep) == "x");
  // A file where a folder should be: found by the check, and by the write.
  CHECK_THROWS_WITH(check_writable(path + "/under/c"), Catch::EndsWith("a.bin/under/c: " + path + " is not a folder"));
  CHECK_THROWS_WITH(write_file_atomically(path + "/under/c", "x"), Catch::Contains("a.bin/under/c: cannot make the folder"));
  fs::remove_all(dir);
}

// A PID that was a process and is no longer one: a child that exited and was reaped.
static pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(::kill(child, 0) != 0);
  return child;
}

TEST_CASE("writing into a folder removes the temporary files of dead writers and only those", "[file_io]") {
  const fs::path dir = fs::path(ELUCID_BINARY_DIR) / "test_file_io_stale";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string dead = std::to_string(dead_pid()), self = std::to_string(::getpid());
  auto touch = [&](const std::string& name) { std::ofstream(dir / name) << "partial"; };
  touch("checkpoint-e0001-b000003.elucid.tmp-" + dead);  // a kill -9 while writing: removed
  touch("model.elucid.tmp-" + dead);                     // any target's: removed
  touch("checkpoint-e0001-b000004.elucid.tmp-" + self);  // a live writer's (this process): kept
  touch("other.elucid.tmp-1");                           // PID 1 is alive: kept
  touch("notes.tmp-" + dead + "x");                      // not elucid's naming: kept
  touch("notes.tmp-0" + dead);
  touch(".tmp-" + dead);
  fs::create_directories(dir / ("folder.tmp-" + dead));  // not a regular file: kept

  write_file_atomically((dir / "m.elucid").string(), "model");
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.insert(entry.path().filename().string());
  CHECK(left == std::set<std::string>{"m.elucid", "checkpoint-e0001-b000004.elucid.tmp-" + self, "other.elucid.tmp-1",
                                      "notes.tmp-" + dead + "x", "notes.tmp-0" + dead, ".tmp-" + dead,
                                      "folder.tmp-" + dead});
  fs::remove_all(dir);
}
