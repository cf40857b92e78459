#include "agent/migration/chunk_codec.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

#include <zstd.h>

namespace roam::agent {

void ChunkCompressor::CCtxDeleter::operator()(ZSTD_CCtx_s* ctx) const {
  ZSTD_freeCCtx(ctx);
}
void ChunkDecompressor::DCtxDeleter::operator()(ZSTD_DCtx_s* ctx) const {
  ZSTD_freeDCtx(ctx);
}

ChunkCompressor::ChunkCompressor(int level) : ctx_(ZSTD_createCCtx()) {
  if (!ctx_) throw std::bad_alloc();
  // zstd clamps an out-of-range level itself; the content size is on by default
  // but the receiver depends on it, so it is requested explicitly.
  ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_checksumFlag, 0);  // the stream has its own checksum
}

namespace {

// RFC 8878: a frame header of 4 magic bytes, the descriptor and an 8-byte
// content size; then blocks of at most 128 KiB, each with a 3-byte header.
constexpr std::size_t kFrameHeaderBytes = 4 + 1 + 8;
constexpr std::size_t kBlockHeaderBytes = 3;
constexpr std::size_t kMaxBlockBytes = 128 * 1024;

std::size_t storedSize(std::size_t size) {
  const std::size_t blocks = size == 0 ? 1 : (size + kMaxBlockBytes - 1) / kMaxBlockBytes;
  return kFrameHeaderBytes + blocks * kBlockHeaderBytes + size;
}

}  // namespace

std::size_t ChunkCompressor::bound(std::size_t size) {
  return std::max(ZSTD_compressBound(size), storedSize(size));
}

std::size_t ChunkCompressor::storeInto(std::span<const std::uint8_t> bytes,
                                       std::span<std::uint8_t> out) {
  if (out.size() < storedSize(bytes.size()))
    throw std::length_error("zstd: the output cannot hold the stored frame");
  std::uint8_t* p = out.data();
  auto littleEndian = [&p](std::uint64_t value, int count) {
    for (int i = 0; i < count; ++i) *p++ = static_cast<std::uint8_t>(value >> (8 * i));
  };
  littleEndian(ZSTD_MAGICNUMBER, 4);
  // Descriptor: an 8-byte content size (flag 3), single segment (the window
  // is the content, so no window descriptor), no checksum, no dictionary.
  *p++ = 0xE0;
  littleEndian(bytes.size(), 8);
  std::size_t done = 0;
  do {
    const std::size_t n = std::min(kMaxBlockBytes, bytes.size() - done);
    const bool lastBlock = done + n == bytes.size();
    // Block header: bit 0 last block, bits 1-2 type (0: raw), bits 3-23 size.
    littleEndian((std::uint64_t{n} << 3) | (lastBlock ? 1u : 0u), 3);
    if (n > 0) std::memcpy(p, bytes.data() + done, n);
    p += n;
    done += n;
  } while (done < bytes.size());
  return static_cast<std::size_t>(p - out.data());
}

std::size_t ChunkCompressor::compressInto(std::span<const std::uint8_t> bytes,
                                          std::span<std::uint8_t> out) {
  const std::size_t n =
      ZSTD_compress2(ctx_.get(), out.data(), out.size(), bytes.data(), bytes.size());
  // With a compressBound-sized output, compression only fails on allocation
  // failure inside zstd: not an expected outcome, and there is no error channel.
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  return n;
}

std::vector<std::uint8_t> ChunkCompressor::compress(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> out(bound(bytes.size()));
  out.resize(compressInto(bytes, out));
  return out;
}

namespace {

// Why FRAME is not one acceptable zstd frame, or ""; sets DECLARED, its content size.
std::string checkFrame(std::span<const std::uint8_t> frame, std::size_t maxChunkBytes,
                       unsigned long long& declared) {
  // Check the magic first: a skippable frame would otherwise pass as "content
  // size 0" and hide whatever follows it.
  if (frame.size() < 4 ||
      (std::uint32_t{frame[0]} | std::uint32_t{frame[1]} << 8 | std::uint32_t{frame[2]} << 16 |
       std::uint32_t{frame[3]} << 24) != ZSTD_MAGICNUMBER)
    return "chunk is not a zstd frame";
  declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return "chunk has a corrupt zstd frame header";
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN)
    return "chunk's zstd frame does not declare its content size";
  if (declared > maxChunkBytes)
    return "chunk declares " + std::to_string(declared) + " bytes, more than the limit of " +
           std::to_string(maxChunkBytes);
  const std::size_t frameBytes = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frameBytes))
    return std::string("chunk's zstd frame is corrupt or truncated: ") +
           ZSTD_getErrorName(frameBytes);
  if (frameBytes != frame.size())
    return "chunk has " + std::to_string(frame.size() - frameBytes) +
           " trailing bytes after its zstd frame";

  return "";
}

}  // namespace

ChunkDecompressor::ChunkDecompressor(std::size_t maxChunkBytes)
    : maxChunkBytes_(maxChunkBytes), ctx_(ZSTD_createDCtx()) {
  if (!ctx_) throw std::bad_alloc();
}

roam::Result<std::vector<std::uint8_t>> ChunkDecompressor::decompress(
    std::span<const std::uint8_t> frame) {
  std::vector<std::uint8_t> bytes;
  if (auto done = decompressInto(frame, bytes); !done.ok()) return std::move(done.error());
  return bytes;
}

roam::Status ChunkDecompressor::decompressInto(std::span<const std::uint8_t> frame,
                                               std::vector<std::uint8_t>& out) {
  unsigned long long declared = 0;
  if (auto error = checkFrame(frame, maxChunkBytes_, declared); !error.empty()) {
    out.clear();
    return roam::Error{roam::ErrorCode::BadInput, error};
  }
  // Resized, not cleared first: a reused buffer of the right size is not
  // zeroed again only to be overwritten.
  out.resize(static_cast<std::size_t>(declared));
  const std::size_t n =
      ZSTD_decompressDCtx(ctx_.get(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != declared) {
    out.clear();
    return roam::Error{roam::ErrorCode::BadInput,
                       ZSTD_isError(n)
                           ? std::string("chunk's zstd frame is corrupt: ") + ZSTD_getErrorName(n)
                           : "chunk decompressed to " + std::to_string(n) +
                                 " bytes, not the declared " + std::to_string(declared)};
  }
  return {};
}

}  // namespace roam::agent
