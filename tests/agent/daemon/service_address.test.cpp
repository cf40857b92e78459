// A service's own address (agent/daemon/service_address.hpp): the label, the
// bookkeeping over a fake host (claim, release, reconcile, the steps'
// decisions), and the kernel's implementation in a network namespace of its own.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/daemon/service_address.hpp"

using namespace roam::agent;

namespace {

// A host with one interface on 10.0.0.0/8 that routes nothing else: it
// refuses what the kernel refuses (an address no interface routes to, an
// announcement of an address it does not hold) and records every change.
class FakeHost final : public HostAddresses {
 public:
  std::set<std::string> held;
  std::vector<std::string> calls;  // "add IP", "remove IP", "announce IP"
  bool announceFails = false;

  roam::Result<bool> holds(const std::string& ip) override { return held.contains(ip); }
  roam::Status add(const std::string& ip) override {
    if (held.contains(ip)) return {};
    if (!ip.starts_with("10."))
      return roam::Error{roam::ErrorCode::NotFound, "no interface here routes to " + ip};
    held.insert(ip);
    calls.push_back("add " + ip);
    return {};
  }
  roam::Status remove(const std::string& ip) override {
    if (held.erase(ip)) calls.push_back("remove " + ip);
    return {};
  }
  roam::Status announce(const std::string& ip) override {
    if (!held.contains(ip)) return roam::Error{roam::ErrorCode::NotFound, ip + " is not held here"};
    if (announceFails) return roam::Error{roam::ErrorCode::Io, "packet socket: refused"};
    calls.push_back("announce " + ip);
    return {};
  }
  // Holds: what the kernel's nftables table would drop TCP for.
  std::set<std::string> holding;
  std::set<std::string> criuTables;  // run ids of CRIU lock tables present
  bool holdFails = false;
  roam::Status hold(const std::string& ip) override {
    if (holdFails) return roam::Error{roam::ErrorCode::Unsupported, "nftables: no library"};
    holding.insert(ip);
    calls.push_back("hold " + ip);
    return {};
  }
  roam::Status unhold(const std::string& ip) override {
    if (holding.erase(ip)) calls.push_back("unhold " + ip);
    return {};
  }
  roam::Status unholdAll() override {
    holding.clear();
    calls.push_back("unhold all");
    return {};
  }
  roam::Status dropCriuLock(const std::string& runId) override {
    if (criuTables.erase(runId)) calls.push_back("drop CRIU-" + runId);
    return {};
  }
};

struct Fixture {
  FakeHost* host;
  ServiceAddresses addresses;
  Fixture() : Fixture(std::make_unique<FakeHost>()) {}
  explicit Fixture(std::unique_ptr<FakeHost> h) : host(h.get()), addresses(std::move(h)) {}
};

ContainerSpec specWithLabels(const nlohmann::json& labels) {
  ContainerSpec spec;
  spec.name = "svc";
  spec.createBody = {{"Image", "roam/busybox:1"}, {"Labels", labels}};
  return spec;
}

// No Docker Engine answers here: no running container holds any address.
constexpr const char* kNoEngine = "/nonexistent/roam-test-docker.sock";

}  // namespace

TEST_CASE("service address: the roam.address label", "[agent][address]") {
  auto read = [](const nlohmann::json& labels) { return serviceAddressFromLabels(labels); };
  SECTION("absent: none") {
    REQUIRE(read(nlohmann::json::object()).ok());
    CHECK(!*read(nlohmann::json::object()));
    CHECK(!*read({{"app", "web"}}));
    CHECK(!*read(nlohmann::json()));
  }
  SECTION("a unicast IPv4 address") {
    auto ok = read({{"roam.address", "10.0.1.5"}});
    REQUIRE(ok.ok());
    CHECK(**ok == "10.0.1.5");
  }
  SECTION("refused, saying why") {
    for (const auto* bad : {"10.0.1.5/8", "10.0.1", "host.example", "", "::1", "0.0.0.0",
                            "127.0.0.1", "224.0.0.1", "255.255.255.255"}) {
      INFO(bad);
      auto r = read({{"roam.address", bad}});
      REQUIRE(!r.ok());
      CHECK(r.error().code == roam::ErrorCode::BadInput);
      CHECK(r.error().message.find(std::string("label roam.address='") + bad + "'") == 0);
    }
    CHECK(!read({{"roam.address", 5}}).ok());
  }
  SECTION("from a container's configuration; a malformed label counts as none") {
    CHECK(serviceAddressOf(specWithLabels({{"roam.address", "10.0.1.5"}})) == "10.0.1.5");
    CHECK(!serviceAddressOf(specWithLabels({{"roam.address", "10.0.1.5/8"}})));
    CHECK(!serviceAddressOf(specWithLabels(nlohmann::json::object())));
    ContainerSpec bare;
    CHECK(!serviceAddressOf(bare));
  }
}

