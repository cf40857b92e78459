// The transfer's worker stages: StreamChunker (read + compress into a DATA
// frame) and StreamAssembler (check the order, decompress, hash, write), end to
// end through the frame decoder, plus the in-place encoders they are built on.

#include <filesystem>
#include <fstream>
#include <vector>

#include <catch2/catch.hpp>

#include "seeded_bytes.hpp"

#include "agent/migration/chunk_codec.hpp"
#include "agent/migration/stream_checksum.hpp"
#include "agent/migration/stream_chunks.hpp"
#include "agent/protocol/frame.hpp"
#include "agent/protocol/messages.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;
using roam::agent::streamChecksumHex;

namespace {

// Decodes one encoded frame into its DATA header and payload.
std::pair<Data, std::vector<std::uint8_t>> decodeData(const std::vector<std::uint8_t>& bytes) {
  auto prefix = decodePrefix(
      std::span<const std::uint8_t, kFramePrefixBytes>(bytes.data(), kFramePrefixBytes));
  REQUIRE(prefix.ok());
  REQUIRE(bytes.size() == kFramePrefixBytes + prefix->headerBytes + prefix->payloadBytes);
  std::vector<std::uint8_t> header(bytes.begin() + kFramePrefixBytes,
                                   bytes.begin() + kFramePrefixBytes + prefix->headerBytes);
  std::vector<std::uint8_t> payload(bytes.begin() + kFramePrefixBytes + prefix->headerBytes,
                                    bytes.end());
  auto frame = decodeFrame(header, std::move(payload));
  REQUIRE(frame.ok());
  auto message = decodeMessage(*frame);
  REQUIRE(message.ok());
  REQUIRE(std::holds_alternative<Data>(*message));
  return {std::get<Data>(*message), frame->payload};
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

TEST_CASE("a stream's frames reassemble into the same bytes and digest", "[agent]") {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{4097},
                           std::size_t{3 * 4096 + 17}}) {
    INFO(size);
    const auto bytes = roamtest::seededBytes(size, 7);
    std::size_t at = 0;
    // Odd-sized reads: the chunker fills each chunk from several.
    StreamReader read = [&](std::span<std::uint8_t> out) -> roam::Result<std::size_t> {
      const std::size_t n = std::min({out.size(), std::size_t{1000}, bytes.size() - at});
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), n, out.begin());
      at += n;
      return n;
    };
    StreamChunker chunker(read, "m", 4096, 1);
    std::vector<std::uint8_t> received;
    StreamAssembler assembler(
        [&](std::span<const std::uint8_t> b) -> roam::Status {
          received.insert(received.end(), b.begin(), b.end());
          return {};
        },
        "m", 1 << 20, size);
    int frames = 0;
    while (true) {
      auto chunk = chunker.next({});
      REQUIRE(chunk.ok());
      if (chunk.finished) break;
      ++frames;
      auto [data, payload] = decodeData(chunk.frame);
      CHECK(data.last == chunk.fileDone);
      REQUIRE(assembler.add(data, payload).ok());
      if (chunk.fileDone) break;
    }
    CHECK(frames == static_cast<int>(size / 4096 + 1));
    CHECK(assembler.ended());
    CHECK(received == bytes);
    CHECK(assembler.checksum() == streamChecksumHex(bytes));
    CHECK(chunker.checksum() == assembler.checksum());
    CHECK(chunker.next({}).finished);
  }
}

