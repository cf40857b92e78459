// ChunkCompressor/ChunkDecompressor: round trips and every rejection the
// receiver relies on to bound its memory.

#include <vector>

#include <zstd.h>
#include <catch2/catch.hpp>

#include "seeded_bytes.hpp"

#include "agent/migration/chunk_codec.hpp"

using roam::agent::ChunkCompressor;
using roam::agent::ChunkDecompressor;

namespace {

std::vector<std::uint8_t> textLike(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>("roam migrates\n"[i % 14]);
  return v;
}

}  // namespace

TEST_CASE("ChunkCompressor output round-trips through ChunkDecompressor", "[agent]") {
  ChunkCompressor compressor;  // one context reused for every chunk
  ChunkDecompressor decompressor(4 << 20);
  const std::vector<std::vector<std::uint8_t>> inputs = {
      {}, {42}, textLike(1 << 20), roamtest::seededBytes(300000, 1), textLike(4 << 20)};
  for (const auto& input : inputs) {
    INFO("input of " << input.size() << " bytes");
    const auto frame = compressor.compress(input);
    CHECK(ZSTD_getFrameContentSize(frame.data(), frame.size()) == input.size());
    const auto out = decompressor.decompress(frame);
    REQUIRE(out.ok());
    CHECK(*out == input);
  }
  CHECK(compressor.compress(textLike(1 << 20)).size() < 10000);  // it does compress

  ChunkCompressor strong(19);
  const auto input = textLike(100000);
  CHECK(*decompressor.decompress(strong.compress(input)) == input);
}

TEST_CASE("a stored frame is a zstd frame that zstd itself decodes", "[agent]") {
  ChunkDecompressor decompressor(4 << 20);
  // Empty, one byte, exactly one 128 KiB block, one byte more, several blocks.
  for (std::size_t size : {0, 1, 128 * 1024, 128 * 1024 + 1, (1 << 20) + 7}) {
    INFO(size);
    const auto bytes = roamtest::seededBytes(size, static_cast<unsigned>(size));
    std::vector<std::uint8_t> frame(ChunkCompressor::bound(size));
    frame.resize(ChunkCompressor::storeInto(bytes, frame));
    CHECK(frame.size() == 13 + 3 * std::max<std::size_t>(1, (size + 131071) / 131072) + size);

    std::vector<std::uint8_t> direct(size + 1);
    const std::size_t n = ZSTD_decompress(direct.data(), direct.size(), frame.data(), frame.size());
    REQUIRE_FALSE(ZSTD_isError(n));
    direct.resize(n);
    CHECK(direct == bytes);
    CHECK(ZSTD_getFrameContentSize(frame.data(), frame.size()) == size);

    auto decoded = decompressor.decompress(frame);
    REQUIRE(decoded.ok());
    CHECK(*decoded == bytes);
  }
  std::vector<std::uint8_t> tooSmall(10);
  CHECK_THROWS(ChunkCompressor::storeInto(std::vector<std::uint8_t>(1), tooSmall));
}

TEST_CASE("ChunkDecompressor rejects frames over the limit before allocating", "[agent]") {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor(1000);
  CHECK(decompressor.decompress(compressor.compress(textLike(1000))).ok());
  const auto out = decompressor.decompress(compressor.compress(textLike(1001)));
  CHECK_FALSE(out.ok());
  CHECK_THAT(roam::errorText(out), Catch::Contains("1001") && Catch::Contains("limit"));
}

TEST_CASE("ChunkDecompressor rejects frames without a content size", "[agent]") {
  auto* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0);
  const auto input = textLike(5000);
  std::vector<std::uint8_t> frame(ZSTD_compressBound(input.size()));
  frame.resize(ZSTD_compress2(ctx, frame.data(), frame.size(), input.data(), input.size()));
  ZSTD_freeCCtx(ctx);
  REQUIRE(ZSTD_getFrameContentSize(frame.data(), frame.size()) == ZSTD_CONTENTSIZE_UNKNOWN);

  const auto out = ChunkDecompressor(1 << 20).decompress(frame);
  CHECK_FALSE(out.ok());
  CHECK_THAT(roam::errorText(out), Catch::Contains("content size"));
}

TEST_CASE("ChunkDecompressor rejects corrupt, truncated and padded frames", "[agent]") {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor(1 << 20);
  const auto input = textLike(50000);
  const auto frame = compressor.compress(input);

  SECTION("trailing bytes") {
    auto padded = frame;
    padded.push_back(0);
    CHECK_THAT(roam::errorText(decompressor.decompress(padded)), Catch::Contains("trailing"));
  }
  SECTION("two frames") {
    auto two = frame;
    const auto second = compressor.compress(input);
    two.insert(two.end(), second.begin(), second.end());
    CHECK_THAT(roam::errorText(decompressor.decompress(two)), Catch::Contains("trailing"));
  }
  SECTION("truncated") {
    auto cut = frame;
    cut.pop_back();
    CHECK_THAT(roam::errorText(decompressor.decompress(cut)),
               Catch::Contains("corrupt or truncated"));
    CHECK(!decompressor.decompress(std::span(frame).first(3)).ok());
    CHECK(!decompressor.decompress({}).ok());
  }
  SECTION("corrupt blocks") {
    auto bad = frame;
    // Keep the frame header (magic, descriptor, size), wreck the block headers.
    for (std::size_t i = 8; i < bad.size(); ++i) bad[i] = 0xff;
    const auto out = decompressor.decompress(bad);
    CHECK_FALSE(out.ok());
    CHECK(!roam::errorText(out).empty());
  }
  SECTION("not zstd at all") {
    const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
    CHECK_THAT(roam::errorText(decompressor.decompress(text)), Catch::Contains("not a zstd frame"));
  }
  SECTION("a skippable frame") {
    std::vector<std::uint8_t> skippable = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    CHECK_THAT(roam::errorText(decompressor.decompress(skippable)),
               Catch::Contains("not a zstd frame"));
  }
  // The decompressor stays usable after a rejection.
  CHECK(*decompressor.decompress(frame) == input);
}