TEST_CASE("service address: claim, release, reconcile", "[agent][address]") {
  Fixture f;
  SECTION("a claim adds and announces; a second claim only announces again") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    CHECK(f.host->calls ==
          std::vector<std::string>{"add 10.0.1.5", "announce 10.0.1.5", "announce 10.0.1.5"});
  }
  SECTION("a claim the host refuses is an error and leaves nothing") {
    auto r = f.addresses.claim("192.168.9.9");
    REQUIRE(!r.ok());
    CHECK(r.error().message == "no interface here routes to 192.168.9.9");
    CHECK(f.host->held.empty());
  }
  SECTION("release removes, unless another running container here has the address") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    REQUIRE(f.addresses.release("10.0.1.5", {"10.0.1.5"}).ok());
    CHECK(f.host->held.contains("10.0.1.5"));
    REQUIRE(f.addresses.release("10.0.1.5", {"10.0.1.6"}).ok());
    CHECK(f.host->held.empty());
    REQUIRE(f.addresses.release("10.0.1.5").ok());  // idempotent
    CHECK(f.host->calls.back() == "remove 10.0.1.5");
  }
  SECTION("reconcile claims what running containers miss, and announces only that") {
    f.host->held = {"10.0.1.5", "10.0.9.9"};  // 10.0.9.9: not claimed by the agent
    auto problems = f.addresses.reconcile([] {
      ServiceAddresses::Needed n;
      n.running = {"10.0.1.5", "10.0.1.6", "172.16.0.1"};
      return n;
    });
    CHECK(f.host->calls == std::vector<std::string>{"add 10.0.1.6", "announce 10.0.1.6"});
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5", "10.0.1.6", "10.0.9.9"});
    CHECK(problems == std::vector<std::string>{
                          "cannot claim 172.16.0.1: no interface here routes to 172.16.0.1"});
    CHECK(f.addresses.owned() == std::set<std::string>{"10.0.1.6"});
  }
  SECTION("reconcile releases what it claimed once no container here needs it") {
    f.host->held = {"10.0.9.9"};                  // an address the agent never claimed
    REQUIRE(f.addresses.claim("10.0.1.5").ok());  // a destination, before its start
    REQUIRE(f.addresses.claim("10.0.1.6").ok());
    auto none = [] { return ServiceAddresses::Needed{}; };
    // The destination's created copy keeps its claim until it starts.
    f.addresses.reconcile([] {
      ServiceAddresses::Needed n;
      n.present = {"10.0.1.5"};
      return n;
    });
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5", "10.0.9.9"});
    // An engine that did not answer releases nothing.
    f.addresses.reconcile([] {
      ServiceAddresses::Needed n;
      n.complete = false;
      return n;
    });
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5", "10.0.9.9"});
    // Removed from outside (docker rm -f): released; never what it did not claim.
    CHECK(f.addresses.reconcile(none).empty());
    CHECK(f.host->held == std::set<std::string>{"10.0.9.9"});
    CHECK(f.addresses.owned().empty());
  }
}

TEST_CASE("service address: the migration steps' decisions", "[agent][address]") {
  Fixture f;
  const auto labelled = specWithLabels({{"roam.address", "10.0.1.5"}, {"app", "web"}});
  const auto plain = specWithLabels({{"app", "web"}});
  SECTION("destination: claimed just before the start") {
    REQUIRE(claimForStart(f.addresses, labelled).ok());
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5"});
    CHECK(f.host->calls.back() == "announce 10.0.1.5");
  }
  SECTION("destination: a container without an address claims nothing") {
    REQUIRE(claimForStart(f.addresses, plain).ok());
    CHECK(f.host->calls.empty());
  }
  SECTION("destination: a claim that cannot be announced fails the start and is undone") {
    f.host->announceFails = true;
    auto r = claimForStart(f.addresses, labelled);
    REQUIRE(!r.ok());
    CHECK(r.error().message == "cannot claim the service address 10.0.1.5: packet socket: refused");
    CHECK(f.host->held.empty());
  }
  SECTION("source: released once its copy is retired") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    std::string note;
    releaseRetiredAddress(f.addresses, kNoEngine, labelled, note);
    CHECK(note.empty());
    CHECK(f.host->held.empty());
  }
  SECTION("source: kept after a failure, and announced again") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    f.host->calls.clear();
    std::string note;
    reclaimKeptAddress(f.addresses, labelled, note);
    CHECK(note.empty());
    CHECK(f.host->calls == std::vector<std::string>{"announce 10.0.1.5"});
    // Taken off by a destination on this host? Put back.
    f.host->held.clear();
    reclaimKeptAddress(f.addresses, labelled, note);
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5"});
  }
  SECTION("source: a failure is a note, not an error") {
    f.host->announceFails = true;
    f.host->held = {"10.0.1.5"};
    std::string note = "earlier";
    reclaimKeptAddress(f.addresses, labelled, note);
    CHECK(note ==
          "earlier; could not reclaim the service address 10.0.1.5: packet socket: refused");
    std::string none;
    reclaimKeptAddress(f.addresses, plain, none);
    releaseRetiredAddress(f.addresses, kNoEngine, plain, none);
    CHECK(none.empty());
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5"});
  }
}

