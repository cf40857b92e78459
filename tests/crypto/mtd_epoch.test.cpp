// An MTD epoch end to end in memory: the manager's setup, then the source's
// side (index, gathering, rebuild, open, destination) for each scheme.

#include <catch2/catch.hpp>

#include "crypto/epoch.hpp"
#include "crypto/mtd_index.hpp"

using namespace roam::crypto;

namespace {

const std::vector<std::string> kHosts = {"h1", "h2", "h3", "h4", "h5"};

std::vector<TableEntry> table() {
  std::vector<TableEntry> t;
  for (const auto& h : kHosts) t.push_back({h, "10.0.0." + h.substr(1) + ":7070"});
  return t;
}

Epoch build(const std::string& scheme, int k) {
  auto built = buildEpoch("e-1-abc", scheme, k, table(), kHosts);
  if (!built) FAIL(built.error().message);
  return std::move(*built);
}

std::vector<TableEntry> opened(const SecretBytes& s, const Epoch& e) {
  auto t = openLookupTable(s, e.id, e.sealedTable);
  if (!t) FAIL(t.error().message);
  return *t;
}

}  // namespace

TEST_CASE("mtd epoch: shamir shares of k other hosts open the table", "[mtd]") {
  auto e = build("shamir", 3);
  REQUIRE(e.hosts.size() == 5);
  CHECK(e.entries == 5);
  for (const auto& h : e.hosts) {
    REQUIRE(h.share);
    CHECK(h.droplets.empty());
    CHECK_FALSE(h.masterKey);
  }
  // The source h2 asks h1, h4, h5.
  auto combined = shamirCombine({*e.hosts[0].share, *e.hosts[3].share, *e.hosts[4].share});
  REQUIRE(combined.ok());
  CHECK(opened(*combined, e) == table());

  // k-1 shares rebuild some other value, which the table's tag refuses.
  auto short_ = shamirCombine({*e.hosts[0].share, *e.hosts[3].share});
  REQUIRE(short_.ok());
  auto refused = openLookupTable(*short_, e.id, e.sealedTable);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message == "MTD: the lookup table did not authenticate");
}

TEST_CASE("mtd epoch: fountain droplets: no host decodes alone, two others do", "[mtd]") {
  auto e = build("fountain", 3);
  for (const auto& h : e.hosts) CHECK(h.droplets.size() == 2);
  FountainDecoder alone(3, e.secretLength);
  for (const auto& d : e.hosts[0].droplets) alone.add(d);
  CHECK_FALSE(alone.complete());

  FountainDecoder gathered(3, e.secretLength);
  for (int host : {2, 3})
    for (const auto& d : e.hosts[host].droplets) gathered.add(d);
  REQUIRE(gathered.complete());
  auto secret = gathered.decode();
  REQUIRE(secret);
  CHECK(opened(*secret, e) == table());
}

TEST_CASE("mtd epoch: prf gives every host the key and its own index", "[mtd]") {
  CHECK(buildEpoch("e-1-abc", "prf", 0, table(), kHosts).ok());
  auto e = build("prf", 1);
  Bytes r(kRandomSize, 0x42);
  for (const auto& h : e.hosts) {
    REQUIRE(h.masterKey);
    CHECK(opened(*h.masterKey, e) == table());
    CHECK(indexFor("prf", r, h, e.entries) == prfIndex(h.masterKey->view(), r, e.entries));
  }
}

TEST_CASE("mtd epoch: shamir and fountain index from the host's own point", "[mtd]") {
  auto e = build("shamir", 2);
  Bytes r(kRandomSize, 7);
  const auto& h = e.hosts[1];
  CHECK(indexFor("shamir", r, h, e.entries) == tableIndex(r, h.x, h.y, e.entries));
  CHECK(indexFor("shamir", r, h, e.entries) < e.entries);
  // Points differ between hosts (64 random bits each).
  CHECK(e.hosts[0].x != e.hosts[1].x);
}

TEST_CASE("mtd epoch: a tampered table is refused", "[mtd]") {
  auto e = build("prf", 1);
  e.sealedTable[20] ^= 1;
  auto t = openLookupTable(*e.hosts[0].masterKey, e.id, e.sealedTable);
  REQUIRE_FALSE(t.ok());
  // And the same table under another epoch's id.
  auto f = build("prf", 1);
  auto other = openLookupTable(*f.hosts[0].masterKey, "e-2-def", f.sealedTable);
  CHECK_FALSE(other.ok());
}

TEST_CASE("mtd epoch: the index naming the source moves on to the next entry", "[mtd]") {
  auto t = table();
  auto at = [&](std::uint32_t i, const std::string& self) {
    auto d = destinationAt(t, i, self);
    REQUIRE(d.ok());
    return d->name;
  };
  CHECK(at(3, "h2") == "h4");
  CHECK(at(1, "h2") == "h3");  // index 1 is h2 itself
  CHECK(at(4, "h5") == "h1");  // wraps around
  auto alone = destinationAt({{"h1", "a:1"}}, 0, "h1");
  REQUIRE_FALSE(alone.ok());
  CHECK(alone.error().message == "MTD: no other host in the table");
}

TEST_CASE("mtd epoch: parameters that cannot work are refused", "[mtd]") {
  auto error = [](const std::string& scheme, int k, std::vector<std::string> hosts,
                  std::vector<TableEntry> t = table()) {
    auto built = buildEpoch("e-1-abc", scheme, k, t, hosts);
    REQUIRE_FALSE(built.ok());
    return built.error().message;
  };
  CHECK(error("shamir", 5, kHosts).find("1 <= k <= hosts - 1") != std::string::npos);
  CHECK(error("shamir", 0, kHosts).find("k = 0") != std::string::npos);
  CHECK(error("fountain", 2, {"h1", "h2"}).find("cannot give k = 2") != std::string::npos);
  CHECK(error("fountain", 1, kHosts).find("2..255") != std::string::npos);
  CHECK(error("rsa", 2, kHosts) == "unknown MTD scheme 'rsa' (shamir, fountain or prf)");
  CHECK(error("prf", 1, kHosts, {}) == "the MTD lookup table has no entries");
  CHECK(error("prf", 1, {"h1", "h1"}) == "MTD: a host is listed twice");
}

TEST_CASE("mtd epoch: the table's plaintext form round-trips and rejects garbage", "[mtd]") {
  auto decoded = decodeTable(encodeTable(table()));
  REQUIRE(decoded.ok());
  CHECK(*decoded == table());
  for (std::string bad : {"", "{}", "[]", "[{\"name\": 1}]", "not json"}) {
    Bytes b(bad.begin(), bad.end());
    CHECK_FALSE(decodeTable(b).ok());
  }
  CHECK(newEpochId().rfind("e-", 0) == 0);
}
