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
    REQUIRE(out.error.empty());
    CHECK(out.bytes == input);
  }
  CHECK(compressor.compress(textLike(1 << 20)).size() < 10000);  // it does compress

  ChunkCompressor strong(19);
  const auto input = textLike(100000);
  CHECK(decompressor.decompress(strong.compress(input)).bytes == input);
}

TEST_CASE("ChunkDecompressor rejects frames over the limit before allocating", "[agent]") {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor(1000);
  CHECK(decompressor.decompress(compressor.compress(textLike(1000))).error.empty());
  const auto out = decompressor.decompress(compressor.compress(textLike(1001)));
  CHECK(out.bytes.empty());
  CHECK_THAT(out.error, Catch::Contains("1001") && Catch::Contains("limit"));
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
  CHECK(out.bytes.empty());
  CHECK_THAT(out.error, Catch::Contains("content size"));
}

TEST_CASE("ChunkDecompressor rejects corrupt, truncated and padded frames", "[agent]") {
  ChunkCompressor compressor;
  ChunkDecompressor decompressor(1 << 20);
  const auto input = textLike(50000);
  const auto frame = compressor.compress(input);

  SECTION("trailing bytes") {
    auto padded = frame;
    padded.push_back(0);
    CHECK_THAT(decompressor.decompress(padded).error, Catch::Contains("trailing"));
  }
  SECTION("two frames") {
    auto two = frame;
    const auto second = compressor.compress(input);
    two.insert(two.end(), second.begin(), second.end());
    CHECK_THAT(decompressor.decompress(two).error, Catch::Contains("trailing"));
  }
  SECTION("truncated") {
    auto cut = frame;
    cut.pop_back();
    CHECK_THAT(decompressor.decompress(cut).error, Catch::Contains("corrupt or truncated"));
    CHECK(!decompressor.decompress(std::span(frame).first(3)).error.empty());
    CHECK(!decompressor.decompress({}).error.empty());
  }
  SECTION("corrupt blocks") {
    auto bad = frame;
    // Keep the frame header (magic, descriptor, size), wreck the block headers.
    for (std::size_t i = 8; i < bad.size(); ++i) bad[i] = 0xff;
    const auto out = decompressor.decompress(bad);
    CHECK(out.bytes.empty());
    CHECK(!out.error.empty());
  }
  SECTION("not zstd at all") {
    const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
    CHECK_THAT(decompressor.decompress(text).error, Catch::Contains("not a zstd frame"));
  }
  SECTION("a skippable frame") {
    std::vector<std::uint8_t> skippable = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    CHECK_THAT(decompressor.decompress(skippable).error, Catch::Contains("not a zstd frame"));
  }
  // The decompressor stays usable after a rejection.
  CHECK(decompressor.decompress(frame).bytes == input);
}
