#include "core/file_read.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ghscale {
namespace {

namespace fs = std::filesystem;

class ReadRegularFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-fileread-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string message(const Result<std::string>& r) { return r.ok() ? "(ok)" : r.error().message; }

  fs::path dir_;
};

TEST_F(ReadRegularFile, ReadsAWholeFileUpToTheBound) {
  std::ofstream(path("f")) << "abc\n";
  auto r = read_regular_file(path("f"), 4);
  ASSERT_TRUE(r.ok()) << message(r);
  EXPECT_EQ(*r, "abc\n");
  auto over = read_regular_file(path("f"), 3);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(over.error().message, "larger than 3 bytes");
  std::ofstream(path("empty"));
  auto empty = read_regular_file(path("empty"), 3);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(ReadRegularFile, RefusesWhatIsNotARegularFileWithTheReason) {
  EXPECT_EQ(message(read_regular_file(path("missing"), 10)), "No such file or directory");
  EXPECT_EQ(message(read_regular_file(dir_.string(), 10)), "Is a directory");
  // A FIFO with no writer would block an ordinary open; a device never ends.
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_EQ(message(read_regular_file(path("fifo"), 10)), "not a regular file");
  EXPECT_EQ(message(read_regular_file("/dev/zero", 10)), "not a regular file");
  fs::create_symlink(path("loop2"), path("loop1"));
  fs::create_symlink(path("loop1"), path("loop2"));
  EXPECT_EQ(message(read_regular_file(path("loop1"), 10)), "Too many levels of symbolic links");
  EXPECT_EQ(message(read_regular_file("", 10)), "an empty file name");
}

// The same refusals without reading a byte, for checks that must not touch the contents.
TEST_F(ReadRegularFile, TheCheckRefusesWhatTheReadWouldWithoutReading) {
  std::ofstream(path("f")) << "abc\n";
  EXPECT_TRUE(check_regular_file(path("f"), 4).ok());
  auto over = check_regular_file(path("f"), 3);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, "larger than 3 bytes");
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  auto fifo = check_regular_file(path("fifo"), 10);
  ASSERT_FALSE(fifo.ok());
  EXPECT_EQ(fifo.error().message, "not a regular file");
  auto missing = check_regular_file(path("missing"), 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "No such file or directory");
}

TEST_F(ReadRegularFile, AFileThatGrowsPastTheBoundWhileReadIsRefused) {
  // /proc files report size 0 and are read to their end: still bounded.
  auto small = read_regular_file("/proc/self/status", 1 << 20);
  ASSERT_TRUE(small.ok()) << message(small);
  EXPECT_NE(small->find("Name:"), std::string::npos);
  EXPECT_EQ(message(read_regular_file("/proc/self/status", 8)), "larger than 8 bytes");
}

}  // namespace
}  // namespace ghscale
