// TreeApplier against streams from a hostile or broken peer: paths that leave
// the root, symlinked parents, malformed records. Each is refused with an
// error naming what was wrong, and nothing is written outside the root.

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include "tree_sync_util.hpp"

#include "agent/sync/stream_format.hpp"

using roam::ErrorCode;
using roam::agent::sync::kMagic;
using roam::agent::sync::kVersion;
using roam::agent::sync::Meta;
using roam::agent::sync::RecordType;
using roam::agent::sync::Writer;
using namespace roamtest::sync;

namespace {

struct Stream {
  std::vector<std::uint8_t> bytes;
  Stream() {
    Writer w(bytes);
    w.bytes(kMagic, sizeof kMagic);
    w.u32(kVersion);
  }
  // A record of TYPE whose body FILL writes.
  Stream& record(RecordType type, const std::function<void(Writer&)>& fill) {
    std::vector<std::uint8_t> body;
    Writer b(body);
    fill(b);
    Writer w(bytes);
    w.u8(static_cast<std::uint8_t>(type));
    w.u32(static_cast<std::uint32_t>(body.size()));
    w.bytes(body.data(), body.size());
    return *this;
  }
  // How an entry's body begins: its root, its path and a Meta of MODE.
  static void entryHead(Writer& w, std::uint32_t root, const std::string& path,
                        std::uint32_t mode) {
    w.u32(root);
    w.str16(path);
    Meta m;
    m.mode = mode;
    w.meta(m);
  }
  Stream& file(std::uint32_t root, const std::string& path, std::uint64_t size) {
    return record(RecordType::File, [&](Writer& w) {
      entryHead(w, root, path, S_IFREG | 0644);
      w.u64(size);
      w.u8(0);
    });
  }
  Stream& dir(std::uint32_t root, const std::string& path) {
    return record(RecordType::Dir, [&](Writer& w) { entryHead(w, root, path, S_IFDIR | 0755); });
  }
  Stream& data(std::uint64_t offset, const std::string& content) {
    return record(RecordType::Data, [&](Writer& w) {
      w.u64(offset);
      w.bytes(content.data(), content.size());
    });
  }
  Stream& fileEnd() {
    return record(RecordType::FileEnd, [](Writer&) {});
  }
  Stream& remove(std::uint32_t root, const std::string& path) {
    return record(RecordType::Remove, [&](Writer& w) {
      w.u32(root);
      w.str16(path);
    });
  }
  Stream& link(const std::string& path, const std::string& target) {
    return record(RecordType::Link, [&](Writer& w) {
      w.u32(0);
      w.str16(path);
      w.str16(target);
    });
  }
  Stream& end(std::uint64_t entries, std::uint64_t removals, std::uint64_t content) {
    return record(RecordType::End, [&](Writer& w) {
      w.u64(entries);
      w.u64(removals);
      w.u64(content);
    });
  }
};

// Feeds the stream in pieces of 3 bytes, then ends the round: the first error.
roam::Status applyStream(TreeApplier& applier, const std::vector<std::uint8_t>& bytes) {
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    auto s = applier.consume(std::span<const std::uint8_t>(
        bytes.data() + i, std::min<std::size_t>(3, bytes.size() - i)));
    if (!s) return s;
  }
  return applier.finishRound();
}

// The root "root" inside OUTER, with a directory "outside" next to it and a
// symlink root/evil pointing there.
struct Sandbox {
  TempDir outer{"roam-sync-safety"};
  fs::path root = outer.path / "root";
  fs::path outside = outer.path / "outside";
  Sandbox() {
    fs::create_directory(root);
    fs::create_directory(outside);
    writeFile(outside / "victim", "must survive");
    fs::create_directory_symlink(outside, root / "evil");
    fs::create_directory(root / "inside");
  }
  // Nothing but what the sandbox began with is outside the root.
  bool outsideUntouched() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(outer.path)) names.push_back(e.path().filename());
    std::vector<std::string> inOutside;
    for (const auto& e : fs::directory_iterator(outside)) inOutside.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names == std::vector<std::string>{"outside", "root"} &&
           inOutside == std::vector<std::string>{"victim"} &&
           readAll(outside / "victim") == "must survive";
  }
};

void checkRefused(const roam::Status& s, const std::string& mention) {
  INFO(roam::errorText(s));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find(mention) != std::string::npos);
}

