// A real agent's connection handling (Agent::session) faced with frames it
// must refuse: the snapshot migration's RESTART, LAYERS and LAYERS_HAVE,
// retired with protocol version 1, are unknown types now. Each gets one
// ERROR naming the type and a closed connection, and the agent carries on.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/migration_harness.hpp"
#include "agent/protocol/frame.hpp"
#include "agent/tls/tls_context.hpp"
#include "agent/transport/agent_connector.hpp"

using namespace roam::agent;
using nlohmann::json;
using roamtest::MigrationHarness;

namespace {

// What came back for one raw frame sent as `cli` on a fresh connection.
struct Answer {
  std::string problem;  // why there is no answer; "" when there is one
  std::optional<Message> reply;
  bool closedAfter = false;  // the agent closed the connection after the reply
};

Answer sendRaw(const std::filesystem::path& certs, const std::string& address,
               std::vector<std::uint8_t> frame) {
  auto tls = makeTlsContext(TlsFiles::forName(certs, "cli"), TlsRole::client);
  REQUIRE(tls.ok());
  asio::io_context io;
  Answer answer;
  auto exchange = [&]() -> awaitable<void> {
    auto connected = co_await connectToAgent(**tls, address, std::chrono::seconds(5));
    if (!connected.ok()) {
      answer.problem = connected.error().message;
      co_return;
    }
    auto stream = *connected;
    stream->setIdleTimeout(std::chrono::seconds(5));  // a hanging agent fails the test
    if (!co_await stream->writeEncoded(std::move(frame))) {
      answer.problem = "the frame could not be written";
      co_return;
    }
    auto first = co_await stream->read();
    if (!first.message) {
      answer.problem = first.closed ? "closed without a reply" : first.error->message;
      co_return;
    }
    answer.reply = std::move(first.message);
    answer.closedAfter = (co_await stream->read()).closed;
    stream->close();
  };
  asio::co_spawn(io, exchange, asio::detached);
  io.run();
  return answer;
}

}  // namespace

TEST_CASE("an agent refuses the retired RESTART, LAYERS and LAYERS_HAVE as unknown types",
          "[agent][daemon]") {
  MigrationHarness h;
  h.start();
  const auto certs = h.destination.options.certs;
  const std::string layer = "sha256:" + std::string(64, 'b');
  // The headers version 1's source sent, under the current version.
  const std::vector<json> retired = {{{"v", kProtocolVersion},
                                      {"type", "RESTART"},
                                      {"migration_id", "mig-old"},
                                      {"container", "web"},
                                      {"mode", "snapshot"},
                                      {"config", json::object()},
                                      {"files", json::array({{{"name", "image.tar"},
                                                              {"kind", "image"},
                                                              {"target", ""},
                                                              {"size", 0},
                                                              {"sha256", std::string(64, 'a')}}})},
                                      {"compression", "zstd"}},
                                     {{"v", kProtocolVersion},
                                      {"type", "LAYERS"},
                                      {"migration_id", "mig-old"},
                                      {"layers", {layer}}},
                                     {{"v", kProtocolVersion},
                                      {"type", "LAYERS_HAVE"},
                                      {"migration_id", "mig-old"},
                                      {"have", {layer}}}};
  for (const auto& header : retired) {
    const std::string type = header["type"];
    INFO(type << "\n" << h.logs());
    auto answer = sendRaw(certs, h.destination.address, encodeFrame(header));
    REQUIRE(answer.problem == "");
    REQUIRE(answer.reply);
    const auto* error = std::get_if<Error>(&*answer.reply);
    REQUIRE(error);
    CHECK(error->migrationId == "");
    CHECK(error->error == "unknown message type \"" + type + "\"");
    CHECK(answer.closedAfter);
  }
  // The agent keeps serving.
  auto ping = pingAgent({certs, "cli"}, h.destination.address, std::chrono::seconds(5));
  INFO(roam::errorText(ping));
  CHECK(ping.ok());
  CHECK_THAT(h.logs(), Catch::Contains("unknown message type \"RESTART\""));
}
