#pragma once
// A service's own IPv4 address, which moves with its container
// (docs/redirection.md, "Service addresses"). A container labelled
// `roam.address=10.0.1.5` is reached by its clients at 10.0.1.5 wherever it
// runs: the agent of the host that runs it holds the address on the host's
// interface (a /32 alias, so the kernel answers ARP for it and accepts its
// packets, also those of a socket CRIU restores bound to it) and announces it
// with gratuitous ARP, so clients and switches send to the new host at once.
//
// Who holds it when: the destination claims it just before it starts the
// container (inside the freeze), the source releases it once its frozen copy
// is removed; any failure leaves (or puts back) the address on the source and
// takes it off the destination. The agent also claims, about once a second,
// the address of every running labelled container here that lacks it.
//
// Connections (checkpoint mode): while a TCP socket of the service is in
// flight (dumped on the source, not yet restored on the destination) no
// kernel may answer the client's segments with a reset. Each end "holds" the
// address for that time: every TCP segment arriving for it is dropped (an
// nftables table per held address, `inet roam_hold_10_0_1_5`), so the client
// only sees loss and retransmits. The destination holds it from before its
// claim until CRIU's restore returned; the source from before the dump until
// its copy is retired (or resumed), when it also deletes the lock table CRIU
// left (`inet CRIU-RUN_ID`, RUN_ID from the checkpoint's inventory.img).

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/migration/container_spec.hpp"
#include "common/result.hpp"

#include <nlohmann/json.hpp>

namespace roam::agent {

inline constexpr const char* kServiceAddressLabel = "roam.address";

// The address a container's labels give (a JSON object of strings): nullopt
// without the label; BadInput for anything but a unicast IPv4 address in
// dotted form (no prefix length, not 0.0.0.0, loopback, multicast or broadcast).
roam::Result<std::optional<std::string>> serviceAddressFromLabels(const nlohmann::json& labels);
// The same from a container's configuration (its create body's Labels); a
// malformed label counts as none.
std::optional<std::string> serviceAddressOf(const ContainerSpec& spec);

// The host's addresses as the kernel has them: the seam the bookkeeping is
// tested through. Each call is idempotent.
class HostAddresses {
 public:
  virtual ~HostAddresses() = default;
  // Whether an interface of this host holds IP.
  virtual roam::Result<bool> holds(const std::string& ip) = 0;
  // Adds IP/32 to the interface that routes to IP (nothing when held).
  virtual roam::Status add(const std::string& ip) = 0;
  // Removes IP from whichever interface holds it (nothing when not held).
  virtual roam::Status remove(const std::string& ip) = 0;
  // Gratuitous ARP for IP from the interface that holds it.
  virtual roam::Status announce(const std::string& ip) = 0;
  // Drops every TCP segment that arrives for IP, so that no segment of a
  // connection whose socket is elsewhere gets a reset (idempotent).
  virtual roam::Status hold(const std::string& ip) = 0;
  // Lets TCP for IP in again (nothing when not held).
  virtual roam::Status unhold(const std::string& ip) = 0;
  // Lets TCP for every held address in again (the agent's start-up).
  virtual roam::Status unholdAll() = 0;
  // Deletes the table CRIU's dump RUN_ID left locking its connections
  // (nothing when there is none).
  virtual roam::Status dropCriuLock(const std::string& runId) = 0;
};
using HostAddressesPtr = std::unique_ptr<HostAddresses>;

// The kernel's, through iproute2 (`ip -j`, rtnetlink underneath) and a packet
// socket for the gratuitous ARP. Needs CAP_NET_ADMIN and CAP_NET_RAW in the
// network namespace the agent runs in (the emulated host's).
HostAddressesPtr makeKernelHostAddresses();

// Runs nftables COMMANDS (nft's syntax, one per line) as one transaction
// through libnftables (loaded at run time: the library CRIU's network lock
// uses), what it prints into OUTPUT when given. A "No such file or directory"
// answer counts as done when MISSING_IS_DONE (deleting what is not there).
// Unsupported without the library.
roam::Status runNftables(const std::string& commands, bool missingIsDone = false,
                         std::string* output = nullptr);

// The run id CRIU stored in a dump's inventory.img (inventory_entry field 13,
// dump_criu_run_id), which names the dump's lock table; BadInput when BYTES
// are not an inventory image or lack it.
roam::Result<std::string> criuRunIdFromInventory(std::string_view bytes);
// The same from a checkpoint directory.
roam::Result<std::string> criuRunIdOf(const std::filesystem::path& checkpointDir);

// The agent's bookkeeping over a HostAddresses; safe from any thread (every
// change is serialised, so a reconciliation never races a release).
class ServiceAddresses {
 public:
  explicit ServiceAddresses(HostAddressesPtr host);

