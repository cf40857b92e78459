// The client's calls (agent/client) against a scripted agent: a mutual-TLS
// server in this process that answers each message as the test says. The
// manager's agent poller relies on these outcomes (agentStatus, pingAgent), so
// each reply the calls accept or refuse is pinned here, not only in the
// integration tests.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include "agent/client/agent_request.hpp"
#include "agent/protocol_samples.hpp"
#include "agent/tls/certificates.hpp"
#include "agent/tls/tls_context.hpp"
#include "agent/transport/agent_connector.hpp"
#include "agent/transport/framed_stream.hpp"

namespace {

using namespace roam::agent;

// What the scripted agent does with one message it read: the frames to write
// back (encodeMessage, or any bytes; none: silence), then it reads on; or
// nullopt: it closes the connection.
using Frames = std::vector<std::vector<std::uint8_t>>;
using Script = std::function<std::optional<Frames>(const Message&)>;

Frames reply(std::initializer_list<Message> messages) {
  Frames out;
  for (const auto& m : messages) out.push_back(encodeMessage(m));
  return out;
}

// An agent stand-in named "agent" on 127.0.0.1, with its own io_context
// thread. Certificates for "agent" and "manager" in a fresh directory.
class ScriptedAgent {
 public:
  explicit ScriptedAgent(Script script) : script_(std::move(script)) {
    REQUIRE(initAuthority(dir_.path / "certs").ok());
    REQUIRE(issueCertificate(dir_.path / "certs", "agent", {"127.0.0.1"}).ok());
    REQUIRE(issueCertificate(dir_.path / "certs", "manager", {}).ok());
    auto made = makeTlsContext(TlsFiles::forName(dir_.path / "certs", "agent"), TlsRole::server);
    REQUIRE(made.ok());
    tls_ = std::move(*made);
    acceptor_.open(Tcp::v4());
    acceptor_.bind(Tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor_.listen();
    address_ = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    asio::co_spawn(io_, acceptLoop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedAgent() {
    io_.stop();
    thread_.join();
  }

  const std::string& address() const { return address_; }
  ClientIdentity manager() const { return {dir_.path / "certs", "manager"}; }
  std::vector<Message> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::vector<std::string> peers() {
    std::lock_guard lock(mutex_);
    return peers_;
  }

 private:
  awaitable<void> acceptLoop() {
    while (true) {
      Tcp::socket socket(io_);
      boost::system::error_code ec;
      co_await acceptor_.async_accept(socket, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      auto stream =
          std::make_shared<FramedStream>(TlsStream(std::move(socket), *tls_), FrameLimits{});
      asio::co_spawn(io_, serve(stream), asio::detached);
    }
  }

  // Detached: its by-value parameter is safe (docs/architecture.md).
  awaitable<void> serve(FramedStreamPtr stream) {
    const auto shaken = co_await acceptHandshake(*stream, std::chrono::seconds(5));
    if (!shaken.ok()) co_return;
    {
      std::lock_guard lock(mutex_);
      peers_.push_back(stream->peerName());
    }
    while (stream->isOpen()) {
      auto next = co_await stream->read();
      if (!next.message) break;
      std::optional<Frames> frames;
      {
        std::lock_guard lock(mutex_);
        received_.push_back(*next.message);
        frames = script_(*next.message);
      }
      if (!frames) break;
      for (auto& frame : *frames) co_await stream->writeEncoded(std::move(frame));
    }
    co_await stream->flush();
    stream->close();
  }

  // Declared before io_: the coroutines it destroys last use these.
  roamtest::TempDir dir_;
  Script script_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::mutex mutex_;
  std::vector<Message> received_;
  std::vector<std::string> peers_;
  asio::io_context io_;
  Tcp::acceptor acceptor_{io_};
  std::string address_;
  std::thread thread_;
};

std::optional<Frames> closeConnection(const Message&) {
  return std::nullopt;
}

std::optional<Frames> silence(const Message&) {
  return Frames{};
}

// A frame whose header says TYPE but has no other field.
Frames bare(const std::string& type) {
  return {encodeFrame({{"v", kProtocolVersion}, {"type", type}})};
}

// Answers every message with M.
Script replying(Message m) {
  return [m = std::move(m)](const Message&) { return reply({m}); };
}

// A reply a call must not accept: what the agent does, and the call's error.
struct WrongReply {
  std::string what;
  Script script;
  std::string error;
  roam::ErrorCode code;
};

// CALL (one request to the given agent) fails against each of REPLIES as it says.
template <class Call>
void checkRefuses(const std::vector<WrongReply>& replies, const Call& call) {
  for (const auto& wrong : replies) {
    INFO(wrong.what);
    ScriptedAgent agent(wrong.script);
    auto outcome = call(agent);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == wrong.error);
    CHECK(outcome.error().code == wrong.code);
  }
}

}  // namespace

TEST_CASE("pingAgent: a PONG with our nonce is a round trip", "[agent][client]") {
  ScriptedAgent agent([](const Message& m) { return reply({Pong{std::get<Ping>(m).nonce}}); });
  for (int i = 0; i < 3; ++i) {  // each call a fresh nonce on a fresh connection
    auto outcome = pingAgent(agent.manager(), agent.address());
    INFO(roam::errorText(outcome));
    REQUIRE(outcome.ok());
    CHECK(outcome->peerName == "agent");
    CHECK(outcome->roundTripSeconds > 0);
  }
  auto received = agent.received();
  REQUIRE(received.size() == 3);
  CHECK(std::get<Ping>(received[0]).nonce != std::get<Ping>(received[1]).nonce);
  CHECK(agent.peers() == std::vector<std::string>(3, "manager"));
}

TEST_CASE("pingAgent refuses every other answer", "[agent][client]") {
  SECTION("another nonce") {
    ScriptedAgent agent(
        [](const Message& m) { return reply({Pong{std::get<Ping>(m).nonce + 1}}); });
    auto outcome = pingAgent(agent.manager(), agent.address());
    REQUIRE_FALSE(outcome.ok());  // no round trip
    CHECK(outcome.error().message == "expected PONG with our nonce");
    CHECK(outcome.error().code == roam::ErrorCode::Protocol);
    CHECK(agent.peers() == std::vector<std::string>{"manager"});
  }
  SECTION("ERROR") {
    ScriptedAgent agent(replying(Error{"", "no"}));
    CHECK(roam::errorText(pingAgent(agent.manager(), agent.address())) ==
          "expected PONG with our nonce");
  }
  SECTION("a closed connection") {
    ScriptedAgent agent(closeConnection);
    CHECK(roam::errorText(pingAgent(agent.manager(), agent.address())) ==
          "no PONG: connection closed");
  }
  SECTION("a malformed PONG") {
    ScriptedAgent agent([](const Message&) { return bare("PONG"); });
    CHECK(roam::errorText(pingAgent(agent.manager(), agent.address())) ==
          "PONG: field 'nonce': missing");
  }
  SECTION("silence, until the timeout closes the connection") {
    ScriptedAgent agent(silence);
    const auto start = std::chrono::steady_clock::now();
    auto outcome = pingAgent(agent.manager(), agent.address(), std::chrono::seconds(1));
    CHECK(roam::errorText(outcome) == "no PONG: connection closed");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
  SECTION("nobody listening") {
    ScriptedAgent agent(closeConnection);  // for the certificates
    asio::io_context io;
    Tcp::acceptor closed(io, Tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    const std::string address = "127.0.0.1:" + std::to_string(closed.local_endpoint().port());
    closed.close();
    auto outcome = pingAgent(agent.manager(), address, std::chrono::seconds(2));
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == roam::ErrorCode::Connect);
    CHECK_FALSE(outcome.error().message.empty());
  }
}

TEST_CASE("agentStatus returns the STATUS_REPLY or why there is none", "[agent][client]") {
  StatusReply status;
  status.name = "agent";
  status.containers = nlohmann::json::array(
      {{{"name", "iperf-server-with-a-long-name"}, {"state", "running"}, {"labels", {}}}});
  status.capabilities = {{"protocol", kProtocolVersion}};
  SECTION("a reply") {
    ScriptedAgent agent([&](const Message& m) {
      CHECK(std::holds_alternative<Status>(m));
      return reply({status});
    });
    // As the manager's poller does, many times in a row.
    for (int i = 0; i < 5; ++i) {
      auto outcome = agentStatus(agent.manager(), agent.address());
      INFO(roam::errorText(outcome));
      REQUIRE(outcome.ok());
      CHECK(*outcome == status);
    }
  }
  SECTION("ERROR is not a status") {
    ScriptedAgent agent(replying(Error{"", "busy"}));
    auto outcome = agentStatus(agent.manager(), agent.address());
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == "expected STATUS_REPLY");
  }
  SECTION("another message") {
    ScriptedAgent agent(replying(Pong{1}));
    CHECK(roam::errorText(agentStatus(agent.manager(), agent.address())) ==
          "expected STATUS_REPLY");
  }
  SECTION("a closed connection") {
    ScriptedAgent agent(closeConnection);
    auto outcome = agentStatus(agent.manager(), agent.address());
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == "no STATUS_REPLY: connection closed");
    CHECK(outcome.error().code == roam::ErrorCode::Io);
  }
  SECTION("a malformed reply") {
    ScriptedAgent agent([](const Message&) { return bare("STATUS_REPLY"); });
    CHECK(roam::errorText(agentStatus(agent.manager(), agent.address())) ==
          "STATUS_REPLY: field 'name': missing");
  }
}

TEST_CASE("probeLatencies sends the peers and returns the report", "[agent][client]") {
  const std::vector<AgentPeer> peers = {{"h2", "10.0.0.2:7070"}, {"h3", "10.0.0.3:7070"}};
  const LatencyReport report{{{"h2", 0.001}, {"h3", 0.002}}};
  SECTION("a report") {
    ScriptedAgent agent([&](const Message&) { return reply({report}); });
    auto outcome = probeLatencies(agent.manager(), agent.address(), peers);
    INFO(roam::errorText(outcome));
    REQUIRE(outcome.ok());
    CHECK(*outcome == report);
    REQUIRE(agent.received().size() == 1);
    CHECK(std::get<LatencyProbe>(agent.received()[0]).peers == peers);
  }
  SECTION("every other answer") {
    checkRefuses(
        {{"ERROR is a refusal", replying(Error{"", "only the manager"}),
          "the agent refused the latency probe: only the manager", roam::ErrorCode::Refused},
         {"another message", replying(Pong{1}), "expected LATENCY_REPORT",
          roam::ErrorCode::Protocol},
         {"a closed connection", closeConnection, "no LATENCY_REPORT: connection closed",
          roam::ErrorCode::Io}},
        [&](ScriptedAgent& agent) {
          return probeLatencies(agent.manager(), agent.address(), peers);
        });
  }
}

TEST_CASE("setUpMtdEpoch waits for MTD_READY of its epoch", "[agent][client]") {
  MtdSetup setup;
  setup.epoch = "epoch-1";
  setup.scheme = "prf";
  setup.k = 1;
  setup.entries = 1;
  setup.table = "00";
  setup.key = "00112233445566778899aabbccddeeff";
  setup.managerKey = "-----BEGIN PUBLIC KEY-----\n";
  SECTION("ready") {
    ScriptedAgent agent(
        [](const Message& m) { return reply({MtdReady{std::get<MtdSetup>(m).epoch}}); });
    CHECK(roam::errorText(setUpMtdEpoch(agent.manager(), agent.address(), setup)) == "");
    REQUIRE(agent.received().size() == 1);
    CHECK(std::get<MtdSetup>(agent.received()[0]) == setup);
  }
  SECTION("every other answer") {
    checkRefuses({{"ready for another epoch", replying(MtdReady{"epoch-0"}),
                   "expected MTD_READY for the epoch", roam::ErrorCode::Protocol},
                  {"ERROR is a refusal", replying(Error{"", "bad table"}),
                   "the agent refused the MTD setup: bad table", roam::ErrorCode::Refused},
                  {"a closed connection", closeConnection, "no MTD_READY: connection closed",
                   roam::ErrorCode::Io}},
                 [&](ScriptedAgent& agent) {
                   return setUpMtdEpoch(agent.manager(), agent.address(), setup);
                 });
  }
}

TEST_CASE("requestMigration follows PROGRESS to DONE, for both orders", "[agent][client]") {
  const Done done = roamtest::sampleDone();
  const Progress progress{done.migrationId, "transfer", 10, 20, 5};
  ScriptedAgent agent([&](const Message&) { return reply({progress, progress, done}); });
  int seen = 0;
  auto onProgress = [&](const Progress& p) {
    CHECK(p == progress);
    ++seen;
  };

  const Migrate migrate{done.migrationId, done.container, done.destination, done.mode};
  auto outcome = requestMigration(agent.manager(), agent.address(), migrate, onProgress);
  INFO(roam::errorText(outcome));
  REQUIRE(outcome.ok());
  CHECK(outcome->done == done);
  CHECK(outcome->sourceName == "agent");
  CHECK(seen == 2);

  const MtdMigrate order{"m-2", done.container, "snapshot", "epoch-1", std::string(64, 'a'), "00"};
  auto mtd = requestMigration(agent.manager(), agent.address(), order, nullptr);
  CHECK(mtd.ok());

  auto received = agent.received();
  REQUIRE(received.size() == 2);
  CHECK(std::get<Migrate>(received[0]) == migrate);
  CHECK(std::get<MtdMigrate>(received[1]) == order);
}

TEST_CASE("requestMigration reports refusals, closes and cancellation", "[agent][client]") {
  const Migrate migrate{"m-1", "web", "127.0.0.1:7071", "snapshot"};
  SECTION("ERROR") {
    ScriptedAgent agent([](const Message&) { return reply({Error{"m-1", "no such container"}}); });
    auto outcome = requestMigration(agent.manager(), agent.address(), migrate, nullptr);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == "the source agent refused: no such container");
  }
  SECTION("another message") {
    ScriptedAgent agent(replying(Pong{1}));
    CHECK(roam::errorText(requestMigration(agent.manager(), agent.address(), migrate, nullptr)) ==
          "unexpected PONG from the source agent");
  }
  SECTION("a closed connection") {
    ScriptedAgent agent(closeConnection);
    CHECK(roam::errorText(requestMigration(agent.manager(), agent.address(), migrate, nullptr)) ==
          "the source agent closed the connection before DONE");
  }
  SECTION("a malformed reply") {
    ScriptedAgent agent([](const Message&) { return bare("DONE"); });
    CHECK(roam::errorText(requestMigration(agent.manager(), agent.address(), migrate, nullptr)) ==
          "malformed reply from the source agent: DONE: field 'migration_id': missing");
  }
  SECTION("cancelled while the agent is silent") {
    ScriptedAgent agent(silence);
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      cancel = true;
    });
    auto outcome = requestMigration(agent.manager(), agent.address(), migrate, nullptr,
                                    std::chrono::seconds(10), &cancel);
    canceller.join();
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == "cancelled before the exchange ended");
  }
}