TEST_CASE("service address: held while a connection's socket is in flight", "[agent][address]") {
  Fixture f;
  const auto labelled = specWithLabels({{"roam.address", "10.0.1.5"}});
  const auto plain = specWithLabels({{"app", "web"}});
  using Calls = std::vector<std::string>;
  SECTION("destination, from a checkpoint: held before the claim, lifted after the start") {
    REQUIRE(claimForStart(f.addresses, labelled, true).ok());
    CHECK(f.host->calls == Calls{"hold 10.0.1.5", "add 10.0.1.5", "announce 10.0.1.5"});
    std::string note;
    endRestoreHold(f.addresses, labelled, note);
    CHECK(note.empty());
    CHECK(f.host->calls.back() == "unhold 10.0.1.5");
    CHECK(f.host->holding.empty());
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5"});
  }
  SECTION("destination, a plain start: never held") {
    REQUIRE(claimForStart(f.addresses, labelled).ok());
    CHECK(f.host->calls == Calls{"add 10.0.1.5", "announce 10.0.1.5"});
  }
  SECTION("destination: a hold that fails fails the start before anything is claimed") {
    f.host->holdFails = true;
    auto r = claimForStart(f.addresses, labelled, true);
    REQUIRE(!r.ok());
    CHECK(r.error().message ==
          "cannot hold the connections of 10.0.1.5 for the restore: nftables: no library");
    CHECK(f.host->held.empty());
  }
  SECTION("destination: a claim that fails lifts the hold too") {
    f.host->announceFails = true;
    REQUIRE(!claimForStart(f.addresses, labelled, true).ok());
    CHECK(f.host->held.empty());
    CHECK(f.host->holding.empty());
  }
  SECTION("source: held before the dump; address released, then hold and CRIU's table") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    f.host->criuTables = {"6f1c3a52-0000-4000-8000-000000000001"};
    std::string note;
    holdForDump(f.addresses, labelled, note);
    CHECK(f.host->holding == std::set<std::string>{"10.0.1.5"});
    f.host->calls.clear();
    releaseRetiredAddress(f.addresses, kNoEngine, labelled, note, true,
                          "6f1c3a52-0000-4000-8000-000000000001");
    CHECK(note.empty());
    // In this order: this kernel answers no segment for the address once the
    // lock goes.
    CHECK(f.host->calls == Calls{"remove 10.0.1.5", "unhold 10.0.1.5",
                                 "drop CRIU-6f1c3a52-0000-4000-8000-000000000001"});
  }
  SECTION("a held address stays while its container is stopped by its checkpoint") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    REQUIRE(f.addresses.hold("10.0.1.5").ok());
    auto stopped = [] { return ServiceAddresses::Needed{}; };  // no container needs it
    CHECK(f.addresses.reconcile(stopped).empty());
    CHECK(f.host->held == std::set<std::string>{"10.0.1.5"});
    REQUIRE(f.addresses.unhold("10.0.1.5").ok());
    CHECK(f.addresses.reconcile(stopped).empty());
    CHECK(f.host->held.empty());  // lifted: released like any other
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    REQUIRE(f.addresses.hold("10.0.1.5").ok());
    REQUIRE(f.addresses.unholdAll().ok());
    CHECK(f.addresses.reconcile(stopped).empty());
    CHECK(f.host->held.empty());
  }
  SECTION("source, a snapshot: nothing held, nothing lifted") {
    REQUIRE(f.addresses.claim("10.0.1.5").ok());
    f.host->calls.clear();
    std::string note;
    releaseRetiredAddress(f.addresses, kNoEngine, labelled, note);
    CHECK(f.host->calls == Calls{"remove 10.0.1.5"});
  }
  SECTION("source, resumed after a failure: claimed before, hold and CRIU's table lifted after") {
    f.host->criuTables = {"run-1"};
    std::string note;
    holdForDump(f.addresses, labelled, note);
    reclaimKeptAddress(f.addresses, labelled, note);
    endDumpHold(f.addresses, labelled, "run-1", note);
    CHECK(note.empty());
    CHECK(f.host->calls == Calls{"hold 10.0.1.5", "add 10.0.1.5", "announce 10.0.1.5",
                                 "unhold 10.0.1.5", "drop CRIU-run-1"});
  }
  SECTION("source: a hold that fails is a note; no address, nothing held") {
    f.host->holdFails = true;
    std::string note;
    holdForDump(f.addresses, labelled, note);
    CHECK(note == "could not hold the connections of 10.0.1.5: nftables: no library");
    std::string none;
    holdForDump(f.addresses, plain, none);
    endDumpHold(f.addresses, plain, "run-1", none);
    endRestoreHold(f.addresses, plain, none);
    CHECK(none.empty());
    CHECK(f.host->calls.empty());
  }
}

