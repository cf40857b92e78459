// Sha256 against the FIPS 180-2 test vectors, fed whole and piecewise.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "crypto/sha256.hpp"

using roam::crypto::Sha256;

namespace {
std::span<const std::uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("Sha256 matches the standard test vectors", "[agent]") {
  Sha256 h;
  CHECK(h.hexDigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.update(bytesOf("abc"));
  CHECK(h.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  h.update(bytesOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
  CHECK(h.hexDigest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("Sha256 gives the same digest however the input is split", "[agent]") {
  const std::string million(1000000, 'a');
  Sha256 whole;
  whole.update(bytesOf(million));
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  CHECK(whole.hexDigest() == expected);

  Sha256 pieces;
  std::size_t pos = 0, step = 1;
  while (pos < million.size()) {
    const std::size_t n = std::min(step, million.size() - pos);
    pieces.update(bytesOf(million.substr(pos, n)));
    pos += n;
    step = step * 3 + 1;  // uneven sizes, crossing the 64-byte block boundary
  }
  pieces.update({});  // an empty update changes nothing
  CHECK(pieces.hexDigest() == expected);
  CHECK(roam::crypto::sha256Hex(bytesOf(million)) == expected);
}

TEST_CASE("Sha256 starts over after hexDigest", "[agent]") {
  Sha256 h;
  h.update(bytesOf("something else entirely"));
  (void)h.hexDigest();
  h.update(bytesOf("abc"));
  CHECK(h.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(h.hexDigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