  // Makes IP present here and announces it (also when it was present: the
  // announcement is what moves the clients' ARP entries back).
  roam::Status claim(const std::string& ip);
  // Takes IP off this host, unless IN_USE holds it (the service address of
  // another running container here).
  roam::Status release(const std::string& ip, const std::set<std::string>& inUse = {});
  // Brings this host in line with its containers, HERE() being what they
  // need: claims each address of a running container that is not present
  // (and announces only those), and releases each address this object
  // claimed that no container here carries any longer (removed from outside,
  // e.g. `docker rm -f`), unless it is held (a checkpointed container's,
  // stopped until it is restored). Addresses it did not claim are never
  // touched.
  // HERE runs under the lock: a container removed before a release is never
  // listed after it, so a stale list cannot claim a released address. One
  // line per address that could not be claimed or released.
  struct Needed {
    std::set<std::string> running;  // of running (or paused) containers: held here
    std::set<std::string> present;  // of containers running or about to: kept if claimed
    bool complete = true;           // false: the list is unknown, nothing is released
  };
  std::vector<std::string> reconcile(const std::function<Needed()>& here);
  // What this object claimed and has not released.
  std::set<std::string> owned();
  // HostAddresses' hold, unhold, unholdAll and dropCriuLock, serialised
  // with the rest.
  roam::Status hold(const std::string& ip);
  roam::Status unhold(const std::string& ip);
  roam::Status unholdAll();
  roam::Status dropCriuLock(const std::string& runId);

 private:
  std::mutex mutex_;
  HostAddressesPtr host_;
  std::set<std::string> owned_;
  std::set<std::string> held_;  // held through this object and not lifted
};

// The service addresses of the running containers on the engine at SOCKET,
// except the container EXCEPT_ID ("" = none excepted). Paused ones count:
// a frozen copy still owns its address.
std::set<std::string> runningServiceAddresses(const std::string& dockerSocket,
                                              const std::string& exceptId = "");
// What reconcile needs from the engine at SOCKET: the addresses of running
// (and paused) containers, and of those running or about to (a created one
// is a migration's destination copy, claimed just before its start); a
// stopped or removed container's address is released.
ServiceAddresses::Needed serviceAddressesHere(const std::string& dockerSocket);
// The service address of one container here (by name or id), if it has one.
std::optional<std::string> containerServiceAddress(const std::string& dockerSocket,
                                                   const std::string& container);

// What the migration steps call (one line each there). All of them do nothing
// for a container without a service address, and log, not fail, when the
// kernel refuses: traffic then follows the manager's rules, if any.
//   source, checkpoint mode, just before CRIU's dump:
void holdForDump(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note);
//   source, after its copy was removed: the address released, then, when it
//   was DUMPED, the hold lifted and CRIU's lock table of dump CRIU_RUN_ID
//   ("" = unknown) deleted, in this order, so this kernel never resets a
//   connection:
void releaseRetiredAddress(ServiceAddresses& addresses, const std::string& dockerSocket,
                           const ContainerSpec& spec, std::string& note, bool dumped = false,
                           const std::string& criuRunId = "");
//   source, when it keeps the container after a failure (before a resume
//   from the checkpoint: CRIU binds the restored sockets to the address):
void reclaimKeptAddress(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note);
//   source, checkpoint mode, once its copy was resumed: the hold lifted and
//   CRIU's lock table of the dump deleted (the restore normally did that):
void endDumpHold(ServiceAddresses& addresses, const ContainerSpec& spec,
                 const std::string& criuRunId, std::string& note);
//   destination, just before starting the container (a failure fails the
//   migration, and nothing is left claimed or held; rollBackDestination
//   releases a claimed address and lifts a hold when the start fails). With
//   RESTORING (from a checkpoint) the address is held first:
roam::Status claimForStart(ServiceAddresses& addresses, const ContainerSpec& spec,
                           bool restoring = false);
//   destination, once the container runs (restored): the hold lifted.
void endRestoreHold(ServiceAddresses& addresses, const ContainerSpec& spec, std::string& note);

}  // namespace roam::agent
