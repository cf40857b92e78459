// indexImageArchive / FilteredTarReader / digests on real tar files: a
// synthesised `docker save` layout written by a small tar writer below (ustar,
// GNU long names, pax long names), plus archives written by the system's tar.

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "temp_dir.hpp"

#include "agent/migration/image_archive.hpp"
#include "agent/migration/stream_checksum.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;
using nlohmann::json;
using roam::agent::streamChecksumHex;

namespace {

using TempDir = roamtest::TempDir;

enum class LongName { none, gnu, pax };

// Writes tar entries the way Go's archive/tar does, each kept as a separate piece
// so the expected filtered archive can be assembled from the same bytes.
class TarWriter {
 public:
  void file(const std::string& name, const std::string& content, LongName how = LongName::none) {
    std::string piece;
    std::string shortName = name;
    if (how == LongName::gnu) {
      piece += header("././@LongLink", 'L', name.size() + 1, true);
      piece += padded(name + '\0');
      shortName = name.substr(0, 99);
    } else if (how == LongName::pax) {
      const std::string record = paxRecord("path", name) + paxRecord("mtime", "1600000000.5");
      piece += header("PaxHeaders.0/" + name.substr(name.size() - 40), 'x', record.size());
      piece += padded(record);
      shortName = name.substr(0, 99);
    }
    piece += header(shortName, '0', content.size(), how == LongName::gnu);
    piece += padded(content);
    pieces_.push_back({name, piece});
  }
  void dir(const std::string& name) { pieces_.push_back({name, header(name, '5', 0)}); }

  // The archive with the entries in OMIT left out.
  std::string archive(const std::set<std::string>& omit = {}) const {
    std::string out;
    for (const auto& [name, bytes] : pieces_)
      if (!omit.contains(name)) out += bytes;
    return out + std::string(1024, '\0');
  }

 private:
  static std::string padded(std::string s) {
    s.resize((s.size() + 511) / 512 * 512, '\0');
    return s;
  }
  static std::string paxRecord(const std::string& key, const std::string& value) {
    const std::string body = " " + key + "=" + value + "\n";
    std::size_t len = body.size() + 1;  // the length counts its own digits
    while (std::to_string(len).size() + body.size() != len)
      len = std::to_string(len).size() + body.size();
    return std::to_string(len) + body;
  }
  static std::string header(const std::string& name, char type, std::size_t size,
                            bool gnu = false) {
    std::string b(512, '\0');
    auto put = [&](std::size_t at, const std::string& s) { b.replace(at, s.size(), s); };
    auto octal = [](std::uint64_t v, int width) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%0*llo", width, static_cast<unsigned long long>(v));
      return std::string(buf);
    };
    put(0, name.substr(0, 100));
    put(100, octal(type == '5' ? 0755 : 0644, 7));
    put(108, octal(0, 7));
    put(116, octal(0, 7));
    put(124, octal(size, 11));
    put(136, octal(1600000000, 11));
    b[156] = type;
    if (gnu)
      put(257, std::string("ustar  \0", 8));
    else
      put(257, std::string("ustar\0"
                           "00",
                           8));
    put(265, "root");
    put(297, "root");
    put(148, std::string(8, ' '));
    unsigned sum = 0;
    for (unsigned char c : b) sum += c;
    put(148, octal(sum, 6) + std::string("\0 ", 2));
    return b;
  }

  std::vector<std::pair<std::string, std::string>> pieces_;
};

void writeFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string digestOf(const std::string& bytes) {
  return streamChecksumHex({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

// Everything a reader produces, pulled through a buffer of BUFFER bytes.
std::string readAll(FilteredTarReader& reader, std::size_t buffer = 4096) {
  std::string out;
  std::vector<std::uint8_t> chunk(buffer);
  while (std::size_t n = reader.read(chunk)) {
    out.append(reinterpret_cast<const char*>(chunk.data()), n);
    if (n < buffer) CHECK(reader.read(chunk) == 0);  // short only at the end
  }
  return out;
}

const std::string kLayer1 = std::string(64, 'a');
const std::string kLayer2 = std::string(64, 'b');
const std::string kLayer3 = std::string(64, 'c');
const std::string kConfigId = std::string(64, 'f');

std::string configJson(int diffIds) {
  json ids = json::array();
  for (int i = 0; i < diffIds; ++i) ids.push_back("sha256:" + std::string(64, char('1' + i)));
  return json{{"architecture", "amd64"},
              {"config", {{"Cmd", {"sh"}}}},
              {"rootfs", {{"type", "layers"}, {"diff_ids", ids}}}}
      .dump();
}

// The layout `docker save` writes (lexical order, manifest.json near the end).
// Layer 2's directory gets a GNU long name entry and layer 3's layer.tar a pax
// one, so both extension forms sit in front of layers that can be omitted.
TarWriter dockerSave(const std::string& manifest, const std::string& config) {
  TarWriter w;
  for (const auto& layer : {kLayer1, kLayer2, kLayer3}) {
    w.dir(layer + "/");
    w.file(layer + "/VERSION", "1.0");
    w.file(layer + "/json", R"({"id":")" + layer + R"("})");
    const std::string data(3000 + layer[0], layer[0]);  // not a multiple of 512
    w.file(layer + "/layer.tar", data, layer == kLayer3 ? LongName::pax : LongName::none);
    if (layer == kLayer2)
      w.file(layer + "/" + std::string(120, 'x') + "/notes.txt", "a long-named extra",
             LongName::gnu);
  }
  w.file(kConfigId + ".json", config);
  w.file("manifest.json", manifest);
  w.file("repositories", R"({"app":{"v1":")" + kLayer3 + R"("}})");
  return w;
}

std::string manifestJson(std::vector<std::string> layers) {
  return json::array({json{{"Config", kConfigId + ".json"},
                           {"RepoTags", {"app:v1", "app:latest"}},
                           {"Layers", layers}}})
      .dump();
}

const std::vector<std::string> kLayerFiles = {kLayer1 + "/layer.tar", kLayer2 + "/layer.tar",
                                              kLayer3 + "/layer.tar"};

}  // namespace

TEST_CASE("indexImageArchive reads the manifest and the config's diff_ids", "[agent]") {
  TempDir dir;
  const fs::path tar = dir.path / "image.tar";
  writeFile(tar, dockerSave(manifestJson(kLayerFiles), configJson(3)).archive());

  const auto result = indexImageArchive(tar);
  INFO(roam::errorText(result));
  REQUIRE(result.ok());
  CHECK(result->configFile == kConfigId + ".json");
  CHECK(result->repoTags == std::vector<std::string>{"app:v1", "app:latest"});
  CHECK(result->layerFiles == kLayerFiles);
  CHECK(result->diffIds == std::vector<std::string>{"sha256:" + std::string(64, '1'),
                                                    "sha256:" + std::string(64, '2'),
                                                    "sha256:" + std::string(64, '3')});
}

TEST_CASE("FilteredTarReader leaves out exactly the omitted entries", "[agent]") {
  TempDir dir;
  const fs::path tar = dir.path / "image.tar";
  const TarWriter w = dockerSave(manifestJson(kLayerFiles), configJson(3));
  const std::string full = w.archive();
  writeFile(tar, full);

  const std::vector<std::set<std::string>> cases = {
      {},
      {kLayerFiles[0]},
      {kLayerFiles[1], kLayerFiles[2]},  // layer 3 has a pax header in front
      {kLayerFiles[0], kLayerFiles[1], kLayerFiles[2],
       kLayer2 + "/" + std::string(120, 'x') + "/notes.txt"},  // a GNU long name
      {"no/such/entry"},
  };
  for (const auto& omit : cases) {
    INFO("omitting " << omit.size() << " entries");
    const std::string expected = w.archive(omit);
    for (std::size_t buffer : {1, 7, 512, 4096, 1 << 20}) {
      FilteredTarReader reader(tar, omit);
      CHECK(readAll(reader, buffer) == expected);
      CHECK_FALSE(reader.error());
    }
    const auto digest = digestFiltered(tar, omit);
    CHECK(digest.ok());
    CHECK(digest->size == expected.size());
    CHECK(digest->checksum == digestOf(expected));
  }

  // A filtered archive is itself a valid archive with the same index.
  const fs::path filtered = dir.path / "filtered.tar";
  writeFile(filtered, w.archive({kLayerFiles[0], kLayerFiles[2]}));
  const auto index = indexImageArchive(filtered);
  REQUIRE(index.ok());
  CHECK(index->layerFiles == kLayerFiles);

  // "./" prefixes are ignored when matching names.
  FilteredTarReader dotted(tar, {"./" + kLayerFiles[0]});
  CHECK(readAll(dotted) == w.archive({kLayerFiles[0]}));
}

TEST_CASE("digestFile hashes the whole file", "[agent]") {
  TempDir dir;
  const std::string bytes = dockerSave(manifestJson(kLayerFiles), configJson(3)).archive();
  writeFile(dir.path / "image.tar", bytes);
  const auto digest = digestFile(dir.path / "image.tar");
  CHECK(digest.ok());
  CHECK(digest->size == bytes.size());
  CHECK(digest->checksum == digestOf(bytes));
  CHECK(digestFiltered(dir.path / "image.tar", {})->checksum == digest->checksum);

  writeFile(dir.path / "empty", "");
  CHECK(digestFile(dir.path / "empty")->checksum == digestOf(""));
  CHECK_THAT(roam::errorText(digestFile(dir.path / "missing")), Catch::Contains("missing"));
}

TEST_CASE("FilteredTarReader handles archives written by the system tar", "[agent]") {
  TempDir dir;
  const fs::path root = dir.path / "root";
  const std::string longDir = std::string(70, 'd') + "/" + std::string(60, 'e');  // > 100 chars
  fs::create_directories(root / longDir);
  writeFile(root / longDir / "long.bin", std::string(10000, 'L'));
  writeFile(root / "keep.txt", "kept");
  writeFile(root / "drop.bin", std::string(700, 'D'));

  for (const std::string format : {"gnu", "pax", "ustar"}) {
    INFO(format);
    const fs::path tar = dir.path / (format + ".tar");
    const std::string create = "tar --format=" + format + " -cf '" + tar.string() + "' -C '" +
                               root.string() + "' keep.txt drop.bin " + longDir +
                               "/long.bin 2>/dev/null";
    REQUIRE(std::system(create.c_str()) == 0);

    // ustar cannot hold a 135-character name without its prefix field; with it,
    // this one fits (prefix ≤ 155, name ≤ 100), which exercises that path.
    FilteredTarReader reader(tar, {"drop.bin", longDir + "/long.bin"});
    const std::string out = readAll(reader, 1000);
    REQUIRE_FALSE(reader.error());
    const std::string original = readFile(tar);
    // Dropped: drop.bin's header and 2 data blocks, long.bin's header(s) and 20 data blocks.
    CHECK(out.size() < original.size() - (3 + 21) * 512 + 1);
    const fs::path filtered = dir.path / (format + "-filtered.tar");
    writeFile(filtered, out);
    const fs::path listing = dir.path / "listing";
    REQUIRE(std::system(
                ("tar -tf '" + filtered.string() + "' > '" + listing.string() + "'").c_str()) == 0);
    CHECK(readFile(listing) == "keep.txt\n");

    FilteredTarReader onlyLong(tar, {"keep.txt", "drop.bin"});
    writeFile(filtered, readAll(onlyLong));
    REQUIRE(std::system(
                ("tar -tf '" + filtered.string() + "' > '" + listing.string() + "'").c_str()) == 0);
    CHECK(readFile(listing) == longDir + "/long.bin\n");
  }
}

TEST_CASE("indexImageArchive and FilteredTarReader report broken archives", "[agent]") {
  TempDir dir;
  const fs::path tar = dir.path / "image.tar";
  auto indexError = [&](const std::string& bytes) {
    writeFile(tar, bytes);
    auto result = indexImageArchive(tar);
    CHECK(!result.ok());
    CHECK_THAT(roam::errorText(result), Catch::StartsWith(tar.string()));
    return roam::errorText(result);
  };
  auto filterError = [&](const std::string& bytes) {
    writeFile(tar, bytes);
    FilteredTarReader reader(tar, {kLayerFiles[0]});
    readAll(reader);
    std::vector<std::uint8_t> buf(10);
    CHECK(reader.read(buf) == 0);  // stays failed
    CHECK(!digestFiltered(tar, {}).ok());
    REQUIRE(reader.error());
    CHECK(reader.error()->code == roam::ErrorCode::BadInput);
    return reader.error()->message;
  };
  const std::string good = dockerSave(manifestJson(kLayerFiles), configJson(3)).archive();

  SECTION("truncated in the middle of a layer") {
    const std::string cut = good.substr(0, 3 * 512 + 1000);
    CHECK_THAT(indexError(cut), Catch::Contains("truncated"));
    CHECK_THAT(filterError(cut), Catch::Contains("truncated"));
  }
  SECTION("truncated inside a header") {
    CHECK_THAT(indexError(good.substr(0, 512 + 100)), Catch::Contains("truncated"));
  }
  SECTION("no end-of-archive marker") {
    CHECK_THAT(indexError(good.substr(0, good.size() - 1024)), Catch::Contains("end-of-archive"));
    CHECK_THAT(filterError(good.substr(0, good.size() - 1024)), Catch::Contains("end-of-archive"));
  }
  SECTION("missing manifest") {
    TarWriter w;
    w.file("repositories", "{}");
    CHECK_THAT(indexError(w.archive()), Catch::Contains("no manifest.json"));
  }
  SECTION("layers and diff_ids of different lengths") {
    CHECK_THAT(indexError(dockerSave(manifestJson(kLayerFiles), configJson(2)).archive()),
               Catch::Contains("3 layers") && Catch::Contains("2 diff_ids"));
  }
  SECTION("config missing") {
    TarWriter w;
    w.file("manifest.json", manifestJson(kLayerFiles));
    CHECK_THAT(indexError(w.archive()), Catch::Contains("missing"));
  }
  SECTION("manifest not JSON / wrong shape") {
    TarWriter w;
    w.file("manifest.json", "[{\"Config\": ");
    CHECK_THAT(indexError(w.archive()), Catch::Contains("not valid JSON"));
    TarWriter two;
    two.file("manifest.json", "[{}, {}]");
    CHECK_THAT(indexError(two.archive()), Catch::Contains("exactly one image"));
  }
  SECTION("not a tar") {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "this is not a tar archive at all\n";
    CHECK_THAT(indexError(text), Catch::Contains("not a tar"));
    CHECK_THAT(filterError(text), Catch::Contains("not a tar"));
    CHECK_THAT(indexError(""), Catch::Contains("empty"));
  }
  SECTION("no such file") {
    const auto result = indexImageArchive(dir.path / "absent.tar");
    CHECK_THAT(roam::errorText(result), Catch::Contains("absent.tar"));
    FilteredTarReader reader(dir.path / "absent.tar", {});
    std::vector<std::uint8_t> buf(100);
    CHECK(reader.read(buf) == 0);
    REQUIRE(reader.error());
    CHECK(reader.error()->code == roam::ErrorCode::Io);
    CHECK_THAT(reader.error()->message, Catch::Contains("absent.tar"));
  }
}
