#pragma once
// The agents' side of an MTD epoch (docs/mtd.md), between the wire messages
// and agent/mtd/epoch:
//   - setupMessage: the manager turns one host's material into MTD_SETUP;
//   - hostEpochFromSetup: an agent keeps what MTD_SETUP gave it (secrets in
//     wiped buffers);
//   - KeyService: a holder answers KEY_REQUEST, only against a valid token;
//   - resolveDestination: the source gathers key material through `ask`,
//     rebuilds S, opens the table and reads its destination.
// No sockets here: the daemon supplies `ask` (parallel TLS requests) and the
// manager's tests supply an in-memory one.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/protocol/messages.hpp"
#include "common/result.hpp"
#include "crypto/epoch.hpp"
#include "crypto/token.hpp"

namespace roam::agent::mtd {

MtdSetup setupMessage(const crypto::Epoch& epoch, const crypto::HostMaterial& host,
                      std::vector<AgentPeer> peers, const std::string& managerKeyPem);

struct HostEpoch {
  std::string id, scheme;
  int k = 0;
  std::uint32_t entries = 0;
  std::size_t secretLength = 0;
  crypto::Bytes sealedTable;
  crypto::HostMaterial self;
  std::vector<AgentPeer> peers;
  crypto::Pkey managerKey;
};

// Checks the material against the scheme (hex, share, droplets' lengths, key):
// BadInput "MTD_SETUP: ..." (or the manager key's own error) when it does not fit.
roam::Result<HostEpoch> hostEpochFromSetup(const MtdSetup& setup, const std::string& self);

// One KEY_REQUEST's outcome: the reply or why there is none (Refused by the
// holder; on the requester's side also the connection's error).
using KeyAnswer = roam::Result<KeyReply>;

// A holder's KEY_REQUEST service. One instance per epoch: it remembers which
// droplets went out for which migration, so each request gets a new one.
class KeyService {
 public:
  // The reply, or the reason for refusing (Refused; logged by the caller, sent as ERROR).
  KeyAnswer answer(const HostEpoch& epoch, const KeyRequest& request,
                   const std::string& requesterName);

 private:
  std::map<std::string, std::size_t> dropletsSent_;  // per migration id
};

// Sends KEY_REQUEST to each named peer (a name may repeat: fountain samples with
// replacement), all at once; the answers come back in the same order.
using AskPeers = std::function<std::vector<KeyAnswer>(const std::vector<AgentPeer>& peers,
                                                      const KeyRequest& request)>;

struct Resolution {
  std::optional<crypto::TableEntry> destination;
  std::uint32_t index = 0;
  int requests = 0;                   // KEY_REQUESTs sent
  double keySeconds = 0;              // time spent gathering
  std::optional<roam::Error> error;   // set when there is no destination
  std::vector<std::string> refusals;  // per peer that refused, for the log
};

// The source's work for one MTD_MIGRATE (already checked to come from the
// manager). `latency` gives the round-trip seconds to each peer (fountain's
// sampling; ignored otherwise); `seed` fixes the random choices.
Resolution resolveDestination(const HostEpoch& epoch, const MtdMigrate& order, const AskPeers& ask,
                              const std::map<std::string, double>& latency, std::uint64_t seed);

}  // namespace roam::agent::mtd
