#pragma once
// The destination's side of the transfer off the io thread: one file being
// received, and the two stages every DATA chunk goes through on the worker
// pool. While the io thread receives and decrypts chunk N+1, one worker
// verifies chunk N (decompress, hash) and another writes chunk N-1 to the
// spool (docs/performance.md, "Migration transfer").

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "agent/migration/chunk_codec.hpp"
#include "agent/migration/file_handle.hpp"
#include "agent/protocol/messages.hpp"
#include "common/result.hpp"
#include "crypto/sha256.hpp"

namespace roam::agent {

struct IncomingFile {
  FileEntry entry;
  std::filesystem::path path;
  // Verify stage only:
  crypto::Sha256 digest;
  std::uint64_t verified = 0;  // bytes decompressed and hashed so far
  bool verifiedAll = false;    // the last chunk came and size and digest match
  // Write stage only (the stages touch disjoint fields, so they may overlap):
  FilePtr out;
  bool complete = false;  // every byte is written and the file is closed
};

// Success when the chunk passed the stage. The code Protocol marks a protocol
// violation (the stream is not trusted); Checksum, BadInput and Io the others.
using StoreOutcome = roam::Status;

inline bool outOfOrder(const StoreOutcome& outcome) {
  return !outcome.ok() && outcome.error().code == roam::ErrorCode::Protocol;
}

// Verify stage: checks DATA/PAYLOAD continues FILE where it left off,
// decompresses it into PLAIN, checks the file stays within its announced size
// and hashes it; on the file's last chunk checks the size and SHA-256 against
// the announcement. One chunk at a time per file and decompressor.
StoreOutcome verifyChunk(IncomingFile& file, const Data& data,
                         std::span<const std::uint8_t> payload, ChunkDecompressor& decompressor,
                         std::vector<std::uint8_t>& plain);

// Write stage, for a chunk that passed verifyChunk: appends PLAIN to the
// file; after the LAST chunk flushes and closes it (complete).
StoreOutcome writeChunk(IncomingFile& file, std::span<const std::uint8_t> plain, bool last);

}  // namespace roam::agent
