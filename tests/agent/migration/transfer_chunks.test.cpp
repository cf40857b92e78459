// The transfer's two worker stages: ChunkSource (read + compress into a DATA
// frame) and storeChunk (decompress, write, hash, verify), end to end through
// the frame decoder, plus the in-place encoders they are built on.

#include <filesystem>
#include <fstream>
#include <vector>

#include <catch2/catch.hpp>

#include "seeded_bytes.hpp"

#include "agent/migration/chunk_codec.hpp"
#include "agent/migration/incoming_file.hpp"
#include "agent/migration/outgoing_chunks.hpp"
#include "agent/protocol/frame.hpp"
#include "agent/protocol/messages.hpp"
#include "crypto/sha256.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;
using roam::crypto::sha256Hex;

namespace {

// Both destination stages, one after the other (the daemon overlaps them).
StoreOutcome storeChunk(IncomingFile& file, const Data& data, std::span<const std::uint8_t> payload,
                        ChunkDecompressor& decompressor, std::vector<std::uint8_t>& plain) {
  auto verified = verifyChunk(file, data, payload, decompressor, plain);
  if (!verified.ok()) return verified;
  return writeChunk(file, plain, data.last);
}

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("roam-transfer-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

fs::path writeFile(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::vector<std::uint8_t> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

OutgoingFile volumeFile(const std::string& name, const fs::path& path,
                        const std::vector<std::uint8_t>& bytes) {
  return {FileEntry{name, "volume", "v", bytes.size(), sha256Hex(bytes)}, path, {}};
}

// Decodes one encoded frame into its DATA header and payload.
std::pair<Data, std::vector<std::uint8_t>> decodeData(const std::vector<std::uint8_t>& bytes) {
  auto prefix = decodePrefix(
      std::span<const std::uint8_t, kFramePrefixBytes>(bytes.data(), kFramePrefixBytes));
  REQUIRE(prefix.prefix);
  REQUIRE(bytes.size() ==
          kFramePrefixBytes + prefix.prefix->headerBytes + prefix.prefix->payloadBytes);
  std::vector<std::uint8_t> header(bytes.begin() + kFramePrefixBytes,
                                   bytes.begin() + kFramePrefixBytes + prefix.prefix->headerBytes);
  std::vector<std::uint8_t> payload(bytes.begin() + kFramePrefixBytes + prefix.prefix->headerBytes,
                                    bytes.end());
  auto frame = decodeFrame(header, std::move(payload));
  REQUIRE(frame.frame);
  auto message = decodeMessage(*frame.frame);
  REQUIRE(message.message);
  REQUIRE(std::holds_alternative<Data>(*message.message));
  return {std::get<Data>(*message.message), frame.frame->payload};
}

}  // namespace

TEST_CASE("encodeMessageInto builds the same frame as encodeMessage, reusing its buffer",
          "[agent]") {
  const Data data{"m1", 2, 4096, true};
  const auto payload = roamtest::seededBytes(5000, 1);
  std::vector<std::uint8_t> buffer(3 << 20, 0xee);  // a recycled, larger buffer
  encodeMessageInto(buffer, data, payload.size() + 100, [&](std::span<std::uint8_t> out) {
    std::copy(payload.begin(), payload.end(), out.begin());
    return payload.size();
  });
  CHECK(buffer == encodeMessage(data, payload));
  encodeMessageInto(buffer, data, 10, [](std::span<std::uint8_t>) { return std::size_t{0}; });
  CHECK(buffer == encodeMessage(data));
}

TEST_CASE("compressInto and decompressInto match compress and decompress", "[agent]") {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor(1 << 20);
  std::vector<std::uint8_t> plain(7, 0xaa);  // reused across chunks, any old contents
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1000}, std::size_t{1 << 20}, std::size_t{10}}) {
    const auto input = roamtest::seededBytes(size, static_cast<unsigned>(size));
    std::vector<std::uint8_t> frame(ChunkCompressor::bound(size));
    frame.resize(compressor.compressInto(input, frame));
    CHECK(frame == compressor.compress(input));
    REQUIRE(decompressor.decompressInto(frame, plain).ok());
    CHECK(plain == input);
  }
  std::vector<std::uint8_t> garbage{1, 2, 3, 4, 5};
  CHECK(roam::errorText(decompressor.decompressInto(garbage, plain)) ==
        "chunk is not a zstd frame");
  CHECK(plain.empty());
}