// Refused as unsafe (not merely failed), naming MENTION.
void checkUnsafe(const roam::Status& s, const std::string& mention) {
  checkRefused(s, mention);
  CHECK(s.error().code == ErrorCode::Refused);
}

}  // namespace

TEST_CASE("TreeApplier refuses paths that leave the root", "[agent]") {
  Sandbox box;
  const std::vector<std::string> bad = {"../x",
                                        "/abs",
                                        "inside/../../x",
                                        "a//b",
                                        "./a",
                                        "a/.",
                                        "inside/",
                                        std::string("a\0b", 3),
                                        std::string(5000, 'a'),
                                        std::string(300, 'n')};
  for (const auto& path : bad) {
    INFO("path " << path);
    SECTION("a file " + std::to_string(&path - bad.data())) {
      TreeApplier applier({box.root});
      Stream s;
      s.file(0, path, 4).data(0, "evil").fileEnd().end(1, 0, 4);
      auto status = applyStream(applier, s.bytes);
      REQUIRE_FALSE(status.ok());
      CHECK((status.error().code == ErrorCode::Refused ||
             status.error().code == ErrorCode::Protocol));
      if (path.size() < 100 && path.find('\0') == std::string::npos) {
        CHECK(status.error().message.find(path) != std::string::npos);
      }
      CHECK(box.outsideUntouched());
      CHECK_FALSE(fs::exists(box.outer.path / "x"));
    }
  }
  SECTION("a removal") {
    TreeApplier applier({box.root});
    checkUnsafe(applyStream(applier, Stream().remove(0, "../outside/victim").end(0, 1, 0).bytes),
                "../outside/victim");
    CHECK(box.outsideUntouched());
  }
  SECTION("a hard link to a file outside") {
    TreeApplier applier({box.root});
    checkUnsafe(
        applyStream(applier, Stream().link("stolen", "../outside/victim").end(1, 0, 0).bytes),
        "../outside/victim");
    CHECK_FALSE(fs::exists(box.root / "stolen"));
  }
}

TEST_CASE("TreeApplier never writes through a symlinked parent", "[agent]") {
  Sandbox box;
  SECTION("a new file") {
    TreeApplier applier({box.root});
    Stream s;
    s.file(0, "evil/payload", 4).data(0, "evil").fileEnd().end(1, 0, 4);
    checkUnsafe(applyStream(applier, s.bytes), "evil/payload");
  }
  SECTION("a directory") {
    TreeApplier applier({box.root});
    checkUnsafe(applyStream(applier, Stream().dir(0, "evil/sub").end(1, 0, 0).bytes), "evil/sub");
  }
  SECTION("a removal") {
    TreeApplier applier({box.root});
    checkUnsafe(applyStream(applier, Stream().remove(0, "evil/victim").end(0, 1, 0).bytes),
                "evil/victim");
  }
  SECTION("a hard link") {
    TreeApplier applier({box.root});
    checkUnsafe(applyStream(applier, Stream().link("stolen", "evil/victim").end(1, 0, 0).bytes),
                "evil/victim");
    CHECK_FALSE(fs::exists(box.root / "stolen"));
  }
  SECTION("the symlink itself may be replaced, never followed") {
    TreeApplier applier({box.root});
    Stream s;
    s.file(0, "evil", 2).data(0, "ok").fileEnd().end(1, 0, 2);
    auto status = applyStream(applier, s.bytes);
    INFO(roam::errorText(status));
    REQUIRE(status.ok());
    CHECK(readAll(box.root / "evil") == "ok");
  }
  CHECK(box.outsideUntouched());
}

