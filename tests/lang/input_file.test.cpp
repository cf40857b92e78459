// readInputFile: the one reader of policies, states, configurations and
// topology files refuses what is not a regular file, and what is too big,
// without blocking; sameFile compares by identity, not by spelling.

#include "lang/input_file.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

using roam::lang::readInputFile;
using roam::lang::sameFile;
using roamtest::TempDir;

namespace {

std::string write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

}  // namespace

TEST_CASE("readInputFile reads a regular file whole", "[lang]") {
  TempDir tmp;
  std::string text = "policy p {}\n";
  text += std::string(200000, '#');  // more than one read() buffer
  auto read = readInputFile(write(tmp.path / "a.policy", text));
  REQUIRE(read.text);
  CHECK(*read.text == text);
  CHECK(read.error.empty());
  auto empty = readInputFile(write(tmp.path / "empty.policy", ""));
  REQUIRE(empty.text);
  CHECK(empty.text->empty());
}

TEST_CASE("readInputFile refuses directories, FIFOs, devices and sockets at once", "[lang]") {
  TempDir tmp;
  CHECK(readInputFile(tmp.path.string()).error == "is a directory, not a file");

  const auto fifo = (tmp.path / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // No writer: a blocking open would wait forever.
  const auto start = std::chrono::steady_clock::now();
  CHECK(readInputFile(fifo).error == "is a named pipe (FIFO), not a regular file");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));

  CHECK(readInputFile("/dev/zero").error == "is a character device, not a regular file");
  CHECK(readInputFile("/dev/null").error == "is a character device, not a regular file");

  const auto sock = (tmp.path / "sock").string();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  CHECK(readInputFile(sock).error == "is a socket, not a regular file");
  ::close(fd);

  CHECK(readInputFile((tmp.path / "missing").string()).error == "No such file or directory");
  CHECK_FALSE(readInputFile((tmp.path / "missing").string()).text);
}

TEST_CASE("readInputFile refuses a file above the size limit and says the limit", "[lang]") {
  TempDir tmp;
  auto path = write(tmp.path / "big.json", std::string(2048, 'x'));
  CHECK(readInputFile(path, 2048).text);
  auto refused = readInputFile(path, 2047);
  CHECK_FALSE(refused.text);
  CHECK(refused.error == "is 2048 bytes; an input file may have at most 2047 bytes");
  // The default limit, in the unit people read.
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(roam::lang::kMaxInputFileBytes) + 1) == 0);
  CHECK(readInputFile(path).error == "is 16777217 bytes; an input file may have at most 16 MiB");
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(roam::lang::kMaxInputFileBytes)) == 0);
  CHECK(readInputFile(path).text);
}

TEST_CASE("sameFile compares files by identity", "[lang]") {
  TempDir tmp;
  auto a = write(tmp.path / "a", "a");
  auto b = write(tmp.path / "b", "a");
  std::filesystem::create_directory(tmp.path / "d");
  std::filesystem::create_hard_link(a, tmp.path / "hard");
  std::filesystem::create_symlink(a, tmp.path / "soft");
  CHECK(sameFile(a, a));
  CHECK(sameFile(a, (tmp.path / "d" / ".." / "a").string()));
  CHECK(sameFile(a, (tmp.path / "hard").string()));
  CHECK(sameFile((tmp.path / "soft").string(), a));
  CHECK_FALSE(sameFile(a, b));  // same content, different files
  CHECK_FALSE(sameFile(a, (tmp.path / "missing").string()));
  CHECK_FALSE(sameFile((tmp.path / "missing").string(), (tmp.path / "missing").string()));
}
