#pragma once
// Helpers of the tree-sync tests: building entries of every kind, running a
// round from a TreeSender into a TreeApplier in odd-sized pieces, and
// comparing two trees completely.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/sync/tree_applier.hpp"
#include "agent/sync/tree_sender.hpp"
#include "temp_dir.hpp"

namespace roamtest::sync {

namespace fs = std::filesystem;

// What the tests work with, for `using namespace roamtest::sync`.
using roam::agent::sync::SenderOptions;
using roam::agent::sync::TreeApplier;
using roam::agent::sync::TreeSender;
using roamtest::TempDir;

// A sender's options with no racy window: an entry whose lstat has not
// changed is not read again, however recently it was written.
inline SenderOptions noRacyWindow() {
  SenderOptions options;
  options.racyWindow = std::chrono::milliseconds(0);
  return options;
}

inline void writeFile(const fs::path& p, const std::string& data, int flags = O_TRUNC) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | flags, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  REQUIRE(::close(fd) == 0);
}

inline void writeAt(const fs::path& p, off_t off, const std::string& data) {
  int fd = ::open(p.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, data.data(), data.size(), off) == static_cast<ssize_t>(data.size()));
  REQUIRE(::close(fd) == 0);
}

inline std::string readAll(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW);
  if (fd < 0) return "<unreadable>";
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

inline std::string bytesText(const std::vector<std::uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

// One entry as the comparison sees it.
struct Desc {
  std::string text;   // everything but the link group
  std::string group;  // hard links: the first path of the inode within the tree
};

inline std::map<std::string, std::string> xattrsOf(const fs::path& p) {
  std::map<std::string, std::string> out;
  char names[65536];
  ssize_t n = llistxattr(p.c_str(), names, sizeof names);
  for (ssize_t i = 0; i < n;) {
    std::string name(names + i);
    char value[65536];
    ssize_t v = lgetxattr(p.c_str(), name.c_str(), value, sizeof value);
    out[name] = v >= 0 ? std::string(value, static_cast<std::size_t>(v)) : "<error>";
    i += static_cast<ssize_t>(name.size()) + 1;
  }
  return out;
}

// Every entry of ROOT (sockets left out: they do not travel), with "" for the root itself.
inline std::map<std::string, Desc> describe(const fs::path& root) {
  std::map<std::string, Desc> out;
  std::map<std::pair<dev_t, ino_t>, std::string> firstPath;
  std::vector<std::string> paths{""};
  // By hand, with lstat only: the iterators stat symlinks, and a symlink loop throws.
  for (std::size_t i = 0; i < paths.size(); ++i) {
    fs::path dir = paths[i].empty() ? root : root / paths[i];
    if (!fs::is_directory(fs::symlink_status(dir))) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      paths.push_back(paths[i].empty() ? e.path().filename().string()
                                       : paths[i] + "/" + e.path().filename().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& rel : paths) {
    fs::path p = rel.empty() ? root : root / rel;
    struct stat st {};
    REQUIRE(lstat(p.c_str(), &st) == 0);
    if (S_ISSOCK(st.st_mode)) continue;
    std::ostringstream d;
    d << "mode=" << std::oct << st.st_mode << std::dec << " uid=" << st.st_uid
      << " gid=" << st.st_gid;
    if (S_ISREG(st.st_mode)) {
      d << " size=" << st.st_size << " content=" << std::hash<std::string>{}(readAll(p));
    }
    if (S_ISLNK(st.st_mode)) d << " target=" << fs::read_symlink(p).string();
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      d << " rdev=" << major(st.st_rdev) << ":" << minor(st.st_rdev);
    }
    d << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    for (const auto& [name, value] : xattrsOf(p)) d << " xattr " << name << "=" << value;
    Desc desc{d.str(), {}};
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      desc.group = firstPath.emplace(std::pair{st.st_dev, st.st_ino}, rel).first->second;
    }
    out[rel] = desc;
  }
  return out;
}

// The differences between two trees, one line each ("" when they are the same).
inline std::string treeDiff(const fs::path& a, const fs::path& b) {
  auto da = describe(a), db = describe(b);
  std::ostringstream out;
  for (const auto& [path, desc] : da) {
    auto it = db.find(path);
    if (it == db.end()) {
      out << "only in source: /" << path << "\n";
    } else if (it->second.text != desc.text) {
      out << "/" << path << ": source " << desc.text << " | copy " << it->second.text << "\n";
    } else if (it->second.group != desc.group) {
      out << "/" << path << ": hard link group " << desc.group << " | copy " << it->second.group
          << "\n";
    }
  }
  for (const auto& [path, desc] : db) {
    if (da.count(path) == 0) out << "only in copy: /" << path << "\n";
  }
  return out.str();
}

struct RoundResult {
  roam::agent::sync::RoundPlan plan;
  roam::agent::sync::RoundStats sent;
  roam::agent::sync::ApplyStats applied;
};

// One round from SENDER to APPLIER, read and fed in pieces of the sizes in PIECES, in turn.
inline RoundResult runRound(TreeSender& sender, TreeApplier& applier,
                            std::vector<std::size_t> pieces = {1, 7, 4096}) {
  RoundResult result;
  auto plan = sender.planRound();
  INFO(roam::errorText(plan));
  REQUIRE(plan.ok());
  result.plan = *plan;
  std::vector<std::uint8_t> buf(*std::max_element(pieces.begin(), pieces.end()));
  for (std::size_t i = 0;; ++i) {
    std::size_t want = pieces[i % pieces.size()];
    auto n = sender.read(std::span(buf.data(), want));
    INFO(roam::errorText(n));
    REQUIRE(n.ok());
    if (*n == 0) break;
    auto s = applier.consume(std::span<const std::uint8_t>(buf.data(), *n));
    INFO(roam::errorText(s));
    REQUIRE(s.ok());
  }
  auto fin = applier.finishRound();
  INFO(roam::errorText(fin));
  REQUIRE(fin.ok());
  result.sent = sender.stats();
  result.applied = applier.stats();
  CHECK(result.sent.entries == result.applied.entries);
  CHECK(result.sent.removals == result.applied.removals);
  CHECK(result.sent.contentBytes == result.applied.contentBytes);
  return result;
}

// The whole stream of the next round, for tests that tamper with it.
inline std::vector<std::uint8_t> roundBytes(TreeSender& sender) {
  REQUIRE(sender.planRound().ok());
  std::vector<std::uint8_t> out, buf(65536);
  for (;;) {
    auto n = sender.read(buf);
    REQUIRE(n.ok());
    if (*n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  return out;
}

}  // namespace roamtest::sync