TEST_CASE("a stream chunker stores chunks that do not compress and compresses the rest",
          "[agent]") {
  auto chunked = [](const std::vector<std::uint8_t>& bytes) {
    std::size_t at = 0;
    StreamReader read = [&](std::span<std::uint8_t> out) -> roam::Result<std::size_t> {
      const std::size_t n = std::min(out.size(), bytes.size() - at);
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), n, out.begin());
      at += n;
      return n;
    };
    StreamChunker chunker(read, "m", 64 * 1024, 1);
    StreamAssembler assembler([](std::span<const std::uint8_t>) -> roam::Status { return {}; }, "m",
                              1 << 20, bytes.size());
    std::uint64_t wire = 0;
    while (true) {
      auto chunk = chunker.next({});
      REQUIRE(chunk.ok());
      if (chunk.finished) break;
      wire += chunk.payloadBytes;
      auto [data, payload] = decodeData(chunk.frame);
      REQUIRE(assembler.add(data, payload).ok());
      if (chunk.fileDone) break;
    }
    CHECK(assembler.checksum() == streamChecksumHex(bytes));
    return std::pair{chunker.storedChunks(), wire};
  };
  // 40 chunks of random bytes: the first is tried and does not compress, the
  // next kStoredRun are stored, then compression is tried again, and so on.
  const auto random = roamtest::seededBytes(40 * 64 * 1024, 9);
  auto [stored, wire] = chunked(random);
  CHECK(stored >= 40 - 3 - 1);
  CHECK(stored <= 41 - 3);
  CHECK(wire < random.size() + random.size() / 100);

  std::vector<std::uint8_t> text(40 * 64 * 1024);
  for (std::size_t i = 0; i < text.size(); ++i)
    text[i] = static_cast<std::uint8_t>("line 12345 of the log\n"[i % 22]);
  auto [textStored, textWire] = chunked(text);
  CHECK(textStored == 0);
  CHECK(textWire < text.size() / 20);
}

TEST_CASE("a stream chunker reports the reader's error", "[agent]") {
  StreamReader read = [](std::span<std::uint8_t>) -> roam::Result<std::size_t> {
    return roam::Error{roam::ErrorCode::Io, "cannot read /layer/x: Input/output error"};
  };
  StreamChunker chunker(read, "m", 4096, 1);
  auto chunk = chunker.next({});
  REQUIRE_FALSE(chunk.ok());
  CHECK(chunk.error().message == "cannot read /layer/x: Input/output error");
}

TEST_CASE("a stream assembler refuses frames out of order, too large or corrupt", "[agent]") {
  ChunkCompressor compressor;
  const auto bytes = roamtest::seededBytes(1000, 5);
  const auto frame = compressor.compress(bytes);
  auto sink = [](std::span<const std::uint8_t>) -> roam::Status { return {}; };
  auto code = [](const roam::Status& s) {
    return s.ok() ? roam::ErrorCode::Internal : s.error().code;
  };

  StreamAssembler wrongOffset(sink, "m", 1 << 20, 5000);
  auto outcome = wrongOffset.add(Data{"m", 0, 5, false}, frame);
  CHECK(code(outcome) == roam::ErrorCode::Protocol);
  CHECK(roam::errorText(outcome) == "DATA at offset 5 where the stream is at 0");

  StreamAssembler otherMigration(sink, "m", 1 << 20, 5000);
  CHECK(code(otherMigration.add(Data{"n", 0, 0, false}, frame)) == roam::ErrorCode::Protocol);

  StreamAssembler tooSmall(sink, "m", 1 << 20, 999);
  CHECK(roam::errorText(tooSmall.add(Data{"m", 0, 0, true}, frame)) ==
        "the stream grows past its 999 bytes");

  StreamAssembler corrupt(sink, "m", 1 << 20, 5000);
  auto cut = frame;
  cut.resize(cut.size() - 3);
  CHECK(code(corrupt.add(Data{"m", 0, 0, true}, cut)) == roam::ErrorCode::BadInput);

  StreamAssembler ended(sink, "m", 1 << 20, 5000);
  REQUIRE(ended.add(Data{"m", 0, 0, true}, frame).ok());
  CHECK(ended.checksum() == streamChecksumHex(bytes));
  CHECK(code(ended.add(Data{"m", 0, 1000, true}, frame)) == roam::ErrorCode::Protocol);

  StreamAssembler writerFails(
      [](std::span<const std::uint8_t>) -> roam::Status {
        return roam::Error{roam::ErrorCode::Io, "disk full"};
      },
      "m", 1 << 20, 5000);
  CHECK(roam::errorText(writerFails.add(Data{"m", 0, 0, false}, frame)) == "disk full");
}
