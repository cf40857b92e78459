// TreeSender → TreeApplier on real temporary directories: every kind of entry
// survives, later rounds send only what changed, racy timestamps, a file
// changing while it is read.

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "seeded_bytes.hpp"
#include "temp_dir.hpp"
#include "tree_sync_util.hpp"

using namespace roamtest::sync;

namespace {

// security.capability granting CAP_NET_BIND_SERVICE (vfs_cap_data, revision 2).
std::string netBindCapability() {
  const std::uint32_t words[5] = {0x02000001, 1u << 10, 0, 0, 0};
  return std::string(reinterpret_cast<const char*>(words), sizeof words);
}

void setXattr(const fs::path& p, const std::string& name, const std::string& value) {
  INFO(p << " " << name);
  REQUIRE(lsetxattr(p.c_str(), name.c_str(), value.data(), value.size(), 0) == 0);
}

void makeSocket(const fs::path& p) {
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(p.string().size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, p.c_str());
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(s);
}

// A tree with an entry of every kind the sync handles.
void buildEverything(const fs::path& src) {
  writeFile(src / "a.txt", "hello, tree sync\n");
  setXattr(src / "a.txt", "user.note", "first");
  writeFile(src / "empty", "");
  writeFile(src / "big.bin", bytesText(roamtest::seededBytes(4 << 20, 1)));
  writeFile(src / "sparse.img", "");
  REQUIRE(::truncate((src / "sparse.img").c_str(), 16 << 20) == 0);
  writeAt(src / "sparse.img", 8 << 20, std::string(4096, 'x'));
  fs::create_directories(src / "d/e/f");
  writeFile(src / "d/e/deep.txt", "deep");
  fs::create_directory(src / "emptydir");
  fs::create_directory(src / "opaque");
  setXattr(src / "opaque", "trusted.overlay.opaque", "y");
  fs::create_symlink("a.txt", src / "link");
  fs::create_symlink("/nonexistent/dangling", src / "dangling");
  writeFile(src / "h1", "linked content");
  fs::create_hard_link(src / "h1", src / "d/h2");
  REQUIRE(::mknod((src / "whiteout").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
  REQUIRE(::mknod((src / "blockdev").c_str(), S_IFBLK | 0640, makedev(7, 3)) == 0);
  REQUIRE(::mkfifo((src / "fifo").c_str(), 0620) == 0);
  writeFile(src / "suid", "#!/bin/true\n");
  REQUIRE(::chown((src / "suid").c_str(), 0, 0) == 0);
  REQUIRE(::chmod((src / "suid").c_str(), 04755) == 0);
  fs::create_directory(src / "tmp");
  REQUIRE(::chmod((src / "tmp").c_str(), 01777) == 0);
  fs::create_directory(src / "shared");
  REQUIRE(::chown((src / "shared").c_str(), 1000, 1000) == 0);
  REQUIRE(::chmod((src / "shared").c_str(), 02775) == 0);
  writeFile(src / "owned", "mine");
  REQUIRE(::lchown((src / "owned").c_str(), 1234, 5678) == 0);
  REQUIRE(::lchown((src / "link").c_str(), 4321, 8765) == 0);
  writeFile(src / "cap", "binary");
  setXattr(src / "cap", "security.capability", netBindCapability());
  makeSocket(src / "socket");
}

}  // namespace

TEST_CASE("Tree sync: every kind of entry survives rounds of changes", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  buildEverything(src.path);
  TreeSender sender({src.path});
  TreeApplier applier({dst.path});

  auto r1 = runRound(sender, applier);
  CHECK(r1.plan.entries > 20);
  CHECK(r1.plan.removals == 0);
  CHECK(treeDiff(src.path, dst.path) == "");
  CHECK_FALSE(fs::exists(fs::symlink_status(dst.path / "socket")));  // sockets do not travel
  // The hard-linked file's content travelled once.
  CHECK(r1.sent.contentBytes <= (4u << 20) + 65536 + 200);  // + the sparse file's one block

  // Round 2: edits of every kind.
  writeFile(src.path / "big.bin", "appended tail", O_APPEND);
  writeAt(src.path / "a.txt", 3, "XY");
  REQUIRE(::truncate((src.path / "d/e/deep.txt").c_str(), 2) == 0);
  fs::remove(src.path / "link");
  fs::remove_all(src.path / "d/e");
  fs::rename(src.path / "a.txt", src.path / "renamed.txt");
  REQUIRE(::chmod((src.path / "owned").c_str(), 0600) == 0);
  REQUIRE(::chown((src.path / "owned").c_str(), 99, 98) == 0);
  setXattr(src.path / "renamed.txt", "user.other", "second");
  REQUIRE(::removexattr((src.path / "renamed.txt").c_str(), "user.note") == 0);
  REQUIRE(::removexattr((src.path / "opaque").c_str(), "trusted.overlay.opaque") == 0);
  fs::remove(src.path / "empty");
  fs::create_directories(src.path / "empty/now/a/dir");
  fs::create_hard_link(src.path / "h1", src.path / "h3");
  fs::create_symlink("renamed.txt", src.path / "link");
  auto r2 = runRound(sender, applier, {7, 1, 4096});
  CHECK(r2.plan.removals >= 2);
  CHECK(treeDiff(src.path, dst.path) == "");
  CHECK(r2.sent.contentBytes < (4u << 20));  // not the big file again

  // Round 3: and back: the directory becomes a file, the group's first path
  // goes.
  fs::remove_all(src.path / "empty");
  writeFile(src.path / "empty", "a file again");
  fs::remove(src.path / "d/h2");
  writeFile(src.path / "h1", "linked content, rewritten in place");
  REQUIRE(::truncate((src.path / "sparse.img").c_str(), 20 << 20) == 0);
  writeAt(src.path / "sparse.img", 19 << 20, "end");
  fs::remove(src.path / "link");
  fs::create_symlink("../elsewhere", src.path / "link");
  REQUIRE(::removexattr((src.path / "cap").c_str(), "security.capability") == 0);
  setXattr(src.path / "opaque", "trusted.overlay.opaque", "y");
  runRound(sender, applier, {4096, 1, 7});
  CHECK(treeDiff(src.path, dst.path) == "");
  struct stat a {
  }, b{};
  REQUIRE(::stat((dst.path / "h1").c_str(), &a) == 0);
  REQUIRE(::stat((dst.path / "h3").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);

  // Round 4: a file replaced by a directory and a hard link torn apart.
  fs::remove(src.path / "h3");
  writeFile(src.path / "h3", "its own inode now");
  fs::remove(src.path / "renamed.txt");
  fs::create_directory(src.path / "renamed.txt");
  runRound(sender, applier, {65536 + 3});
  CHECK(treeDiff(src.path, dst.path) == "");
}

TEST_CASE("Tree sync: a mount point inside a root travels as an empty directory", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  fs::create_directory(src.path / "mnt");
  writeFile(src.path / "before", "x");
  REQUIRE(::mount("roam-sync-test", (src.path / "mnt").c_str(), "tmpfs", 0, "size=1m") == 0);
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{src.path / "mnt"};
  writeFile(src.path / "mnt/other-fs", "not ours");
  TreeSender sender({src.path});
  TreeApplier applier({dst.path});
  runRound(sender, applier);
  CHECK(fs::is_directory(dst.path / "mnt"));
  CHECK(fs::is_empty(dst.path / "mnt"));
  CHECK(readAll(dst.path / "before") == "x");
}

TEST_CASE("Tree sync: several roots travel in one stream", "[agent]") {
  TempDir src1("roam-sync-src"), src2("roam-sync-src"), dst1("roam-sync-dst"),
      dst2("roam-sync-dst");
  writeFile(src1.path / "layer-file", "upper");
  fs::create_directory(src2.path / "vol");
  writeFile(src2.path / "vol/data", "volume");
  fs::create_directories(src2.path / "vol/tree/x/y");
  writeFile(src2.path / "vol/tree/x/y/z", "deep");
  writeFile(src2.path / "vol/tree-b", "sorts between vol/tree and vol/tree/x");
  TreeSender sender({src1.path, src2.path});
  TreeApplier applier({dst1.path, dst2.path});
  runRound(sender, applier);
  CHECK(treeDiff(src1.path, dst1.path) == "");
  CHECK(treeDiff(src2.path, dst2.path) == "");
  fs::remove(src2.path / "vol/data");
  fs::remove_all(src2.path / "vol/tree");
  fs::remove(src2.path / "vol/tree-b");
  auto r2 = runRound(sender, applier);
  CHECK(r2.plan.removals == 3);  // a directory tree is one removal
  CHECK(treeDiff(src2.path, dst2.path) == "");
  CHECK_FALSE(fs::exists(dst2.path / "vol/data"));
}

TEST_CASE("Tree sync: an append to a large file sends about the appended bytes", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  writeFile(src.path / "big", bytesText(roamtest::seededBytes(4 << 20, 7)));
  const SenderOptions options = noRacyWindow();
  TreeSender sender({src.path}, options);
  TreeApplier applier({dst.path});
  auto r1 = runRound(sender, applier, {65536});
  CHECK(r1.sent.contentBytes == (4u << 20));

  writeFile(src.path / "big", std::string(100, 'z'), O_APPEND);
  auto r2 = runRound(sender, applier, {4096});
  CHECK(r2.plan.entries == 1);
  CHECK(r2.sent.contentBytes < 2 * options.blockBytes);
  CHECK(r2.sent.contentBytes == 100);
  CHECK(treeDiff(src.path, dst.path) == "");

  // An overwrite in the middle sends the blocks it touches.
  writeAt(src.path / "big", (1 << 20) + 10, "middle");
  auto r3 = runRound(sender, applier, {4096});
  CHECK(r3.sent.contentBytes == options.blockBytes);
  CHECK(treeDiff(src.path, dst.path) == "");

  // A truncation sends no content, only the new size (and the cut block).
  REQUIRE(::truncate((src.path / "big").c_str(), (2 << 20) + 5) == 0);
  auto r4 = runRound(sender, applier, {4096});
  CHECK(r4.sent.contentBytes <= options.blockBytes);
  CHECK(treeDiff(src.path, dst.path) == "");
}

TEST_CASE("Tree sync: an unchanged tree's round has no entries", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  buildEverything(src.path);
  TreeSender sender({src.path}, noRacyWindow());
  TreeApplier applier({dst.path});
  runRound(sender, applier, {4096});
  auto r2 = runRound(sender, applier, {4096});
  CHECK(r2.plan.entries == 0);
  CHECK(r2.plan.removals == 0);
  CHECK(r2.sent.entries == 0);
  CHECK(r2.sent.streamBytes < 64);  // the header and the end record
  CHECK(treeDiff(src.path, dst.path) == "");
}

TEST_CASE("Tree sync: racy entries are checked again in the next round", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  const std::string before(10000, 'a');
  writeFile(src.path / "racy", before);
  writeFile(src.path / "other", "x");

  SECTION(
      "an entry within the window is re-hashed although its lstat is "
      "unchanged") {
    SenderOptions options;
    options.racyWindow = std::chrono::hours(1);  // everything just written is racy
    TreeSender sender({src.path}, options);
    TreeApplier applier({dst.path});
    runRound(sender, applier);
    auto r2 = runRound(sender, applier);
    CHECK(r2.plan.entries == 3);       // the root, both files: rechecked
    CHECK(r2.sent.contentBytes == 0);  // their blocks are unchanged
  }
  SECTION("outside the window the same tree sends nothing") {
    TreeSender sender({src.path}, noRacyWindow());
    TreeApplier applier({dst.path});
    runRound(sender, applier);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(runRound(sender, applier).plan.entries == 0);
  }
  SECTION("an mtime far in the future is not racy") {
    timespec times[2] = {{0, UTIME_OMIT}, {4102444800, 0}};  // 2100-01-01
    REQUIRE(::utimensat(AT_FDCWD, (src.path / "racy").c_str(), times, 0) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // ctimes leave the window
    TreeSender sender({src.path});
    TreeApplier applier({dst.path});
    runRound(sender, applier);
    CHECK(runRound(sender, applier).plan.entries == 0);
    CHECK(treeDiff(src.path, dst.path) == "");
  }
  SECTION("a same-size rewrite right after the round reaches the next round") {
    TreeSender sender({src.path});  // the default window, 1 s
    TreeApplier applier({dst.path});
    runRound(sender, applier);
    struct stat st {};
    REQUIRE(::stat((src.path / "racy").c_str(), &st) == 0);
    writeAt(src.path / "racy", 0, std::string(10000, 'b'));
    // The coarse clock may leave mtime unchanged; make sure it is.
    timespec times[2] = {st.st_atim, st.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, (src.path / "racy").c_str(), times, 0) == 0);
    auto r2 = runRound(sender, applier);
    CHECK(r2.sent.contentBytes > 0);
    CHECK(readAll(dst.path / "racy") == std::string(10000, 'b'));
    CHECK(treeDiff(src.path, dst.path) == "");
  }
}

TEST_CASE("Tree sync: a file changed while it is read is caught by the next round", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  writeFile(src.path / "busy", std::string(200000, '1'));
  SenderOptions options = noRacyWindow();
  options.blockBytes = 4096;
  TreeSender sender({src.path}, options);
  TreeApplier applier({dst.path});
  runRound(sender, applier);

  // Round 2 is planned on one version and reads another.
  writeAt(src.path / "busy", 0, std::string(100, '2'));
  REQUIRE(sender.planRound().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  writeAt(src.path / "busy", 150000, std::string(100, '3'));
  std::vector<std::uint8_t> buf(1000);
  for (;;) {
    auto n = sender.read(buf);
    REQUIRE(n.ok());
    if (*n == 0) break;
    REQUIRE(applier.consume(std::span<const std::uint8_t>(buf.data(), *n)).ok());
  }
  REQUIRE(applier.finishRound().ok());

  auto r3 = runRound(sender, applier);
  CHECK(r3.plan.entries >= 1);
  CHECK(treeDiff(src.path, dst.path) == "");
  CHECK(readAll(dst.path / "busy") == readAll(src.path / "busy"));
}

TEST_CASE("Tree sync: sparse files stay sparse", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  const auto file = src.path / "sparse";
  writeFile(file, "");
  REQUIRE(::truncate(file.c_str(), 64 << 20) == 0);
  writeAt(file, 32 << 20, std::string(8192, 'd'));
  TreeSender sender({src.path});
  TreeApplier applier({dst.path});
  auto r1 = runRound(sender, applier, {65536});
  CHECK(r1.sent.contentBytes <= 64 * 1024);
  struct stat st {};
  REQUIRE(::stat((dst.path / "sparse").c_str(), &st) == 0);
  CHECK(st.st_size == (64 << 20));
  CHECK(st.st_blocks * 512 <= 2 * 64 * 1024);
  CHECK(treeDiff(src.path, dst.path) == "");

  // Data punched out on the source becomes a hole on the copy too.
  int fd = ::open(file.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 32 << 20, 65536) == 0);
  ::close(fd);
  runRound(sender, applier, {65536});
  REQUIRE(::stat((dst.path / "sparse").c_str(), &st) == 0);
  CHECK(st.st_blocks == 0);
  CHECK(treeDiff(src.path, dst.path) == "");
}

TEST_CASE("Tree sync: hard links share one inode and one copy of the content", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  writeFile(src.path / "a", std::string(100000, 'h'));
  fs::create_directory(src.path / "sub");
  fs::create_hard_link(src.path / "a", src.path / "sub/b");
  fs::create_hard_link(src.path / "a", src.path / "c");
  TreeSender sender({src.path});
  TreeApplier applier({dst.path});
  auto r1 = runRound(sender, applier);
  CHECK(r1.sent.contentBytes == 100000);
  struct stat a {
  }, b{}, c{};
  REQUIRE(::stat((dst.path / "a").c_str(), &a) == 0);
  REQUIRE(::stat((dst.path / "sub/b").c_str(), &b) == 0);
  REQUIRE(::stat((dst.path / "c").c_str(), &c) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_ino == c.st_ino);
  CHECK(a.st_nlink == 3);
  CHECK(treeDiff(src.path, dst.path) == "");
}

TEST_CASE("Tree sync: random edits over many rounds keep the copy exact", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  SenderOptions options;
  options.blockBytes = 1000;  // blocks that straddle pages and extents
  TreeSender sender({src.path}, options);
  TreeApplier applier({dst.path});
  std::mt19937 rng(15);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> names = {"f0", "f1", "f2", "sub/f3", "sub/f4"};
  fs::create_directory(src.path / "sub");
  for (const auto& n : names) writeFile(src.path / n, "");
  for (int round = 0; round < 25; ++round) {
    INFO("round " << round);
    for (int op = 0; op < 6; ++op) {
      const auto path = src.path / names[pick(names.size())];
      if (!fs::exists(fs::symlink_status(path))) {
        writeFile(path, "reborn");
        continue;
      }
      const auto size = static_cast<std::size_t>(fs::file_size(path));
      switch (pick(7)) {
        case 0:  // write somewhere, maybe past the end
          writeAt(path, static_cast<off_t>(pick(size + 5000)),
                  bytesText(roamtest::seededBytes(1 + pick(3000), static_cast<unsigned>(rng()))));
          break;
        case 1:  // truncate, shorter or longer
          REQUIRE(::truncate(path.c_str(), static_cast<off_t>(pick(2 * size + 3000))) == 0);
          break;
        case 2: {  // punch a hole
          int fd = ::open(path.c_str(), O_WRONLY);
          REQUIRE(fd >= 0);
          ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      static_cast<off_t>(pick(size + 1)), static_cast<off_t>(1 + pick(8192)));
          ::close(fd);
          break;
        }
        case 3:  // zeros written over data
          writeAt(path, static_cast<off_t>(pick(size + 1)), std::string(1 + pick(2500), '\0'));
          break;
        case 4:  // replaced by a new inode
          fs::remove(path);
          writeFile(path,
                    bytesText(roamtest::seededBytes(pick(4000), static_cast<unsigned>(rng()))));
          break;
        case 5: {  // hard-linked to another name, or unlinked from it
          const auto other = src.path / names[pick(names.size())];
          if (other == path) break;
          fs::remove(other);
          fs::create_hard_link(path, other);
          break;
        }
        default:
          fs::permissions(path, static_cast<fs::perms>(0400 + pick(0400)));
          break;
      }
    }
    runRound(sender, applier, {1 + pick(5000)});
    REQUIRE(treeDiff(src.path, dst.path) == "");
  }
}

TEST_CASE("Tree sync: random type changes and removals over many rounds", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  TreeSender sender({src.path});
  TreeApplier applier({dst.path});
  std::mt19937 rng(4);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> names = {"a", "a/b", "a/b/c", "a/x", "d", "d/e", "d/e/f", "g"};
  for (int round = 0; round < 40; ++round) {
    INFO("round " << round);
    for (int op = 0; op < 4; ++op) {
      const auto rel = names[pick(names.size())];
      const auto path = src.path / rel;
      // Only below real directories: never through a symlink of the tree.
      bool parentsReal = true;
      for (auto at = fs::path(rel).parent_path(); !at.empty(); at = at.parent_path()) {
        std::error_code ec;
        parentsReal = parentsReal && fs::is_directory(fs::symlink_status(src.path / at, ec));
      }
      if (!parentsReal) continue;
      std::error_code ec;
      fs::remove_all(path, ec);
      switch (pick(6)) {
        case 0:
          writeFile(path, rel + std::to_string(round));
          break;
        case 1:
          fs::create_directory(path);
          break;
        case 2:
          fs::create_symlink("../" + rel, path);
          break;
        case 3:
          REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
          break;
        case 4: {
          const auto other = src.path / names[pick(names.size())];
          std::error_code ec;
          if (fs::is_regular_file(fs::symlink_status(other, ec))) fs::create_hard_link(other, path);
          break;
        }
        default:
          break;  // removed
      }
    }
    runRound(sender, applier, {1 + pick(300)});
    REQUIRE(treeDiff(src.path, dst.path) == "");
  }
}

TEST_CASE("Tree sync: a round planned and not read is planned again in full", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  writeFile(src.path / "a", std::string(300000, 'a'));
  TreeSender sender({src.path}, noRacyWindow());
  TreeApplier applier({dst.path});
  runRound(sender, applier);

  writeFile(src.path / "b", "new");
  writeAt(src.path / "a", 200000, "changed");
  auto looked = sender.planRound();  // e.g. to decide whether to freeze now
  REQUIRE(looked.ok());
  CHECK(looked->entries == 3);  // the root, a, b
  CHECK(looked->contentBytesAtMost == 300003);
  // A stream read halfway, then abandoned: its file goes again in full.
  std::vector<std::uint8_t> buf(200);
  REQUIRE(sender.read(buf).ok());
  fs::remove(src.path / "b");
  auto r = runRound(sender, applier);
  CHECK(r.plan.entries >= 1);
  CHECK(treeDiff(src.path, dst.path) == "");
}