TEST_CASE("TreeApplier refuses malformed streams", "[agent]") {
  TempDir root("roam-sync-malformed");
  TreeApplier applier({root.path});
  auto raw = [](std::vector<std::uint8_t> tail) {
    Stream s;
    s.bytes.insert(s.bytes.end(), tail.begin(), tail.end());
    return s.bytes;
  };

  SECTION("a bad magic") {
    std::vector<std::uint8_t> bytes = {'X', 'T', 'S', 'Y', 1, 0, 0, 0};
    checkRefused(applyStream(applier, bytes), "magic");
  }
  SECTION("another version") {
    std::vector<std::uint8_t> bytes = {'R', 'T', 'S', 'Y', 9, 0, 0, 0};
    checkRefused(applyStream(applier, bytes), "version 9");
  }
  SECTION("an unknown record type") {
    checkRefused(applyStream(applier, raw({99, 0, 0, 0, 0})), "unknown record type 99");
  }
  SECTION("a length past its bound, refused before it is read") {
    // A data record claiming 4 GiB: refused on its 5-byte header alone.
    auto bytes = raw({static_cast<std::uint8_t>(RecordType::Data), 0xff, 0xff, 0xff, 0xff});
    checkRefused(applier.consume(bytes), "more than the");
    auto hole = raw({static_cast<std::uint8_t>(RecordType::Hole), 17, 0, 0, 0});
    TreeApplier other({root.path});
    checkRefused(other.consume(hole), "more than the");
  }
  SECTION("a root index past the roots") {
    Stream s;
    s.file(3, "x", 0).fileEnd().end(1, 0, 0);
    checkRefused(applyStream(applier, s.bytes), "root 3 past the 1 roots");
  }
  SECTION("a block past the declared size") {
    Stream s;
    s.file(0, "f", 10).data(8, "abcd").fileEnd().end(1, 0, 4);
    checkRefused(applyStream(applier, s.bytes), "past the size 10");
    Stream h;
    h.file(0, "g", 10).record(RecordType::Hole, [](Writer& w) {
      w.u64(4);
      w.u64(~0ull);
    });
    TreeApplier other({root.path});
    checkRefused(applyStream(other, h.bytes), "past the size 10");
  }
  SECTION("a stream cut inside a record") {
    Stream s;
    s.file(0, "f", 4).data(0, "abcd").fileEnd().end(1, 0, 4);
    s.bytes.resize(s.bytes.size() - 30);
    checkRefused(applyStream(applier, s.bytes), "inside a record");
  }
  SECTION("a stream without its end record") {
    Stream s;
    s.dir(0, "d");
    checkRefused(applyStream(applier, s.bytes), "without its end-of-round record");
  }
  SECTION("counts that differ from what arrived") {
    Stream s;
    s.dir(0, "d").end(2, 0, 0);
    auto status = applyStream(applier, s.bytes);
    checkRefused(status, "counts differ");
    CHECK(status.error().code == ErrorCode::Checksum);
  }
  SECTION("data outside a file, a record inside one, bytes after the end") {
    checkRefused(applyStream(applier, Stream().data(0, "x").bytes), "outside a file");
    TreeApplier second({root.path});
    checkRefused(applyStream(second, Stream().file(0, "f", 1).dir(0, "d").bytes),
                 "inside the file");
    TreeApplier third({root.path});
    checkRefused(applyStream(third, Stream().end(0, 0, 0).dir(0, "d").bytes), "after the end");
  }
  SECTION("a record body with bad fields") {
    auto badMode = Stream().record(RecordType::File, [](Writer& w) {
      w.u32(0);
      w.str16("f");
      Meta m;
      m.mode = S_IFDIR | 0755;  // a directory's mode in a file record
      w.meta(m);
      w.u64(0);
      w.u8(0);
    });
    checkRefused(applyStream(applier, badMode.bytes), "bad mode");
    TreeApplier second({root.path});
    auto shortBody = Stream().record(RecordType::Remove, [](Writer& w) { w.u32(0); });
    checkRefused(applyStream(second, shortBody.bytes), "cut short");
  }
  SECTION("the first error sticks") {
    auto first = applier.consume(raw({99, 0, 0, 0, 0}));
    REQUIRE_FALSE(first.ok());
    auto again = applier.consume(Stream().end(0, 0, 0).bytes);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().message == first.error().message);
    CHECK_FALSE(applier.finishRound().ok());
  }
}

TEST_CASE("TreeApplier refuses a real round cut anywhere", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst");
  writeFile(src.path / "f", std::string(5000, 'c'));
  fs::create_directory(src.path / "d");
  fs::create_symlink("f", src.path / "d/l");
  TreeSender sender({src.path});
  const auto bytes = roundBytes(sender);
  for (std::size_t cut = 0; cut < bytes.size(); cut += 97) {
    INFO("cut at " << cut << " of " << bytes.size());
    TreeApplier applier({dst.path});
    auto s = applier.consume(std::span<const std::uint8_t>(bytes.data(), cut));
    if (s.ok()) s = applier.finishRound();
    CHECK_FALSE(s.ok());
  }
  TreeApplier whole({dst.path});
  REQUIRE(applyStream(whole, bytes).ok());
  CHECK(treeDiff(src.path, dst.path) == "");
}

