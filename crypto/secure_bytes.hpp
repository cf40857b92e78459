#pragma once
// Byte buffers for Moving Target Defense key material (issue 7). Bytes is the
// plain buffer for public data (shares on the wire, sealed tables); SecretBytes
// owns secret data (the master secret S, derived keys) and wipes it with
// OPENSSL_cleanse whenever it lets go of it, so a secret does not outlive its use
// in freed heap memory. It is move-only: a copy must be asked for with clone().

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace roam::crypto {

using Bytes = std::vector<std::uint8_t>;

class SecretBytes {
 public:
  SecretBytes() = default;
  // N zero bytes, to be filled through data().
  explicit SecretBytes(std::size_t n);
  // A copy of BYTES (the caller remains responsible for wiping its own copy).
  explicit SecretBytes(std::span<const std::uint8_t> bytes);
  // Takes over BYTES' buffer without copying it.
  explicit SecretBytes(Bytes&& bytes) noexcept;
  ~SecretBytes();

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  // The moved-from object is left empty; its old buffer (now ours) is never
  // reallocated, so no unwiped copy remains behind.
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  SecretBytes clone() const { return SecretBytes(view()); }

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::span<const std::uint8_t> view() const { return bytes_; }
  std::span<std::uint8_t> mutableView() { return bytes_; }

  // Wipes and empties the buffer.
  void clear() noexcept;

 private:
  Bytes bytes_;
};

// N bytes from OpenSSL's CSPRNG (RAND_bytes); throws std::runtime_error when the
// generator fails.
Bytes randomBytes(std::size_t n);
// The same into an existing buffer.
void fillRandom(std::span<std::uint8_t> out);

}  // namespace roam::crypto
