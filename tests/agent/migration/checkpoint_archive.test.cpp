// The checkpoint's travel form: naming, and the tar the source packs and the
// destination unpacks (round trip, compatibility with the system tar, and
// refusal of anything that could write outside the target directory).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "agent/migration/checkpoint_archive.hpp"
#include "file_text.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;
using roamtest::TempDir;

namespace {

void writeFile(const fs::path& path, const std::string& bytes) {
  REQUIRE(roamtest::writeText(path, bytes));
}

// Every entry under ROOT: "dir/" for directories, "file=CONTENT" for files.
std::map<std::string, std::string> snapshotTree(const fs::path& root) {
  std::map<std::string, std::string> tree;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    auto rel = e.path().lexically_relative(root).generic_string();
    if (e.is_directory())
      tree[rel + "/"] = "";
    else
      tree[rel] = roamtest::readText(e.path());
  }
  return tree;
}

std::string randomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A directory shaped like a CRIU checkpoint: images, a nested log directory,
// an empty file, an empty directory, a file larger than one copy buffer.
void makeCheckpointLike(const fs::path& dir) {
  writeFile(dir / "inventory.img", randomBytes(83, 1));
  writeFile(dir / "pages-1.img", randomBytes(200 * 1024 + 17, 2));
  writeFile(dir / "pstree.img", "");
  writeFile(dir / "criu" / "logs" / "dump.log", "(00.000001) Dumping finished successfully\n");
  writeFile(dir / "descriptors.json", "[\"/dev/null\",\"pipe:[1234]\"]");
  fs::create_directories(dir / "empty-dir");
  // Longer than ustar's 100-byte name field: needs the prefix field.
  writeFile(dir / std::string(60, 'd') / std::string(60, 'e') / "f.img", "long path");
}

int run(const std::string& command) {
  return std::system(command.c_str());
}

}  // namespace

TEST_CASE("checkpoint ids derive from the migration id in Docker's alphabet", "[agent]") {
  CHECK(checkpointIdFor("mig-1") == "roam-mig-1");
  CHECK(checkpointIdFor("decision:42") == "roam-decision-42");
  CHECK(checkpointIdFor("a.b_c") == "roam-a.b_c");
  CHECK(isValidCheckpointId(checkpointIdFor("decision:42")));
  CHECK(std::string(kCheckpointFileName) == "checkpoint.tar");

  CHECK(isValidCheckpointId("cp1"));
  CHECK(isValidCheckpointId("roam-x.y_z"));
  CHECK_FALSE(isValidCheckpointId(""));
  CHECK_FALSE(isValidCheckpointId("a"));  // Docker wants at least two characters
  CHECK_FALSE(isValidCheckpointId(".."));
  CHECK_FALSE(isValidCheckpointId("-cp"));
  CHECK_FALSE(isValidCheckpointId("cp/../x"));
  CHECK_FALSE(isValidCheckpointId("cp:1"));
  CHECK_FALSE(isValidCheckpointId(std::string(129, 'a')));
}

TEST_CASE("a checkpoint directory survives tar and untar with nested files", "[agent]") {
  TempDir tmp("roam-ckpt");
  const auto source = tmp.path / "source";
  makeCheckpointLike(source);
  const auto tar = tmp.path / "checkpoint.tar";
  REQUIRE(writeDirectoryTar(source, tar) == "");
  CHECK(fs::file_size(tar) % 512 == 0);

  const auto target = tmp.path / "unpacked" / "roam-mig-1";
  REQUIRE(extractDirectoryTar(tar, target) == "");
  CHECK(snapshotTree(target) == snapshotTree(source));

  SECTION("packing is deterministic in order and content") {
    const auto again = tmp.path / "again.tar";
    REQUIRE(writeDirectoryTar(source, again) == "");
    CHECK(roamtest::readText(again) == roamtest::readText(tar));
  }
  SECTION("the system tar reads what we write") {
    const auto byTar = tmp.path / "by-system-tar";
    fs::create_directories(byTar);
    REQUIRE(run("tar -xf '" + tar.string() + "' -C '" + byTar.string() + "'") == 0);
    CHECK(snapshotTree(byTar) == snapshotTree(source));
  }
  SECTION("we read what the system tar writes") {
    const auto fromTar = tmp.path / "system.tar";
    REQUIRE(run("tar --format=ustar -cf '" + fromTar.string() + "' -C '" + source.string() +
                "' inventory.img pages-1.img criu") == 0);
    const auto out = tmp.path / "from-system";
    REQUIRE(extractDirectoryTar(fromTar, out) == "");
    CHECK(roamtest::readText(out / "pages-1.img") == roamtest::readText(source / "pages-1.img"));
    CHECK(roamtest::readText(out / "criu" / "logs" / "dump.log") ==
          roamtest::readText(source / "criu" / "logs" / "dump.log"));
  }
  SECTION("the target must not exist yet") {
    CHECK_THAT(extractDirectoryTar(tar, target), Catch::Contains("already exists"));
  }
}

