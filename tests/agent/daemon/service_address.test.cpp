// A service's own address (agent/daemon/service_address.hpp): the label, the
// bookkeeping over a fake host (claim, release, reconcile, the steps'
// decisions), and the kernel's implementation in a network namespace of its own.

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
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
