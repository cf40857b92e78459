#pragma once
// "Digital fountain" droplets of the master secret S (issue 7, scheme
// `fountain`): S is zero-padded to a multiple of K and cut into K source blocks
// B_0..B_{K-1}; a droplet is a random linear combination of them over GF(2^8),
// carried with its coefficient vector: value = sum_j c_j * B_j (byte-wise).
// Any K droplets whose coefficient vectors are linearly independent give S back
// by Gaussian elimination; dependent droplets add nothing, so the source agent
// asks for more until its FountainDecoder reaches rank K.
//
// Distribution rule for the manager: k-1 or fewer droplets span at most a
// (k-1)-dimensional space, which can never determine all K blocks, so giving
// each host at most maxDropletsPerHost(k) = k-1 droplets keeps any single host
// from decoding S alone. (Two colluding hosts may; that is the threshold the
// scheme offers, as with Shamir's K.) Padding length is not secret: the decoder
// is told the original length.
//
// Unlike Shamir's k-1 shares, k-1 droplets do leak partial information about S
// (they fix k-1 linear combinations of the blocks); what they never give is S.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "crypto/secure_bytes.hpp"

namespace roam::crypto {

struct Droplet {
  Bytes coefficients;  // K bytes over GF(2^8), never all zero
  Bytes value;         // blockSize bytes: sum_j coefficients[j] * block_j

  bool operator==(const Droplet&) const = default;
};

// ceil(secretLength / k): the length of every source block and droplet value.
std::size_t fountainBlockSize(std::size_t secretLength, int k);

// COUNT droplets of SECRET cut into K blocks; random coefficients from OpenSSL's
// RNG, the all-zero vector redrawn. Throws std::invalid_argument unless
// 1 <= k <= 255, count >= 0 and SECRET is not empty.
std::vector<Droplet> fountainEncode(std::span<const std::uint8_t> secret, int k, int count);

// The most droplets the manager may give one host: k - 1 (see above).
int maxDropletsPerHost(int k);

// Incremental Gaussian elimination over GF(2^8): the rows kept are in reduced
// row echelon form, so once the rank is K the values are the source blocks.
class FountainDecoder {
 public:
  // Throws std::invalid_argument unless 1 <= k <= 255 and secretLength > 0.
  FountainDecoder(int k, std::size_t secretLength);

  // True when DROPLET raised the rank (it was independent of those before);
  // false when it was dependent, malformed (wrong coefficient count or value
  // length) or the decoder is already complete.
  bool add(const Droplet& droplet);
  int rank() const { return static_cast<int>(rows_.size()); }
  bool complete() const { return rank() == k_; }
  // S (the original length, padding dropped) once complete(); nullopt before.
  std::optional<SecretBytes> decode() const;

 private:
  struct Row {
    std::size_t pivot;  // the column of this row's leading 1
    Bytes coefficients;
    SecretBytes value;
  };

  int k_;
  std::size_t secretLength_;
  std::size_t blockSize_;
  std::vector<Row> rows_;
};

}  // namespace roam::crypto