namespace {

// An inventory.img as CRIU 4.2 writes it: INVENTORY_MAGIC, the entry's size,
// inventory_entry (img_version, a nested root_ids, a bool, the run id, ...).
std::string inventoryImage(const std::string& runId, bool withRunId = true) {
  std::string message;
  message += std::string("\x08\x02", 2);                  // img_version = 2
  message += std::string("\x1a\x04\x08\x01\x10\x02", 6);  // root_ids { 1: 1, 2: 2 }
  message += std::string("\x20\x01", 2);                  // ns_per_id = true
  message += std::string("\x40\xe8\x07", 3);              // dump_uptime = 1000
  if (withRunId) {
    message += '\x6a';  // field 13, length-delimited
    message += static_cast<char>(runId.size());
    message += runId;
  }
  message += std::string("\x70\x00", 2);  // allow_uprobes = false
  std::string image;
  auto le32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) image += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  le32(0x58313116);
  le32(static_cast<std::uint32_t>(message.size()));
  return image + message;
}

}  // namespace

TEST_CASE("service address: CRIU's run id from a dump's inventory.img", "[agent][address]") {
  const std::string id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  SECTION("found after other fields of every wire type used") {
    auto r = criuRunIdFromInventory(inventoryImage(id));
    REQUIRE(r.ok());
    CHECK(*r == id);
  }
  SECTION("refused, saying why") {
    auto without = criuRunIdFromInventory(inventoryImage(id, false));
    REQUIRE(!without.ok());
    CHECK(without.error().message.find("no dump_criu_run_id") != std::string::npos);
    auto image = inventoryImage(id);
    image[0] = 0x19;  // IMG_COMMON_MAGIC's first byte: another image
    CHECK(criuRunIdFromInventory(image).error().message ==
          "inventory.img: not a CRIU inventory image");
    CHECK(criuRunIdFromInventory(inventoryImage(id).substr(0, 20)).error().message ==
          "inventory.img: truncated");
    auto cut = inventoryImage(id);
    cut[4] = static_cast<char>(cut[4] + 1);  // one byte more than there is
    CHECK(!criuRunIdFromInventory(cut).ok());
    CHECK(!criuRunIdFromInventory("").ok());
  }
  SECTION("from a checkpoint directory") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("roam-inventory-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    CHECK(criuRunIdOf(dir).error().code == roam::ErrorCode::NotFound);
    {
      std::ofstream out(dir / "inventory.img", std::ios::binary);
      out << inventoryImage(id);
    }
    auto r = criuRunIdOf(dir);
    std::filesystem::remove_all(dir);
    REQUIRE(r.ok());
    CHECK(*r == id);
  }
}