TEST_CASE("an empty checkpoint directory packs to an empty archive", "[agent]") {
  TempDir tmp("roam-ckpt");
  fs::create_directories(tmp.path / "empty");
  REQUIRE(writeDirectoryTar(tmp.path / "empty", tmp.path / "e.tar") == "");
  CHECK(fs::file_size(tmp.path / "e.tar") == 1024);
  REQUIRE(extractDirectoryTar(tmp.path / "e.tar", tmp.path / "out") == "");
  CHECK(fs::is_empty(tmp.path / "out"));
  CHECK_THAT(writeDirectoryTar(tmp.path / "missing", tmp.path / "m.tar"),
             Catch::Contains("is not a directory"));
}

TEST_CASE("packing refuses what a checkpoint never holds", "[agent]") {
  TempDir tmp("roam-ckpt");
  writeFile(tmp.path / "dir" / "a.img", "a");
  fs::create_symlink("a.img", tmp.path / "dir" / "link");
  CHECK_THAT(writeDirectoryTar(tmp.path / "dir", tmp.path / "x.tar"),
             Catch::Contains("neither a regular file nor a directory"));
}

TEST_CASE("unpacking refuses archives that could escape or are broken", "[agent]") {
  TempDir tmp("roam-ckpt");
  const auto payload = tmp.path / "payload";
  writeFile(payload / "inner" / "a.img", "a");
  const auto out = tmp.path / "out";

  SECTION("a path with ..") {
    REQUIRE(run("tar --format=ustar -P -cf '" + (tmp.path / "evil.tar").string() + "' -C '" +
                (payload / "inner").string() + "' ../inner/a.img 2>/dev/null") == 0);
    CHECK_THAT(extractDirectoryTar(tmp.path / "evil.tar", out), Catch::Contains("refusing entry"));
    CHECK_FALSE(fs::exists(tmp.path / "inner"));
  }
  SECTION("an absolute path") {
    REQUIRE(run("tar --format=ustar -P -cf '" + (tmp.path / "abs.tar").string() + "' '" +
                (payload / "inner" / "a.img").string() + "'") == 0);
    CHECK_THAT(extractDirectoryTar(tmp.path / "abs.tar", out), Catch::Contains("refusing entry"));
  }
  SECTION("a symbolic link") {
    fs::create_symlink("/etc/passwd", payload / "link");
    REQUIRE(run("tar --format=ustar -cf '" + (tmp.path / "link.tar").string() + "' -C '" +
                payload.string() + "' link") == 0);
    CHECK_THAT(extractDirectoryTar(tmp.path / "link.tar", out), Catch::Contains("of type '2'"));
  }
  SECTION("a truncated archive") {
    REQUIRE(writeDirectoryTar(payload, tmp.path / "t.tar") == "");
    fs::resize_file(tmp.path / "t.tar", 700);
    CHECK_THAT(extractDirectoryTar(tmp.path / "t.tar", out), Catch::Contains("truncated"));
  }
  SECTION("a corrupted header") {
    REQUIRE(writeDirectoryTar(payload, tmp.path / "c.tar") == "");
    {
      std::fstream f(tmp.path / "c.tar", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(3);
      f.put('X');
    }
    CHECK_THAT(extractDirectoryTar(tmp.path / "c.tar", out), Catch::Contains("checksum"));
  }
  SECTION("a missing archive") {
    CHECK_THAT(extractDirectoryTar(tmp.path / "none.tar", out), Catch::Contains("cannot read"));
  }
}
