#pragma once
// Reading from a socket in the tests' in-process servers: poll() in short
// slices so the server's stop flag ends a wait, and a buffer for line- and
// length-framed protocols such as HTTP/1.1.

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <string>

namespace roamtest {

// Waits until FD is readable; false once STOP is set or poll fails.
inline bool waitReadable(int fd, const std::atomic<bool>& stop) {
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, 20);
    if (n > 0) return true;
    if (n < 0) return false;
  }
  return false;
}

class SocketReader {
 public:
  SocketReader(int fd, const std::atomic<bool>& stop) : fd_(fd), stop_(stop) {}

  // What has been received and not consumed yet.
  std::string& buffer() { return buffer_; }

  // Appends what arrives next; false when the peer went away or on stop.
  bool fill() {
    if (!waitReadable(fd_, stop_)) return false;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  // Consumes up to and including DELIMITER into OUT (without it).
  bool readUntil(const std::string& delimiter, std::string& out) {
    std::size_t end;
    while ((end = buffer_.find(delimiter)) == std::string::npos)
      if (!fill()) return false;
    out = buffer_.substr(0, end);
    buffer_.erase(0, end + delimiter.size());
    return true;
  }
  bool readLine(std::string& line) { return readUntil("\r\n", line); }
  // Consumes exactly N bytes, appending them to OUT.
  bool readBytes(std::size_t n, std::string& out) {
    while (buffer_.size() < n)
      if (!fill()) return false;
    out.append(buffer_, 0, n);
    buffer_.erase(0, n);
    return true;
  }

 private:
  int fd_;
  const std::atomic<bool>& stop_;
  std::string buffer_;
};

}  // namespace roamtest