// The kernel's implementation, in a network namespace of a forked child
// (root): a veth pair 10.93.0.1/24 -- 10.93.0.2/24.
TEST_CASE("service address: the kernel holds, announces and drops the address",
          "[agent][address][root]") {
  REQUIRE(geteuid() == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int step = 10;
    auto fail = [&](int code) { _exit(code); };
    if (unshare(CLONE_NEWNET) != 0) fail(step);
    for (const char* command :
         {"ip link set lo up", "ip link add rsa0 type veth peer name rsa1",
          "ip addr add 10.93.0.1/24 dev rsa0", "ip addr add 10.93.0.2/24 dev rsa1",
          "ip link set rsa0 up", "ip link set rsa1 up"}) {
      ++step;
      if (std::system(command) != 0) fail(step);
    }
    auto host = makeKernelHostAddresses();
    auto held = [&](const std::string& ip) {
      auto r = host->holds(ip);
      return r.ok() && *r;
    };
    if (held("10.93.0.77")) fail(20);
    if (!host->add("10.93.0.77").ok() || !held("10.93.0.77")) fail(21);
    if (!host->add("10.93.0.77").ok()) fail(22);  // idempotent
    if (!host->announce("10.93.0.77").ok()) fail(23);
    if (host->announce("10.93.0.78").ok()) fail(24);  // not held: refused
    if (!host->remove("10.93.0.77").ok() || held("10.93.0.77")) fail(25);
    if (!host->remove("10.93.0.77").ok()) fail(26);  // idempotent
    if (host->add("203.0.113.1").ok()) fail(27);     // no interface routes to it: refused
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

// The hold in the kernel (nftables through libnftables), in a network
// namespace of a forked child (root): a TCP connect to a held address with no
// listener gets no answer (no reset) until the hold is lifted, when it is
// refused at once; CRIU's lock table goes by its run id.
TEST_CASE("service address: the kernel drops TCP for a held address, no reset",
          "[agent][address][root]") {
  REQUIRE(geteuid() == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto fail = [](int code) { _exit(code); };
    if (unshare(CLONE_NEWNET) != 0) fail(10);
    if (std::system("ip link set lo up") != 0) fail(11);
    if (std::system("ip link add rsh0 type veth peer name rsh1") != 0) fail(12);
    if (std::system("ip addr add 10.94.0.1/24 dev rsh0 && ip link set rsh0 up && "
                    "ip link set rsh1 up") != 0)
      fail(13);
    auto host = makeKernelHostAddresses();
    if (!host->add("10.94.0.77").ok()) fail(14);
    // 0: refused (a reset came back); 1: no answer within 300 ms; 2: other.
    auto attempt = [] {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(18999);  // nothing listens
      ::inet_pton(AF_INET, "10.94.0.77", &to.sin_addr);
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, 300);
      int error = 0;
      socklen_t len = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      ::close(fd);
      if (ready == 0) return 1;
      return error == ECONNREFUSED ? 0 : 2;
    };
    if (attempt() != 0) fail(20);  // not held: refused
    if (!host->hold("10.94.0.77").ok()) fail(21);
    if (!host->hold("10.94.0.77").ok()) fail(22);  // idempotent
    if (attempt() != 1) fail(23);                  // held: dropped, no reset
    if (!host->unhold("10.94.0.77").ok()) fail(24);
    if (attempt() != 0) fail(25);
    if (!host->unhold("10.94.0.77").ok()) fail(26);                          // idempotent
    if (runNftables("list table inet roam_hold_10_94_0_77").ok()) fail(31);  // nothing left
    if (!host->hold("10.94.0.77").ok() || attempt() != 1) fail(27);
    if (!host->unholdAll().ok() || attempt() != 0) fail(28);
    if (!host->unholdAll().ok()) fail(29);  // nothing left: done
    if (!host->hold("10.94.0.77").ok() || !host->hold("10.94.0.78").ok()) fail(32);
    if (!host->unholdAll().ok()) fail(33);
    std::string tables;
    if (!runNftables("list tables", false, &tables).ok() ||
        tables.find("roam_hold") != std::string::npos)
      fail(34);
    if (host->hold("10.94.0").ok()) fail(30);  // not an address: refused
    // A table as CRIU 4.2's dump leaves it (its name cut to 31 characters
    // with the family: "CRIU-" and 21 of the run id), deleted by the run id.
    const std::string id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    const std::string criuTable = "inet CRIU-1b4e28ba-2fa1-11d2-88";
    if (!runNftables("add table " + criuTable + "\nadd chain " + criuTable +
                     " input { type filter hook input priority 0; }")
             .ok())
      fail(40);
    if (!runNftables("list table " + criuTable).ok()) fail(41);
    if (!host->dropCriuLock(id).ok()) fail(42);
    if (runNftables("list table " + criuTable).ok()) fail(43);
    if (!host->dropCriuLock(id).ok()) fail(44);                 // gone: done
    if (host->dropCriuLock("x; flush ruleset").ok()) fail(45);  // not a run id: refused
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
