#pragma once
// One MTD epoch (docs/mtd.md): what the manager makes at setup, and how the
// source agent turns gathered key material and R into a destination.
//
//   manager:  buildEpoch(...)            -> sealed table + each host's material
//   source:   indexFor(...)              -> the table index from R
//             shamirCombine / FountainDecoder / its prf key -> S
//             openLookupTable(...)       -> the table (fails on a wrong share)
//             destinationAt(...)         -> the entry, skipping the source itself
//
// The scheme names are the policy language's: "shamir", "fountain", "prf".

#include <cstdint>
#include <optional>
#include <string>

#include <vector>

#include "common/result.hpp"
#include "crypto/fountain.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/shamir.hpp"

namespace roam::crypto {

inline constexpr std::size_t kMasterSecretSize = 32;
inline constexpr std::size_t kRandomSize = 32;  // R

// One destination of the lookup table.
struct TableEntry {
  std::string name;     // the host's name
  std::string address;  // its agent's data address, HOST:PORT
  bool operator==(const TableEntry&) const = default;
};

// What one host receives at setup besides the sealed table.
struct HostMaterial {
  std::string name;
  std::uint64_t x = 0, y = 0;            // its private key point (X, Y)
  std::optional<Share> share;            // shamir: its share of S
  std::vector<Droplet> droplets;         // fountain: at most k-1 droplets of S
  std::optional<SecretBytes> masterKey;  // prf: S itself (no gathering)
};

struct Epoch {
  std::string id;
  std::string scheme;
  int k = 0;
  std::size_t secretLength = kMasterSecretSize;
  std::uint32_t entries = 0;        // N+1
  Bytes sealedTable;                // nonce || ciphertext || tag
  std::vector<HostMaterial> hosts;  // in the order given to buildEpoch
};

// A fresh epoch id: "e-<unix ms>-<8 hex>".
std::string newEpochId();

// Makes S, seals TABLE under it and gives every host of HOSTS its point and key
// material. Errors (ErrorCode::BadInput, nothing thrown): unknown scheme, an empty table,
// more than 255 entries or hosts, shamir with k outside 1..hosts-1 (the source
// asks k OTHER hosts), fountain with too few droplets outside any one host
// ((hosts-1)*(k-1) < k) or k outside 2..255.
roam::Result<Epoch> buildEpoch(const std::string& id, const std::string& scheme, int k,
                               const std::vector<TableEntry>& table,
                               const std::vector<std::string>& hosts);

// The table's plaintext form: a JSON array of {"name", "address"}.
Bytes encodeTable(const std::vector<TableEntry>& table);
// ErrorCode::BadAnswer for anything but a JSON array of 1..255 entries.
roam::Result<std::vector<TableEntry>> decodeTable(const Bytes& plaintext);

// The index R selects for a host: H(R, X*Y) mod entries for shamir and
// fountain, HMAC-SHA256(S, R) mod entries for prf (S is then the host's
// masterKey; without one the index is 0).
std::uint32_t indexFor(const std::string& scheme, std::span<const std::uint8_t> r,
                       const HostMaterial& self, std::uint32_t entries);

// Seals/opens with the key derived from S for this epoch. A wrong S (a wrong
// share or droplet) or a tampered table gives "MTD: the lookup table did not
// authenticate" (ErrorCode::Checksum).
roam::Result<std::vector<TableEntry>> openLookupTable(const SecretBytes& masterSecret,
                                                      const std::string& epochId,
                                                      const Bytes& sealed);

// The entry at INDEX, or the next one when that names SELF (docs/mtd.md: the
// rule is deterministic so the destination does not depend on who computes it).
// ErrorCode::NotFound when the table is empty or names only SELF.
roam::Result<TableEntry> destinationAt(const std::vector<TableEntry>& table, std::uint32_t index,
                                       const std::string& self);

}  // namespace roam::crypto
