// Whole-file reads and atomic writes: the target is replaced whole or not at all.
#include <elucid/core/error.hpp>
#include <elucid/core/file_io.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

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
