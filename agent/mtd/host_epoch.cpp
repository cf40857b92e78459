#include "agent/mtd/host_epoch.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <openssl/crypto.h>

#include "crypto/latency_sampler.hpp"

namespace roam::agent::mtd {

using namespace roam::crypto;  // NOLINT: the MTD cryptography this file puts on the wire

namespace {

roam::Error refused(std::string message) {
  return roam::makeError(roam::ErrorCode::Refused, std::move(message));
}

roam::Error badSetup(std::string message) {
  return roam::makeError(roam::ErrorCode::BadInput, std::move(message));
}

// Decodes hex holding a secret into a wiped buffer, wiping the text too.
std::optional<SecretBytes> secretFromHex(std::string& hex) {
  auto bytes = fromHex(hex);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!bytes) return std::nullopt;
  return SecretBytes(std::move(*bytes));
}

std::optional<Droplet> dropletFromWire(const MtdDroplet& wire, int k, std::size_t blockSize) {
  auto c = fromHex(wire.c);
  auto v = fromHex(wire.v);
  if (!c || !v || c->size() != static_cast<std::size_t>(k) || v->size() != blockSize)
    return std::nullopt;
  return Droplet{std::move(*c), std::move(*v)};
}

MtdDroplet dropletToWire(const Droplet& d) {
  return {toHex(d.coefficients), toHex(d.value)};
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

KeyRequest requestFor(const MtdMigrate& order, const std::string& source) {
  return {order.migrationId, order.epoch, source, order.r, order.token};
}

// Shamir: K distinct other hosts in random order; a refusal moves on to the next.
std::optional<SecretBytes> gatherShares(const HostEpoch& epoch, const MtdMigrate& order,
                                        const AskPeers& ask, std::mt19937_64& rng,
                                        Resolution& out) {
  auto peers = epoch.peers;
  std::shuffle(peers.begin(), peers.end(), rng);
  std::vector<Share> shares;
  std::size_t next = 0;
  while (static_cast<int>(shares.size()) < epoch.k && next < peers.size()) {
    const auto want = static_cast<std::size_t>(epoch.k) - shares.size();
    std::vector<AgentPeer> batch(
        peers.begin() + static_cast<long>(next),
        peers.begin() + static_cast<long>(std::min(peers.size(), next + want)));
    next += batch.size();
    out.requests += static_cast<int>(batch.size());
    auto answers = ask(batch, requestFor(order, epoch.self.name));
    for (std::size_t i = 0; i < answers.size() && i < batch.size(); ++i) {
      const KeyReply* reply = answers[i].ok() ? &*answers[i] : nullptr;
      const auto* share = reply ? std::get_if<MtdShare>(&reply->material) : nullptr;
      auto y = share ? fromHex(share->y) : std::nullopt;
      if (!share || !y || share->x < 1 || share->x > 255) {
        out.refusals.push_back(batch[i].name + ": " +
                               (reply ? std::string("not a share") : answers[i].error().message));
        continue;
      }
      shares.push_back({static_cast<std::uint8_t>(share->x), std::move(*y)});
    }
  }
  if (static_cast<int>(shares.size()) < epoch.k) {
    out.error = refused("MTD: gathered " + std::to_string(shares.size()) + " of " +
                        std::to_string(epoch.k) + " shares");
    return std::nullopt;
  }
  auto combined = shamirCombine(shares);
  for (auto& s : shares) OPENSSL_cleanse(s.y.data(), s.y.size());
  if (!combined.ok()) {
    out.error = roam::makeError(combined.error().code, "MTD: " + combined.error().message);
    return std::nullopt;
  }
  return std::move(*combined);
}

// Fountain: hosts sampled with replacement by 1/latency until the droplets
// span K dimensions; dependent droplets cost one more draw.
std::optional<SecretBytes> gatherDroplets(const HostEpoch& epoch, const MtdMigrate& order,
                                          const AskPeers& ask,
                                          const std::map<std::string, double>& latency,
                                          std::uint64_t seed, Resolution& out) {
  std::map<std::string, double> weights;
  std::map<std::string, AgentPeer> byName;
  for (const auto& p : epoch.peers) {
    auto it = latency.find(p.name);
    // A peer whose latency is unknown is drawn as if 1 s away: rarely, not never.
    weights[p.name] = it != latency.end() && it->second > 0 ? it->second : 1.0;
    byName[p.name] = p;
  }
  LatencySampler sampler(weights, seed);
  FountainDecoder decoder(epoch.k, epoch.secretLength);
  const auto blockSize = fountainBlockSize(epoch.secretLength, epoch.k);
  std::map<std::string, bool> exhausted;
  // Every peer holds at most k-1 droplets: beyond that many requests the
  // droplets cannot be there (or the others refuse).
  const int maxRequests = static_cast<int>(epoch.peers.size()) * std::max(1, epoch.k - 1) * 2;
  while (!decoder.complete() && out.requests < maxRequests) {
    std::vector<AgentPeer> batch;
    for (int i = decoder.rank();
         i < epoch.k && out.requests + static_cast<int>(batch.size()) < maxRequests; ++i) {
      auto name = sampler.next();
      if (!exhausted[name]) batch.push_back(byName[name]);
    }
    if (batch.empty()) {
      bool any = false;
      for (const auto& p : epoch.peers) any = any || !exhausted[p.name];
      if (!any) break;
      continue;  // drew only exhausted hosts; draw again
    }
    out.requests += static_cast<int>(batch.size());
    auto answers = ask(batch, requestFor(order, epoch.self.name));
    for (std::size_t i = 0; i < answers.size() && i < batch.size(); ++i) {
      const KeyReply* reply = answers[i].ok() ? &*answers[i] : nullptr;
      const auto* wire = reply ? std::get_if<MtdDroplet>(&reply->material) : nullptr;
      auto droplet = wire ? dropletFromWire(*wire, epoch.k, blockSize) : std::nullopt;
      if (!droplet) {
        exhausted[batch[i].name] = true;  // out of droplets, refusing or broken
        out.refusals.push_back(batch[i].name + ": " +
                               (reply ? std::string("not a droplet") : answers[i].error().message));
        continue;
      }
      decoder.add(*droplet);
      OPENSSL_cleanse(droplet->value.data(), droplet->value.size());
    }
  }
  auto secret = decoder.decode();
  if (!secret)
    out.error = refused("MTD: the droplets gathered span " + std::to_string(decoder.rank()) +
                        " of " + std::to_string(epoch.k) + " dimensions");
  return secret;
}

}  // namespace

MtdSetup setupMessage(const Epoch& epoch, const HostMaterial& host, std::vector<AgentPeer> peers,
                      const std::string& managerKeyPem) {
  MtdSetup s;
  s.epoch = epoch.id;
  s.scheme = epoch.scheme;
  s.k = static_cast<std::uint32_t>(epoch.k);
  s.entries = epoch.entries;
  s.table = toHex(epoch.sealedTable);
  s.point = {host.x, host.y};
  if (host.share) s.share = MtdShare{host.share->x, toHex(host.share->y)};
  for (const auto& d : host.droplets) s.droplets.push_back(dropletToWire(d));
  if (epoch.scheme == "fountain") s.secretLength = static_cast<std::uint32_t>(epoch.secretLength);
  if (host.masterKey) s.key = toHex(host.masterKey->view());
  s.peers = std::move(peers);
  s.managerKey = managerKeyPem;
  return s;
}

roam::Result<HostEpoch> hostEpochFromSetup(const MtdSetup& setupArg, const std::string& self) {
  MtdSetup setup = setupArg;  // a copy whose secret text is wiped as it is decoded
  HostEpoch e;
  e.id = setup.epoch;
  e.scheme = setup.scheme;
  e.k = static_cast<int>(setup.k);
  e.entries = setup.entries;
  e.self.name = self;
  e.self.x = setup.point.x;
  e.self.y = setup.point.y;
  e.peers = setup.peers;
  auto table = fromHex(setup.table);
  if (!table) return badSetup("MTD_SETUP: the table is not hex");
  e.sealedTable = std::move(*table);
  auto key = parsePublicKey(setup.managerKey);
  if (!key) return key.error();
  e.managerKey = std::move(*key);
  for (const auto& p : e.peers)
    if (p.name == self) return badSetup("MTD_SETUP: this host is listed among its peers");

  if (e.scheme == "shamir") {
    if (!setup.share) return badSetup("MTD_SETUP: shamir without a share");
    auto y = secretFromHex(setup.share->y);
    if (!y || y->empty()) return badSetup("MTD_SETUP: the share is not hex");
    e.self.share =
        Share{static_cast<std::uint8_t>(setup.share->x), Bytes(y->view().begin(), y->view().end())};
    e.secretLength = y->size();
  } else if (e.scheme == "fountain") {
    e.secretLength = setup.secretLength;
    if (e.secretLength == 0) return badSetup("MTD_SETUP: fountain without secret_length");
    const auto blockSize = fountainBlockSize(e.secretLength, e.k);
    for (auto& wire : setup.droplets) {
      auto d = dropletFromWire(wire, e.k, blockSize);
      OPENSSL_cleanse(wire.v.data(), wire.v.size());
      if (!d) return badSetup("MTD_SETUP: a droplet does not match k and secret_length");
      e.self.droplets.push_back(std::move(*d));
    }
    if (static_cast<int>(e.self.droplets.size()) > maxDropletsPerHost(e.k))
      return badSetup("MTD_SETUP: more droplets than k-1 (one host could decode alone)");
  } else if (e.scheme == "prf") {
    auto s = secretFromHex(setup.key);
    if (!s || s->empty()) return badSetup("MTD_SETUP: the key is not hex");
    e.secretLength = s->size();
    e.self.masterKey = std::move(*s);
  } else {
    return badSetup("MTD_SETUP: unknown scheme '" + e.scheme + "'");
  }
  return e;
}

KeyAnswer KeyService::answer(const HostEpoch& epoch, const KeyRequest& request,
                             const std::string& requesterName) {
  if (request.epoch != epoch.id)
    return refused("epoch " + request.epoch + " is not the current one (" + epoch.id + ")");
  if (requesterName != request.source)
    return refused("the requester '" + requesterName + "' is not the source '" + request.source +
                   "'");
  if (!verifyToken(epoch.managerKey.get(),
                   tokenMessage(request.epoch, request.migrationId, request.source, request.r),
                   request.token))
    return refused("the manager's token does not verify");
  KeyReply reply;
  reply.migrationId = request.migrationId;
  if (epoch.scheme == "shamir" && epoch.self.share) {
    reply.material = MtdShare{epoch.self.share->x, toHex(epoch.self.share->y)};
    return reply;
  }
  if (epoch.scheme == "fountain") {
    auto& sent = dropletsSent_[request.migrationId];
    if (sent >= epoch.self.droplets.size()) return refused("no droplet left for this migration");
    reply.material = dropletToWire(epoch.self.droplets[sent++]);
    return reply;
  }
  return refused("scheme " + epoch.scheme + " has no key material to gather");
}

Resolution resolveDestination(const HostEpoch& epoch, const MtdMigrate& order, const AskPeers& ask,
                              const std::map<std::string, double>& latency, std::uint64_t seed) {
  Resolution out;
  if (order.epoch != epoch.id) {
    out.error = refused("MTD: epoch " + order.epoch + " is not the current one (" + epoch.id + ")");
    return out;
  }
  if (!verifyToken(epoch.managerKey.get(),
                   tokenMessage(order.epoch, order.migrationId, epoch.self.name, order.r),
                   order.token)) {
    out.error = refused("MTD: the manager's token does not verify");
    return out;
  }
  auto r = fromHex(order.r);
  if (!r || r->size() != kRandomSize) {
    out.error = roam::makeError(roam::ErrorCode::BadInput, "MTD: R is not 32 bytes of hex");
    return out;
  }
  std::mt19937_64 rng(seed);
  const auto started = std::chrono::steady_clock::now();
  std::optional<SecretBytes> secret;
  if (epoch.scheme == "shamir")
    secret = gatherShares(epoch, order, ask, rng, out);
  else if (epoch.scheme == "fountain")
    secret = gatherDroplets(epoch, order, ask, latency, seed, out);
  else if (epoch.self.masterKey)
    secret = epoch.self.masterKey->clone();
  out.keySeconds = secondsSince(started);
  if (!secret) {
    if (!out.error) out.error = refused("MTD: no key material");
    return out;
  }
  out.index = indexFor(epoch.scheme, *r, epoch.self, epoch.entries);
  auto table = openLookupTable(*secret, epoch.id, epoch.sealedTable);
  if (!table) {
    out.error = table.error();
    return out;
  }
  auto entry = destinationAt(*table, out.index, epoch.self.name);
  if (!entry) {
    out.error = entry.error();
    return out;
  }
  out.destination = std::move(*entry);
  return out;
}

}  // namespace roam::agent::mtd
