#include "runtime/manager/file_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace roam::runtime {

namespace {

// Everything by which a file in a watched directory can get new content:
// written in place (MODIFY, CLOSE_WRITE; truncate(2) gives MODIFY only),
// renamed over (MOVED_TO), created anew (CREATE), moved away or deleted (so a
// reload reports the file as gone), or made (un)readable (ATTRIB).
constexpr std::uint32_t kEvents =
    IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, rounded up so poll() does not wake early.
int msUntil(Clock::time_point deadline) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, 1'000'000'000));
}

// Waits until `fd` is readable or `deadline`; true when readable.
bool waitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, msUntil(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
    // EINTR: a signal (SIGHUP for a reload, say); wait for the rest of the time.
  }
}

void addOnce(std::vector<std::filesystem::path>& out, const std::filesystem::path& p) {
  if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
}

}  // namespace

FileWatcher::FileWatcher(const std::vector<std::filesystem::path>& files) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    started_ = roam::makeError(roam::ErrorCode::Io,
                               std::string("cannot start inotify: ") + std::strerror(errno));
    return;
  }
  started_ = watch(files);
}

FileWatcher::~FileWatcher() {
  // Closing the descriptor removes every watch on it.
  if (fd_ >= 0) ::close(fd_);
}

roam::Status FileWatcher::watch(const std::vector<std::filesystem::path>& files) {
  if (fd_ < 0) return roam::makeError(roam::ErrorCode::Io, "inotify is not available");
  for (const auto& w : watches_) ::inotify_rm_watch(fd_, w.wd);
  watches_.clear();

  std::string errors;
  for (const auto& file : files) {
    auto directory = file.parent_path();
    auto name = file.filename().string();
    if (name.empty()) continue;
    auto same = std::find_if(watches_.begin(), watches_.end(),
                             [&](const Watch& w) { return w.directory == directory; });
    if (same != watches_.end()) {
      if (std::find(same->names.begin(), same->names.end(), name) == same->names.end())
        same->names.push_back(name);
      continue;
    }
    auto target = directory.empty() ? std::filesystem::path(".") : directory;
    int wd = ::inotify_add_watch(fd_, target.c_str(), kEvents | IN_ONLYDIR);
    if (wd < 0) {
      if (!errors.empty()) errors += "; ";
      errors += "cannot watch " + target.string() + " (for " + file.string() +
                "): " + std::strerror(errno);
      continue;
    }
    // Two spellings of one directory share a descriptor; both entries match it.
    watches_.push_back(Watch{wd, directory, {name}});
  }
  return roam::statusOf(roam::ErrorCode::Io, errors);
}

std::vector<std::filesystem::path> FileWatcher::waitForChanges(std::chrono::milliseconds timeout,
                                                               std::chrono::milliseconds settle) {
  std::vector<std::filesystem::path> changed;
  if (fd_ < 0) {
    // Nothing can ever change; behave like a timeout so callers' loops do not spin.
    std::this_thread::sleep_for(timeout);
    return changed;
  }

  // Reads every queued event; true when at least one concerned a watched file.
  auto drain = [&]() {
    bool relevant = false;
    alignas(inotify_event) char buffer[16 * 1024];
    for (;;) {
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: the queue is empty
      for (ssize_t at = 0; at < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buffer + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {
          // Events were lost: any watched file may have changed.
          for (const auto& w : watches_)
            for (const auto& name : w.names) addOnce(changed, w.directory / name);
          relevant = true;
          continue;
        }
        if (ev->len == 0) continue;  // about the directory itself
        std::string name(ev->name);
        for (const auto& w : watches_) {
          if (w.wd != ev->wd) continue;
          if (std::find(w.names.begin(), w.names.end(), name) == w.names.end()) continue;
          addOnce(changed, w.directory / name);
          relevant = true;
        }
      }
    }
    return relevant;
  };

  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!waitReadable(fd_, deadline)) return changed;  // timed out: empty
    if (drain()) break;
  }

  // A save is often several events (truncate, write, close; or create, write,
  // rename): wait until the directory has been quiet for `settle`, so the
  // caller reads the finished file once. A writer that never stops is cut off
  // after twenty settle periods.
  auto now = Clock::now();
  auto quietUntil = now + settle;
  auto hardStop = now + settle * 20;
  for (;;) {
    auto until = std::min(quietUntil, hardStop);
    if (!waitReadable(fd_, until)) break;
    if (drain()) quietUntil = Clock::now() + settle;
    if (Clock::now() >= hardStop) break;
  }
  return changed;
}

}  // namespace roam::runtime