TEST_CASE("The tree-stream fuzzer's seed round applies", "[agent]") {
  TempDir r0("roam-sync-seed"), r1("roam-sync-seed");
  auto bytes = readAll(fs::path(ROAM_SOURCE_DIR) / "tests/corpus/tree-sync/round.bin");
  REQUIRE(bytes.size() > 1);
  TreeApplier applier({r0.path, r1.path});
  std::vector<std::uint8_t> stream(bytes.begin() + 1, bytes.end());  // byte 0: the fuzzer's split
  auto s = applyStream(applier, stream);
  INFO(roam::errorText(s));
  REQUIRE(s.ok());
  CHECK(readAll(r0.path / "d/f") == std::string(10, '\0') + "hello" + std::string(85, '\0'));
  CHECK(fs::is_fifo(r1.path / "fifo"));
  CHECK(fs::is_character_file(r1.path / "wh"));
  CHECK(fs::hard_link_count(r0.path / "h") == 2);
  CHECK_FALSE(fs::exists(fs::symlink_status(r0.path / "l")));
}

TEST_CASE("TreeApplier survives random corruptions of a real round", "[agent]") {
  TempDir src("roam-sync-src");
  writeFile(src.path / "f", std::string(3000, 'c'));
  fs::create_directory(src.path / "d");
  fs::create_symlink("../f", src.path / "d/l");
  fs::create_hard_link(src.path / "f", src.path / "d/h");
  REQUIRE(::mkfifo((src.path / "d/p").c_str(), 0600) == 0);
  REQUIRE(::lsetxattr((src.path / "d").c_str(), "user.k", "v", 1, 0) == 0);
  SenderOptions options;
  options.blockBytes = 1024;
  TreeSender sender({src.path}, options);
  const auto bytes = roundBytes(sender);
  std::mt19937 rng(99);
  for (int i = 0; i < 300; ++i) {
    auto mutated = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      mutated[8 + rng() % (mutated.size() - 8)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    }
    Sandbox box;
    TreeApplier applier({box.root});
    (void)applyStream(applier, mutated);  // refused or applied, never a crash
    INFO("mutation " << i);
    CHECK(box.outsideUntouched());
  }
}

TEST_CASE("TreeApplier replaces a final symlink and never writes through it", "[agent]") {
  Sandbox box;
  SECTION("changed blocks for a path that is a symlink here") {
    TreeApplier applier({box.root});
    fs::create_symlink(box.outside / "victim", box.root / "f");
    Stream s;
    s.record(RecordType::File, [](Writer& w) {
      w.u32(0);
      w.str16("f");
      Meta m;
      m.mode = S_IFREG | 0644;
      w.meta(m);
      w.u64(4);
      w.u8(1);  // delta
    });
    s.data(0, "evil").fileEnd().end(1, 0, 4);
    checkRefused(applyStream(applier, s.bytes), "no regular file here");
  }
  SECTION("a directory over a symlink to a directory") {
    TreeApplier applier({box.root});
    auto status = applyStream(applier, Stream().dir(0, "evil").end(1, 0, 0).bytes);
    INFO(roam::errorText(status));
    REQUIRE(status.ok());
    CHECK(fs::is_directory(fs::symlink_status(box.root / "evil")));
  }
  CHECK(box.outsideUntouched());
}

TEST_CASE("TreeSender never reads through a directory swapped for a symlink", "[agent]") {
  TempDir src("roam-sync-src"), dst("roam-sync-dst"), secret("roam-sync-secret");
  writeFile(secret.path / "file", "host secret");
  fs::create_directory(src.path / "d");
  writeFile(src.path / "d/file", "container data");
  TreeSender sender({src.path});
  REQUIRE(sender.planRound().ok());
  // The container swaps the directory for a symlink after the scan.
  fs::remove_all(src.path / "d");
  fs::create_directory_symlink(secret.path, src.path / "d");
  std::vector<std::uint8_t> stream, buf(4096);
  for (;;) {
    auto n = sender.read(buf);
    REQUIRE(n.ok());
    if (*n == 0) break;
    stream.insert(stream.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  const std::string text(stream.begin(), stream.end());
  CHECK(text.find("host secret") == std::string::npos);
  TreeApplier applier({dst.path});
  REQUIRE(applyStream(applier, stream).ok());
  CHECK_FALSE(fs::exists(dst.path / "d/file"));
  // The next round sends the symlink as a symlink.
  REQUIRE(applyStream(applier, roundBytes(sender)).ok());
  CHECK(fs::is_symlink(dst.path / "d"));
  CHECK(treeDiff(src.path, dst.path) == "");
}