TEST_CASE("ChunkSource frames round-trip through storeChunk into identical files", "[agent]") {
  TempDir dir;
  const auto big = roamtest::seededBytes((1 << 20) * 2 + 12345, 7);  // three chunks of 1 MiB
  const std::vector<std::uint8_t> empty;
  std::vector<OutgoingFile> files = {
      volumeFile("big", writeFile(dir.path / "big", big), big),
      volumeFile("empty", writeFile(dir.path / "empty", empty), empty)};
  ChunkSource source(files, "m1", 1 << 20, 1);
  std::vector<IncomingFile> incoming(2);
  for (std::size_t i = 0; i < 2; ++i) {
    incoming[i].entry = files[i].entry;
    incoming[i].path = dir.path / ("in-" + files[i].entry.name);
    incoming[i].out = openFile(incoming[i].path, "wb");
  }
  ChunkDecompressor decompressor(4 << 20);
  std::vector<std::uint8_t> plain;
  std::vector<std::uint8_t> recycled;
  int frames = 0;
  std::uint64_t plainBytes = 0;
  while (true) {
    auto chunk = source.next(std::move(recycled));
    REQUIRE(chunk.ok());
    if (chunk.finished) break;
    ++frames;
    plainBytes += chunk.plainBytes;
    auto [data, payload] = decodeData(chunk.frame);
    CHECK(data.migrationId == "m1");
    CHECK(payload.size() == chunk.payloadBytes);
    CHECK(chunk.fileDone == data.last);
    auto outcome = storeChunk(incoming[data.file], data, payload, decompressor, plain);
    REQUIRE(outcome.ok());
    recycled = std::move(chunk.frame);
  }
  CHECK(frames == 4);  // 3 chunks + the empty file's one empty chunk
  CHECK(plainBytes == big.size());
  CHECK(incoming[0].complete);
  CHECK(incoming[1].complete);
  CHECK(readFile(incoming[0].path) == big);
  CHECK(readFile(incoming[1].path).empty());
  CHECK(source.next({}).finished);
}

TEST_CASE("ChunkSource reports unreadable and shrunken files as errors", "[agent]") {
  TempDir dir;
  const auto bytes = roamtest::seededBytes(1000, 3);
  auto file = volumeFile("f", dir.path / "missing", bytes);
  CHECK_FALSE(ChunkSource({file}, "m1", 1 << 20, 1).next({}).ok());

  writeFile(dir.path / "short", roamtest::seededBytes(10, 4));
  file.path = dir.path / "short";
  ChunkSource shrunk({file}, "m1", 4, 1);
  for (int i = 0; i < 3; ++i) REQUIRE(shrunk.next({}).ok());  // 4 + 4 + 2 bytes
  auto chunk = shrunk.next({});  // the 10 bytes are gone, 990 were announced
  CHECK(roam::errorText(chunk).find("shrank while being sent") != std::string::npos);
}

TEST_CASE("storeChunk refuses chunks out of order, too large or with a wrong digest", "[agent]") {
  TempDir dir;
  ChunkCompressor compressor;
  ChunkDecompressor decompressor(1 << 20);
  std::vector<std::uint8_t> plain;
  const auto bytes = roamtest::seededBytes(1000, 5);
  auto fresh = [&](std::uint64_t size, const std::string& sha) {
    IncomingFile file;
    file.entry = FileEntry{"f", "volume", "v", size, sha};
    file.path = dir.path / "f";
    file.out = openFile(file.path, "wb");
    return file;
  };
  const auto frame = compressor.compress(bytes);

  auto file = fresh(bytes.size(), sha256Hex(bytes));
  auto outcome = storeChunk(file, Data{"m", 0, 5, false}, frame, decompressor, plain);
  CHECK(outOfOrder(outcome));
  CHECK(roam::errorText(outcome) == "DATA out of order for f: offset 5, expected 0");

  file = fresh(999, sha256Hex(bytes));
  CHECK(roam::errorText(storeChunk(file, Data{"m", 0, 0, true}, frame, decompressor, plain)) ==
        "f is larger than announced");

  file = fresh(bytes.size(), std::string(64, '0'));
  outcome = storeChunk(file, Data{"m", 0, 0, true}, frame, decompressor, plain);
  CHECK_FALSE(outOfOrder(outcome));
  CHECK(roam::errorText(outcome).rfind("checksum mismatch for f", 0) == 0);

  file = fresh(bytes.size(), sha256Hex(bytes));
  auto corrupt = frame;
  corrupt.resize(corrupt.size() - 3);
  CHECK(roam::errorText(storeChunk(file, Data{"m", 0, 0, true}, corrupt, decompressor, plain))
            .rfind("corrupt chunk of f", 0) == 0);

  file = fresh(bytes.size(), sha256Hex(bytes));
  REQUIRE(storeChunk(file, Data{"m", 0, 0, true}, frame, decompressor, plain).ok());
  CHECK(file.complete);
  CHECK(outOfOrder(storeChunk(file, Data{"m", 0, 1000, true}, frame, decompressor, plain)));
}
