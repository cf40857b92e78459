#include "crypto/epoch.hpp"

#include <chrono>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "crypto/mtd_index.hpp"
#include "crypto/table_crypto.hpp"

namespace roam::crypto {

namespace {

constexpr std::size_t kMaxEntries = 255;

std::uint64_t random64() {
  auto bytes = randomBytes(8);
  std::uint64_t v = 0;
  for (auto b : bytes) v = (v << 8) | b;
  return v;
}

std::string checkParameters(const std::string& scheme, int k, std::size_t tableSize,
                            std::size_t hosts) {
  if (scheme != "shamir" && scheme != "fountain" && scheme != "prf")
    return "unknown MTD scheme '" + scheme + "' (shamir, fountain or prf)";
  if (tableSize == 0) return "the MTD lookup table has no entries";
  if (tableSize > kMaxEntries || hosts > kMaxEntries)
    return "at most " + std::to_string(kMaxEntries) + " hosts and table entries";
  if (hosts < 2) return "MTD needs at least two hosts";
  const int others = static_cast<int>(hosts) - 1;
  if (scheme == "shamir" && (k < 1 || k > others))
    return "shamir: k = " + std::to_string(k) + " but the source can ask only " +
           std::to_string(others) + " other host(s) (1 <= k <= hosts - 1)";
  if (scheme == "fountain") {
    if (k < 2 || k > 255) return "fountain: k must be 2..255, got " + std::to_string(k);
    // Each host holds k-1 droplets, so none decodes alone; the others together
    // must hold at least k.
    if (static_cast<long>(others) * (k - 1) < k)
      return "fountain: " + std::to_string(others) + " other host(s) with " +
             std::to_string(k - 1) + " droplet(s) each cannot give k = " + std::to_string(k);
  }
  return "";
}

}  // namespace

std::string newEpochId() {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(random64() & 0xffffffffu));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return "e-" + std::to_string(ms) + "-" + hex;
}

Bytes encodeTable(const std::vector<TableEntry>& table) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : table) j.push_back({{"name", e.name}, {"address", e.address}});
  auto text = j.dump();
  return Bytes(text.begin(), text.end());
}

roam::Result<std::vector<TableEntry>> decodeTable(const Bytes& plaintext) {
  const auto malformed =
      roam::makeError(roam::ErrorCode::BadAnswer, "MTD: the lookup table is malformed");
  auto j = nlohmann::json::parse(plaintext.begin(), plaintext.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty() || j.size() > kMaxEntries) return malformed;
  std::vector<TableEntry> table;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("name") || !e.contains("address") || !e["name"].is_string() ||
        !e["address"].is_string())
      return malformed;
    table.push_back({e["name"].get<std::string>(), e["address"].get<std::string>()});
  }
  return table;
}

roam::Result<Epoch> buildEpoch(const std::string& id, const std::string& scheme, int k,
                               const std::vector<TableEntry>& table,
                               const std::vector<std::string>& hosts) {
  if (auto error = checkParameters(scheme, k, table.size(), hosts.size()); !error.empty())
    return roam::makeError(roam::ErrorCode::BadInput, error);
  if (std::set<std::string>(hosts.begin(), hosts.end()).size() != hosts.size())
    return roam::makeError(roam::ErrorCode::BadInput, "MTD: a host is listed twice");

  Epoch epoch;
  epoch.id = id;
  epoch.scheme = scheme;
  epoch.k = k;
  epoch.entries = static_cast<std::uint32_t>(table.size());
  SecretBytes secret(randomBytes(kMasterSecretSize));
  {
    auto key = deriveTableKey(secret.view(), id);
    auto plaintext = encodeTable(table);
    epoch.sealedTable = sealTable(key, id, plaintext);
  }

  std::vector<Share> shares;
  std::vector<Droplet> droplets;
  if (scheme == "shamir") shares = shamirSplit(secret.view(), static_cast<int>(hosts.size()), k);
  // Fountain only: maxDropletsPerHost refuses the other schemes' k (prf's is 0).
  const int perHost = scheme == "fountain" ? maxDropletsPerHost(k) : 0;
  if (scheme == "fountain")
    droplets = fountainEncode(secret.view(), k, perHost * static_cast<int>(hosts.size()));

  for (std::size_t i = 0; i < hosts.size(); ++i) {
    HostMaterial m;
    m.name = hosts[i];
    m.x = random64();
    m.y = random64();
    if (scheme == "shamir") m.share = std::move(shares[i]);
    if (scheme == "fountain")
      for (int d = 0; d < perHost; ++d)
        m.droplets.push_back(std::move(droplets[i * static_cast<std::size_t>(perHost) + d]));
    if (scheme == "prf") m.masterKey = secret.clone();
    epoch.hosts.push_back(std::move(m));
  }
  return epoch;
}

std::uint32_t indexFor(const std::string& scheme, std::span<const std::uint8_t> r,
                       const HostMaterial& self, std::uint32_t entries) {
  if (scheme == "prf") return self.masterKey ? prfIndex(self.masterKey->view(), r, entries) : 0;
  return tableIndex(r, self.x, self.y, entries);
}

roam::Result<std::vector<TableEntry>> openLookupTable(const SecretBytes& masterSecret,
                                                      const std::string& epochId,
                                                      const Bytes& sealed) {
  auto key = deriveTableKey(masterSecret.view(), epochId);
  auto opened = openTable(key, epochId, sealed);
  if (!opened.ok())
    return roam::makeError(roam::ErrorCode::Checksum, "MTD: the lookup table did not authenticate");
  auto table = decodeTable(*opened);
  SecretBytes wipe(std::move(*opened));  // the plaintext names every host
  return table;
}

roam::Result<TableEntry> destinationAt(const std::vector<TableEntry>& table, std::uint32_t index,
                                       const std::string& self) {
  if (table.empty())
    return roam::makeError(roam::ErrorCode::NotFound, "MTD: the lookup table is empty");
  const auto n = table.size();
  const auto& chosen = table[index % n];
  if (chosen.name != self) return chosen;
  const auto& next = table[(index + 1) % n];
  if (next.name == self)
    return roam::makeError(roam::ErrorCode::NotFound, "MTD: no other host in the table");
  return next;
}

}  // namespace roam::crypto
