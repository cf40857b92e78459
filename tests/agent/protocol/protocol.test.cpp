#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/protocol/frame.hpp"
#include "agent/protocol/messages.hpp"
#include "agent/protocol_samples.hpp"

using namespace roam::agent;
using nlohmann::json;
using roamtest::roundTrip;

namespace {

using Bytes = std::vector<std::uint8_t>;

const std::string kLayer = "sha256:" + std::string(64, 'b');
const std::string kEpoch = "e-1700000000-0a1b2c3d";
const std::string kR = "0123456789abcdef" + std::string(48, '7');
const std::string kToken = std::string(128, 'e');
const std::string kPem =
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
    "-----END PUBLIC KEY-----\n";

Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// A prefix claiming HEADER and PAYLOAD bytes, followed by the raw header text.
Bytes rawFrame(std::string_view header, std::uint32_t payloadBytes = 0) {
  Bytes out;
  auto put = [&out](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  put(static_cast<std::uint32_t>(header.size()));
  put(payloadBytes);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payloadBytes, 0x5a);
  return out;
}

// An MTD_SETUP of SCHEME with its material: k = 3, three table entries.
MtdSetup mtdSetup(const std::string& scheme) {
  MtdSetup m;
  m.epoch = kEpoch;
  m.scheme = scheme;
  m.k = 3;
  m.entries = 3;
  m.table = "00112233445566778899aabbccddeeff" + std::string(96, 'c');
  m.point = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  if (scheme == "shamir") m.share = MtdShare{2, std::string(64, '5')};
  if (scheme == "fountain") {
    m.droplets = {{"01a2ff", std::string(22, '9')}, {"0b0c0d", std::string(22, '8')}};
    m.secretLength = 32;
  }
  if (scheme == "prf") m.key = std::string(64, '3');
  m.peers = {{"h1", "10.0.0.1:7000"}, {"h3", "[::1]:7001"}};
  m.managerKey = kPem;
  return m;
}

// One filled-in value of every message type.
std::vector<Message> sampleMessages() {
  return {Migrate{"mig-1", "iperf-server", "10.0.0.4:7000", "auto"},
          Data{"mig-1", 2, 1 << 20, true},
          Success{"mig-1", std::string(64, 'f')},
          Failure{"mig-1", "restore failed: no space left on device"},
          roamtest::sampleDone(),
          Error{"", "frame too large: payload of 5000000 bytes exceeds the limit of 4194304"},
          Progress{"mig-1", "transfer", 10, 20, 1.5e6},
          Ping{18446744073709551615ull},
          Pong{7},
          Status{},
          StatusReply{"h2", json::array({{{"name", "iperf-server"}, {"state", "running"}}}),
                      json::array(),
                      json{{"modes", {"snapshot", "checkpoint"}}, {"compression", {"zstd"}}}},
          mtdSetup("shamir"),
          MtdReady{kEpoch},
          MtdMigrate{"mig-2", "iperf-server", "auto", kEpoch, kR, kToken},
          KeyRequest{"mig-2", kEpoch, "h2", kR, kToken},
          KeyReply{"mig-2", MtdShare{3, std::string(64, '4')}},
          LatencyProbe{{{"h1", "10.0.0.1:7070"}, {"h3", "[::1]:7071"}}},
          LatencyReport{{{"h1", 0.00042}, {"h3", 0}}},
          Prepare{"mig-3",
                  "web",
                  "snapshot",
                  json{{"name", "web"}, {"image", "roam/busybox:1"}},
                  kLayer,
                  {kLayer, "sha256:" + std::string(64, 'c')},
                  "zstd"},
          ImageNeeded{"mig-3", {kLayer}},
          ImageArchive{"mig-3", 4096, std::string(32, 'a')},
          Ready{"mig-3", std::string(64, 'e')},
          Round{"mig-3", 2, true},
          RoundEnd{"mig-3", 2, 65536, std::string(32, 'b')},
          RoundDone{"mig-3", 1, 1 << 20},
          Abort{"mig-3", "the freeze passed its deadline of 5 s"},
          Checkpoint{"mig-3", "roam-mig-3", 8192, std::string(32, 'c')}};
}

// The error decodeMessage gives for the header of SAMPLE changed by MUTATE.
std::string errorAfter(const Message& sample, const std::function<void(json&)>& mutate) {
  json header = toHeader(sample);
  mutate(header);
  auto result = roundTrip(encodeFrame(header));
  CHECK_FALSE(result.ok());
  return roam::errorText(result);
}

Message sampleOf(MessageType type) {
  return sampleMessages()[static_cast<std::size_t>(type)];
}

}  // namespace

TEST_CASE("every message survives a round trip", "[agent][protocol]") {
  for (const auto& message : sampleMessages()) {
    const auto type = typeOf(message);
    INFO(toString(type));
    CHECK(messageTypeFromString(toString(type)) == type);
    const Bytes payload = type == MessageType::data ? bytesOf("chunk bytes") : Bytes{};
    auto result = roundTrip(encodeMessage(message, payload));
    INFO(roam::errorText(result));
    REQUIRE(result.ok());
    CHECK(*result == message);

    json header = toHeader(message);
    CHECK(header["v"] == kProtocolVersion);
    CHECK(header["type"] == toString(type));
  }
  // Default-constructed messages are valid as far as types go but not ids; they
  // still encode without throwing.
  CHECK_FALSE(encodeMessage(Migrate{}).empty());
  CHECK_FALSE(messageTypeFromString("migrate"));
  CHECK_FALSE(messageTypeFromString(""));
}

TEST_CASE("the frame prefix is two big-endian lengths", "[agent][protocol]") {
  const Bytes payload = {1, 2, 3};
  auto bytes = encodeFrame(json{{"v", 1}, {"type", "PING"}, {"nonce", 5}}, payload);
  const std::string header = R"({"nonce":5,"type":"PING","v":1})";
  std::string expected = {0, 0, 0, static_cast<char>(header.size()), 0, 0, 0, 3};
  expected += header + "\x01\x02\x03";
  CHECK(bytes == bytesOf(expected));

  const Bytes big = {0x00, 0x01, 0x02, 0x03, 0x00, 0x10, 0x00, 0x00};
  auto prefix = decodePrefix(std::span<const std::uint8_t, kFramePrefixBytes>(big.data(), 8),
                             FrameLimits{1 << 20, 1 << 20});
  REQUIRE(prefix.ok());
  CHECK(prefix->headerBytes == 0x00010203u);
  CHECK(prefix->payloadBytes == 0x00100000u);
}

TEST_CASE("frames fed byte by byte come out whole and in order", "[agent][protocol]") {
  Bytes stream;
  const auto messages = sampleMessages();
  for (const auto& m : messages) {
    auto bytes = encodeMessage(m, typeOf(m) == MessageType::data ? bytesOf("xyz") : Bytes{});
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  FrameDecoder decoder;
  std::vector<Message> got;
  for (std::uint8_t byte : stream) {
    decoder.feed(std::span<const std::uint8_t>(&byte, 1));
    while (auto frame = decoder.next()) {
      auto result = decodeMessage(*frame);
      INFO(roam::errorText(result));
      REQUIRE(result.ok());
      if (typeOf(*result) == MessageType::data) CHECK(frame->payload == bytesOf("xyz"));
      got.push_back(*result);
    }
  }
  CHECK_FALSE(decoder.failed());
  CHECK(decoder.buffered() == 0);
  CHECK(got == messages);
}

TEST_CASE("a truncated frame needs more bytes and is not an error", "[agent][protocol]") {
  auto bytes = encodeMessage(Ping{1});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    FrameDecoder decoder;
    decoder.feed(std::span<const std::uint8_t>(bytes.data(), n));
    CHECK_FALSE(decoder.next());
    CHECK_FALSE(decoder.failed());
    CHECK_FALSE(decoder.error());
  }
}

TEST_CASE("malformed frames give specific errors", "[agent][protocol]") {
  const FrameLimits small{64, 16};
  struct Case {
    std::string name;
    Bytes bytes;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"zero header", rawFrame(""), "empty frame header"},
      {"oversized header", rawFrame(std::string(65, ' ')),
       "frame too large: header of 65 bytes exceeds the limit of 64"},
      {"oversized payload", Bytes{0, 0, 0, 2, 0, 0, 0, 17},
       "frame too large: payload of 17 bytes exceeds the limit of 16"},
      {"not JSON", rawFrame("{nope"),
       "frame header is not valid JSON: parse error at line 1, column 3: syntax error while "
       "parsing object key"},  // the rest of the text is nlohmann's
      {"not an object", rawFrame(R"(["v",1])"), "frame header is not a JSON object"},
      {"missing v", rawFrame(R"({"type":"PING"})"), "frame header: missing 'v'"},
      {"string v", rawFrame(R"({"v":"1","type":"PING"})"), "frame header: 'v' must be an integer"},
      {"float v", rawFrame(R"({"v":1.0,"type":"PING"})"), "frame header: 'v' must be an integer"},
      {"version 1 (before the checksum changed)", rawFrame(R"({"v":1,"type":"PING"})"),
       "unsupported protocol version 1"},
      {"version 3", rawFrame(R"({"v":3,"type":"PING"})"), "unsupported protocol version 3"},
      {"version -1", rawFrame(R"({"v":-1,"type":"PING"})"), "unsupported protocol version -1"},
      {"missing type", rawFrame(R"({"v":2})"), "frame header: missing 'type'"},
      {"empty type", rawFrame(R"({"v":2,"type":""})"),
       "frame header: 'type' must be a non-empty string"},
      {"numeric type", rawFrame(R"({"v":2,"type":3})"),
       "frame header: 'type' must be a non-empty string"},
      {"too deep", rawFrame(std::string(65, '[') + std::string(65, ']')),
       "frame header nested deeper than 64 levels"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    FrameDecoder decoder(c.name == "too deep" ? FrameLimits{} : small);
    decoder.feed(c.bytes);
    CHECK_FALSE(decoder.next());
    CHECK(decoder.failed());
    REQUIRE(decoder.error());
    CHECK(decoder.error()->code == roam::ErrorCode::Protocol);
    CHECK(decoder.error()->message.starts_with(c.error));
    if (c.name != "not JSON") CHECK(decoder.error()->message == c.error);
  }
}

TEST_CASE("an oversized prefix fails before its body arrives", "[agent][protocol]") {
  FrameDecoder decoder(FrameLimits{64, 16});
  decoder.feed(Bytes{0, 0, 0, 10, 0, 1, 0, 0});
  CHECK_FALSE(decoder.next());
  CHECK(decoder.failed());
  CHECK(decoder.error()->message ==
        "frame too large: payload of 65536 bytes exceeds the limit of 16");
}

TEST_CASE("the decoder stays failed after an error", "[agent][protocol]") {
  FrameDecoder decoder;
  decoder.feed(rawFrame("[]"));
  CHECK_FALSE(decoder.next());
  REQUIRE(decoder.failed());
  const std::string first = decoder.error()->message;
  decoder.feed(encodeMessage(Ping{1}));
  CHECK_FALSE(decoder.next());
  CHECK(decoder.failed());
  CHECK(decoder.error()->message == first);
  CHECK(decoder.buffered() == 0);
}

TEST_CASE("decodeFrame checks the header alone", "[agent][protocol]") {
  auto ok = decodeFrame(bytesOf(R"({"v":2,"type":"DATA","x":[1]})"), bytesOf("p"));
  REQUIRE(ok.ok());
  CHECK(ok->type() == "DATA");
  CHECK(ok->payload == bytesOf("p"));
  CHECK(roam::errorText(decodeFrame(bytesOf("1"), {})) == "frame header is not a JSON object");
  CHECK(Frame{}.type().empty());
}

TEST_CASE("messages reject bad fields naming the type and field", "[agent][protocol]") {
  using T = MessageType;
  struct Case {
    T type;
    std::function<void(json&)> mutate;
    std::string error;
  };
  const std::vector<Case> cases = {
      {T::migrate, [](json& h) { h["container"] = 5; },
       "MIGRATE: field 'container': expected a string"},
      {T::migrate, [](json& h) { h.erase("migration_id"); },
       "MIGRATE: field 'migration_id': missing"},
      {T::migrate, [](json& h) { h["migration_id"] = "-starts-with-dash"; },
       "MIGRATE: field 'migration_id': expected an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"},
      {T::migrate, [](json& h) { h["migration_id"] = std::string(129, 'a'); },
       "MIGRATE: field 'migration_id': expected an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"},
      {T::migrate, [](json& h) { h["container"] = "bad/name"; },
       "MIGRATE: field 'container': expected a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most "
       "128)"},
      {T::migrate, [](json& h) { h["mode"] = "live"; },
       "MIGRATE: field 'mode': expected a mode (auto, snapshot or checkpoint)"},
      {T::migrate, [](json& h) { h["destination"] = "10.0.0.4:0"; },
       "MIGRATE: field 'destination': expected HOST:PORT with port 1..65535"},
      {T::migrate, [](json& h) { h["destination"] = "10.0.0.4:65536"; },
       "MIGRATE: field 'destination': expected HOST:PORT with port 1..65535"},
      {T::migrate, [](json& h) { h["destination"] = "10.0.0.4"; },
       "MIGRATE: field 'destination': expected HOST:PORT with port 1..65535"},
      {T::migrate, [](json& h) { h["destination"] = ":7000"; },
       "MIGRATE: field 'destination': expected HOST:PORT with port 1..65535"},
      {T::migrate, [](json& h) { h["destination"] = std::string(5000, 'a') + ":1"; },
       "MIGRATE: field 'destination': longer than 4096 bytes"},
      {T::data, [](json& h) { h["file"] = 1024; },
       "DATA: field 'file': out of range (at most 1023)"},
      {T::data, [](json& h) { h["offset"] = 1.5; },
       "DATA: field 'offset': expected a non-negative integer"},
      {T::data, [](json& h) { h["last"] = 1; }, "DATA: field 'last': expected a boolean"},
      {T::success, [](json& h) { h.erase("container_id"); },
       "SUCCESS: field 'container_id': missing"},
      {T::failure, [](json& h) { h["error"] = ""; }, "FAILURE: field 'error': must not be empty"},
      {T::failure, [](json& h) { h["error"] = std::string(4097, 'e'); },
       "FAILURE: field 'error': longer than 4096 bytes"},
      {T::done, [](json& h) { h["seconds"] = -1; },
       "DONE: field 'seconds': expected a finite non-negative number"},
      {T::done, [](json& h) { h["bytes_sent"] = "10"; },
       "DONE: field 'bytes_sent': expected a non-negative integer"},
      {T::done, [](json& h) { h["source"] = "h 2"; },
       "DONE: field 'source': expected an agent name or HOST:PORT"},
      {T::error, [](json& h) { h["migration_id"] = "a b"; },
       "ERROR: field 'migration_id': expected \"\" or an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"},
      {T::error, [](json& h) { h.erase("error"); }, "ERROR: field 'error': missing"},
      {T::progress, [](json& h) { h["phase"] = "Transfer"; },
       "PROGRESS: field 'phase': expected a phase ([a-z][a-z0-9_-]{0,63})"},
      {T::progress, [](json& h) { h["rate_bps"] = "fast"; },
       "PROGRESS: field 'rate_bps': expected a number"},
      {T::ping, [](json& h) { h["nonce"] = -5; },
       "PING: field 'nonce': expected a non-negative integer"},
      {T::pong, [](json& h) { h.erase("nonce"); }, "PONG: field 'nonce': missing"},
      {T::statusReply, [](json& h) { h["containers"] = json::object(); },
       "STATUS_REPLY: field 'containers': expected an array"},
      {T::statusReply, [](json& h) { h["capabilities"] = json::array(); },
       "STATUS_REPLY: field 'capabilities': expected an object"},
      {T::statusReply, [](json& h) { h["name"] = ""; },
       "STATUS_REPLY: field 'name': expected an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"},
      {T::prepare, [](json& h) { h["config"] = json::array(); },
       "PREPARE: field 'config': expected an object"},
      {T::prepare, [](json& h) { h["compression"] = "gzip"; },
       "PREPARE: field 'compression': expected zstd or none"},
      {T::prepare, [](json& h) { h["image"] = "sha256:xyz"; },
       "PREPARE: field 'image': expected sha256: and 64 lowercase hex digits"},
      {T::prepare, [](json& h) { h["layers"][1] = "sha256:xyz"; },
       "PREPARE: field 'layers[1]': expected a layer id (sha256:<64 lowercase hex>)"},
      {T::prepare, [](json& h) { h["layers"] = "sha256"; },
       "PREPARE: field 'layers': expected an array"},
      {T::prepare,
       [](json& h) {
         h["layers"] = json::array();
         for (int i = 0; i < 4097; ++i) h["layers"].push_back(i);
       },
       "PREPARE: field 'layers': more than 4096 items"},
      {T::imageNeeded, [](json& h) { h["have"][0] = 1; },
       "IMAGE_NEEDED: field 'have[0]': expected a string"},
      {T::image, [](json& h) { h["checksum"] = std::string(64, 'a'); },
       "IMAGE: field 'checksum': expected 32 lowercase hex digits"},
      {T::ready, [](json& h) { h.erase("container_id"); }, "READY: field 'container_id': missing"},
      {T::round, [](json& h) { h["round"] = 0; }, "ROUND: field 'round': out of range (1..1000)"},
      {T::roundEnd, [](json& h) { h["checksum"] = std::string(32, 'B'); },
       "ROUND_END: field 'checksum': expected 32 lowercase hex digits"},
      {T::roundDone, [](json& h) { h["round"] = 1001; },
       "ROUND_DONE: field 'round': out of range (1..1000)"},
      {T::abort, [](json& h) { h["error"] = ""; }, "ABORT: field 'error': must not be empty"},
      {T::checkpoint, [](json& h) { h["checksum"] = "c"; },
       "CHECKPOINT: field 'checksum': expected 32 lowercase hex digits"},
      {T::checkpoint, [](json& h) { h.erase("name"); }, "CHECKPOINT: field 'name': missing"},
      {T::migrate, [](json& h) { h["type"] = "TELEPORT"; }, "unknown message type \"TELEPORT\""},
  };
  for (const auto& c : cases) {
    INFO(c.error);
    CHECK(errorAfter(sampleOf(c.type), c.mutate) == c.error);
  }
}

// The snapshot migration's messages (protocol version 1) are gone: a peer
// that still sends one gets the unknown-type refusal like any other type, and
// encoding cannot produce them.
TEST_CASE("the retired RESTART, LAYERS and LAYERS_HAVE are unknown types", "[agent][protocol]") {
  const json files = json::array({{{"name", "image.tar"},
                                   {"kind", "image"},
                                   {"target", ""},
                                   {"size", 1234},
                                   {"sha256", std::string(64, 'a')}}});
  const std::vector<json> retired = {{{"v", kProtocolVersion},
                                      {"type", "RESTART"},
                                      {"migration_id", "mig-1"},
                                      {"container", "web"},
                                      {"mode", "snapshot"},
                                      {"config", json::object()},
                                      {"files", files},
                                      {"compression", "zstd"}},
                                     {{"v", kProtocolVersion},
                                      {"type", "LAYERS"},
                                      {"migration_id", "mig-1"},
                                      {"layers", {kLayer}}},
                                     {{"v", kProtocolVersion},
                                      {"type", "LAYERS_HAVE"},
                                      {"migration_id", "mig-1"},
                                      {"have", {kLayer}}}};
  for (const auto& header : retired) {
    const std::string type = header["type"];
    INFO(type);
    CHECK_FALSE(messageTypeFromString(type));
    auto result = roundTrip(encodeFrame(header));
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == roam::ErrorCode::Protocol);
    CHECK(result.error().message == "unknown message type \"" + type + "\"");
  }
  for (const auto& message : sampleMessages()) {
    const std::string_view name = toString(typeOf(message));
    CHECK(name != "RESTART");
    CHECK(name != "LAYERS");
    CHECK(name != "LAYERS_HAVE");
  }
}

TEST_CASE("valid variants of fields are accepted", "[agent][protocol]") {
  auto accepts = [](const Message& sample, const std::function<void(json&)>& mutate) {
    json header = toHeader(sample);
    mutate(header);
    auto result = roundTrip(encodeFrame(header));
    INFO(roam::errorText(result));
    return result.ok();
  };
  const auto migrate = sampleOf(MessageType::migrate);
  CHECK(accepts(migrate, [](json& h) { h["destination"] = "[::1]:7000"; }));
  CHECK(accepts(migrate, [](json& h) { h["destination"] = "agent-h4.example:65535"; }));
  CHECK(accepts(migrate, [](json& h) { h["future_field"] = {1, 2}; }));  // ignored
  CHECK(accepts(migrate, [](json& h) { h["migration_id"] = std::string(128, 'a'); }));
  CHECK(accepts(sampleOf(MessageType::done), [](json& h) { h["seconds"] = 3; }));
  CHECK(accepts(sampleOf(MessageType::done), [](json& h) { h["source"] = "10.0.0.2:7000"; }));
  CHECK(accepts(sampleOf(MessageType::error), [](json& h) { h["migration_id"] = "m"; }));
  CHECK(accepts(sampleOf(MessageType::status), [](json& h) { h["extra"] = true; }));
}

TEST_CASE("only DATA carries a payload", "[agent][protocol]") {
  auto result = roundTrip(encodeMessage(Ping{3}, bytesOf("x")));
  CHECK_FALSE(result.ok());
  CHECK(roam::errorText(result) == "PING: unexpected payload of 1 bytes (only DATA carries one)");

  auto data = roundTrip(encodeMessage(Data{"m", 0, 0, true}));  // an empty file's one chunk
  CHECK(data.ok());
}

TEST_CASE("decodeMessage never throws on hand-made frames", "[agent][protocol]") {
  CHECK(roam::errorText(decodeMessage(Frame{})) == "frame header is not a JSON object");
  Frame frame;
  frame.header = {{"v", kProtocolVersion}, {"type", "MIGRATE"}, {"migration_id", nullptr}};
  CHECK(roam::errorText(decodeMessage(frame)) ==
        "MIGRATE: field 'migration_id': expected a string");
}

TEST_CASE("MTD messages survive a round trip", "[agent][protocol]") {
  const std::vector<Message> messages = {
      mtdSetup("shamir"),
      mtdSetup("fountain"),
      mtdSetup("prf"),
      MtdReady{kEpoch},
      MtdMigrate{"mig-2", "iperf-server", "checkpoint", kEpoch, kR, kToken},
      KeyRequest{"mig-2", kEpoch, "h2", kR, kToken},
      KeyReply{"mig-2", MtdShare{255, "ab"}},
      KeyReply{"mig-2", MtdDroplet{"01a2ff", std::string(22, '9')}}};
  for (const auto& message : messages) {
    INFO(toHeader(message).dump());
    auto result = roundTrip(encodeMessage(message));
    INFO(roam::errorText(result));
    REQUIRE(result.ok());
    CHECK(*result == message);
  }

  SECTION("a fountain host may hold no droplet (k = 1)") {
    MtdSetup m = mtdSetup("fountain");
    m.k = 1;
    m.droplets.clear();
    auto result = roundTrip(encodeMessage(m));
    INFO(roam::errorText(result));
    REQUIRE(result.ok());
    CHECK(*result == Message(m));
    CHECK(toHeader(m)["droplets"] == json::array());
  }
  SECTION("the point travels as 16 hex digits each, zero-padded") {
    MtdSetup m = mtdSetup("prf");
    m.point = {0, 0xffffffffffffffffull};
    const json header = toHeader(m);
    CHECK(header["point"] == json{{"x", "0000000000000000"}, {"y", "ffffffffffffffff"}});
    auto result = roundTrip(encodeMessage(m));
    REQUIRE(result.ok());
    CHECK(std::get<MtdSetup>(*result).point == m.point);
  }
  SECTION("the encoder writes only the scheme's own material") {
    MtdSetup m = mtdSetup("shamir");
    m.key = "aa";
    m.droplets = {{"010203", "ff"}};
    m.secretLength = 5;
    json header = toHeader(m);
    CHECK(header.contains("share"));
    CHECK_FALSE(header.contains("key"));
    CHECK_FALSE(header.contains("droplets"));
    CHECK_FALSE(header.contains("secret_length"));

    header = toHeader(mtdSetup("prf"));
    CHECK(header["key"] == std::string(64, '3'));
    CHECK_FALSE(header.contains("share"));
    CHECK_FALSE(header.contains("droplets"));

    header = toHeader(mtdSetup("fountain"));
    CHECK(header["secret_length"] == 32);
    CHECK(header["droplets"].size() == 2);
    CHECK_FALSE(header.contains("share"));
    CHECK_FALSE(header.contains("key"));
  }
  SECTION("KEY_REPLY carries one of share or droplet") {
    CHECK(toHeader(KeyReply{"m", MtdShare{1, "00"}}) == json{{"v", kProtocolVersion},
                                                             {"type", "KEY_REPLY"},
                                                             {"migration_id", "m"},
                                                             {"share", {{"x", 1}, {"y", "00"}}}});
    CHECK(toHeader(KeyReply{"m", MtdDroplet{"01", "02"}}) ==
          json{{"v", kProtocolVersion},
               {"type", "KEY_REPLY"},
               {"migration_id", "m"},
               {"droplet", {{"c", "01"}, {"v", "02"}}}});
  }
}

TEST_CASE("DONE's key_s is optional and written only when set", "[agent][protocol]") {
  Done done = std::get<Done>(sampleOf(MessageType::done));
  REQUIRE(done.keySeconds == 0);
  CHECK_FALSE(toHeader(done).contains("key_s"));

  SECTION("a DONE without key_s (an older peer's) decodes as before, key_s 0") {
    json header = toHeader(done);
    header.erase("key_s");
    auto result = roundTrip(encodeFrame(header));
    REQUIRE(result.ok());
    CHECK(std::get<Done>(*result).keySeconds == 0);
    CHECK(*result == Message(done));
    CHECK(encodeMessage(*result) == encodeFrame(header));
  }
  SECTION("key_s round-trips") {
    done.keySeconds = 0.125;
    CHECK(toHeader(done)["key_s"] == 0.125);
    auto result = roundTrip(encodeMessage(done));
    REQUIRE(result.ok());
    CHECK(*result == Message(done));
  }
  SECTION("key_s 0 is accepted and reads as absent") {
    json header = toHeader(done);
    header["key_s"] = 0;
    auto result = roundTrip(encodeFrame(header));
    REQUIRE(result.ok());
    CHECK(*result == Message(done));
  }
  SECTION("a bad key_s is refused") {
    CHECK(errorAfter(done, [](json& h) { h["key_s"] = -0.5; }) ==
          "DONE: field 'key_s': expected a finite non-negative number");
    CHECK(errorAfter(done, [](json& h) { h["key_s"] = "1s"; }) ==
          "DONE: field 'key_s': expected a number");
  }
}

TEST_CASE("MTD messages reject bad fields naming the type and field", "[agent][protocol]") {
  const Message shamir = mtdSetup("shamir"), fountain = mtdSetup("fountain"), prf = mtdSetup("prf");
  const Message ready = sampleOf(MessageType::mtdReady);
  const Message migrate = sampleOf(MessageType::mtdMigrate);
  const Message request = sampleOf(MessageType::keyRequest);
  const Message reply = sampleOf(MessageType::keyReply);
  const std::string kId = "expected an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})";
  auto many = [](std::size_t n, const json& item) {
    json out = json::array();
    for (std::size_t i = 0; i < n; ++i) out.push_back(item);
    return out;
  };
  struct Case {
    const Message& sample;
    std::function<void(json&)> mutate;
    std::string error;
  };
  const std::vector<Case> cases = {
      // MTD_SETUP, common fields
      {shamir, [](json& h) { h["epoch"] = "e 1"; }, "MTD_SETUP: field 'epoch': " + kId},
      {shamir, [](json& h) { h.erase("epoch"); }, "MTD_SETUP: field 'epoch': missing"},
      {shamir, [](json& h) { h["scheme"] = "rsa"; },
       "MTD_SETUP: field 'scheme': expected a scheme (shamir, fountain or prf)"},
      {shamir, [](json& h) { h["scheme"] = "Shamir"; },
       "MTD_SETUP: field 'scheme': expected a scheme (shamir, fountain or prf)"},
      {shamir, [](json& h) { h["k"] = 0; }, "MTD_SETUP: field 'k': out of range (1..255)"},
      {shamir, [](json& h) { h["k"] = 256; }, "MTD_SETUP: field 'k': out of range (1..255)"},
      {shamir, [](json& h) { h["k"] = 2.0; },
       "MTD_SETUP: field 'k': expected a non-negative integer"},
      {shamir, [](json& h) { h["k"] = -1; },
       "MTD_SETUP: field 'k': expected a non-negative integer"},
      {shamir, [](json& h) { h["entries"] = 0; },
       "MTD_SETUP: field 'entries': out of range (1..255)"},
      {shamir, [](json& h) { h["entries"] = 300; },
       "MTD_SETUP: field 'entries': out of range (1..255)"},
      {shamir, [](json& h) { h["table"] = ""; }, "MTD_SETUP: field 'table': must not be empty"},
      {shamir, [](json& h) { h["table"] = "ABCD"; },
       "MTD_SETUP: field 'table': expected lowercase hex digits"},
      {shamir, [](json& h) { h["table"] = "abc"; },
       "MTD_SETUP: field 'table': expected an even number of hex digits"},
      {shamir, [](json& h) { h["table"] = "0x00"; },
       "MTD_SETUP: field 'table': expected lowercase hex digits"},
      {shamir, [](json& h) { h["table"] = std::string(16386, 'a'); },
       "MTD_SETUP: field 'table': longer than 16384 bytes"},
      {shamir, [](json& h) { h["point"] = "0123"; },
       "MTD_SETUP: field 'point': expected an object"},
      {shamir, [](json& h) { h["point"]["x"] = std::string(15, '1'); },
       "MTD_SETUP: field 'point.x': expected 16 lowercase hex digits"},
      {shamir, [](json& h) { h["point"]["y"] = "FEDCBA9876543210"; },
       "MTD_SETUP: field 'point.y': expected 16 lowercase hex digits"},
      {shamir, [](json& h) { h["point"]["y"] = 5; },
       "MTD_SETUP: field 'point.y': expected a string"},
      {shamir, [](json& h) { h["point"].erase("x"); }, "MTD_SETUP: field 'point.x': missing"},
      {shamir, [](json& h) { h["peers"] = json::object(); },
       "MTD_SETUP: field 'peers': expected an array"},
      {shamir, [](json& h) { h["peers"][1]["address"] = "10.0.0.3"; },
       "MTD_SETUP: field 'peers[1].address': expected HOST:PORT with port 1..65535"},
      {shamir, [](json& h) { h["peers"][0]["name"] = "-h1"; },
       "MTD_SETUP: field 'peers[0].name': " + kId},
      {shamir, [](json& h) { h["peers"][1]["name"] = "h1"; },
       "MTD_SETUP: field 'peers[1].name': duplicate peer name 'h1'"},
      {shamir, [](json& h) { h["peers"][0] = "h1"; },
       "MTD_SETUP: field 'peers[0]': expected an object"},
      {shamir,
       [&many](json& h) {
         h["peers"] = many(256, {{"name", "h"}, {"address", "h:1"}});
       },
       "MTD_SETUP: field 'peers': more than 255 items"},
      {shamir, [](json& h) { h["manager_key"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"; },
       "MTD_SETUP: field 'manager_key': expected a PEM public key (-----BEGIN PUBLIC KEY-----)"},
      {shamir, [](json& h) { h["manager_key"] = "-----BEGIN PRIVATE KEY-----\nMC4=\n"; },
       "MTD_SETUP: field 'manager_key': expected a PEM public key (-----BEGIN PUBLIC KEY-----)"},
      {shamir,
       [](json& h) { h["manager_key"] = "-----BEGIN PUBLIC KEY-----" + std::string(4071, 'A'); },
       "MTD_SETUP: field 'manager_key': longer than 4096 bytes"},
      // shamir
      {shamir, [](json& h) { h.erase("share"); }, "MTD_SETUP: field 'share': missing"},
      {shamir, [](json& h) { h["share"] = "55"; }, "MTD_SETUP: field 'share': expected an object"},
      {shamir, [](json& h) { h["share"]["x"] = 0; },
       "MTD_SETUP: field 'share.x': out of range (1..255)"},
      {shamir, [](json& h) { h["share"]["x"] = 256; },
       "MTD_SETUP: field 'share.x': out of range (1..255)"},
      {shamir, [](json& h) { h["share"]["y"] = "555"; },
       "MTD_SETUP: field 'share.y': expected an even number of hex digits"},
      {shamir, [](json& h) { h["share"]["y"] = ""; },
       "MTD_SETUP: field 'share.y': must not be empty"},
      {shamir, [](json& h) { h["key"] = "aa"; }, "MTD_SETUP: field 'key': only with scheme prf"},
      {shamir, [](json& h) { h["droplets"] = json::array(); },
       "MTD_SETUP: field 'droplets': only with scheme fountain"},
      {shamir, [](json& h) { h["secret_length"] = 32; },
       "MTD_SETUP: field 'secret_length': only with scheme fountain"},
      // fountain
      {fountain, [](json& h) { h.erase("droplets"); }, "MTD_SETUP: field 'droplets': missing"},
      {fountain, [](json& h) { h["droplets"][1]["c"] = "0b0c"; },
       "MTD_SETUP: field 'droplets[1].c': expected 6 lowercase hex digits"},
      {fountain, [](json& h) { h["droplets"][0]["c"] = "0B0C0D"; },
       "MTD_SETUP: field 'droplets[0].c': expected 6 lowercase hex digits"},
      {fountain, [](json& h) { h["droplets"][0]["v"] = "f"; },
       "MTD_SETUP: field 'droplets[0].v': expected an even number of hex digits"},
      {fountain, [](json& h) { h["droplets"][1] = 3; },
       "MTD_SETUP: field 'droplets[1]': expected an object"},
      {fountain,
       [&many](json& h) {
         h["droplets"] = many(256, {{"c", "010203"}, {"v", "00"}});
       },
       "MTD_SETUP: field 'droplets': more than 255 items"},
      {fountain, [](json& h) { h.erase("secret_length"); },
       "MTD_SETUP: field 'secret_length': missing"},
      {fountain, [](json& h) { h["secret_length"] = 0; },
       "MTD_SETUP: field 'secret_length': out of range (1..4096)"},
      {fountain, [](json& h) { h["secret_length"] = 4097; },
       "MTD_SETUP: field 'secret_length': out of range (1..4096)"},
      {fountain,
       [](json& h) {
         h["share"] = {{"x", 1}, {"y", "00"}};
       },
       "MTD_SETUP: field 'share': only with scheme shamir"},
      // prf
      {prf, [](json& h) { h.erase("key"); }, "MTD_SETUP: field 'key': missing"},
      {prf, [](json& h) { h["key"] = ""; }, "MTD_SETUP: field 'key': must not be empty"},
      {prf, [](json& h) { h["key"] = std::string(64, 'G'); },
       "MTD_SETUP: field 'key': expected lowercase hex digits"},
      {prf, [](json& h) { h["droplets"] = json::array(); },
       "MTD_SETUP: field 'droplets': only with scheme fountain"},
      // MTD_READY
      {ready, [](json& h) { h.erase("epoch"); }, "MTD_READY: field 'epoch': missing"},
      {ready, [](json& h) { h["epoch"] = ""; }, "MTD_READY: field 'epoch': " + kId},
      // MTD_MIGRATE
      {migrate, [](json& h) { h["r"] = std::string(63, 'a'); },
       "MTD_MIGRATE: field 'r': expected 64 lowercase hex digits"},
      {migrate, [](json& h) { h["r"] = std::string(65, 'a'); },
       "MTD_MIGRATE: field 'r': expected 64 lowercase hex digits"},
      {migrate, [](json& h) { h["r"] = std::string(64, 'A'); },
       "MTD_MIGRATE: field 'r': expected 64 lowercase hex digits"},
      {migrate, [](json& h) { h["token"] = ""; }, "MTD_MIGRATE: field 'token': must not be empty"},
      {migrate, [](json& h) { h["token"] = std::string(1026, 'a'); },
       "MTD_MIGRATE: field 'token': longer than 1024 bytes"},
      {migrate, [](json& h) { h["token"] = "abc"; },
       "MTD_MIGRATE: field 'token': expected an even number of hex digits"},
      {migrate, [](json& h) { h["mode"] = "live"; },
       "MTD_MIGRATE: field 'mode': expected a mode (auto, snapshot or checkpoint)"},
      {migrate, [](json& h) { h["container"] = "a/b"; },
       "MTD_MIGRATE: field 'container': expected a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, "
       "at most 128)"},
      {migrate, [](json& h) { h["epoch"] = 7; }, "MTD_MIGRATE: field 'epoch': expected a string"},
      // KEY_REQUEST
      {request, [](json& h) { h["source"] = "h 2"; }, "KEY_REQUEST: field 'source': " + kId},
      {request, [](json& h) { h.erase("epoch"); }, "KEY_REQUEST: field 'epoch': missing"},
      {request, [](json& h) { h["r"] = std::string(63, '0'); },
       "KEY_REQUEST: field 'r': expected 64 lowercase hex digits"},
      {request, [](json& h) { h["token"] = "ABCD"; },
       "KEY_REQUEST: field 'token': expected lowercase hex digits"},
      {request, [](json& h) { h.erase("token"); }, "KEY_REQUEST: field 'token': missing"},
      // KEY_REPLY
      {reply,
       [](json& h) {
         h["droplet"] = {{"c", "01"}, {"v", "02"}};
       },
       "KEY_REPLY: field 'share': expected exactly one of share or droplet"},
      {reply, [](json& h) { h.erase("share"); },
       "KEY_REPLY: field 'share': expected exactly one of share or droplet"},
      {reply, [](json& h) { h["share"]["x"] = 256; },
       "KEY_REPLY: field 'share.x': out of range (1..255)"},
      {reply, [](json& h) { h["share"] = json::array(); },
       "KEY_REPLY: field 'share': expected an object"},
      {reply,
       [](json& h) {
         h.erase("share");
         h["droplet"] = {{"c", "010"}, {"v", "02"}};
       },
       "KEY_REPLY: field 'droplet.c': expected an even number of hex digits"},
      {reply,
       [](json& h) {
         h.erase("share");
         h["droplet"] = {{"c", std::string(512, '1')}, {"v", "02"}};
       },
       "KEY_REPLY: field 'droplet.c': longer than 510 bytes"},
      {reply,
       [](json& h) {
         h.erase("share");
         h["droplet"] = {{"c", "01"}};
       },
       "KEY_REPLY: field 'droplet.v': missing"},
      {reply, [](json& h) { h["migration_id"] = ""; }, "KEY_REPLY: field 'migration_id': " + kId},
  };
  for (const auto& c : cases) {
    INFO(c.error);
    CHECK(errorAfter(c.sample, c.mutate) == c.error);
  }
}

TEST_CASE("latency messages reject bad fields naming the type and field", "[agent][protocol]") {
  const Message probe = sampleOf(MessageType::latencyProbe);
  const Message report = sampleOf(MessageType::latencyReport);
  CHECK(errorAfter(probe, [](json& h) { h["peers"] = json::array(); }) ==
        "LATENCY_PROBE: field 'peers': must not be empty");
  CHECK(errorAfter(probe, [](json& h) { h.erase("peers"); }) ==
        "LATENCY_PROBE: field 'peers': missing");
  CHECK(errorAfter(probe, [](json& h) { h["peers"][1]["name"] = "h1"; }) ==
        "LATENCY_PROBE: field 'peers[1].name': duplicate peer name 'h1'");
  CHECK(errorAfter(probe, [](json& h) { h["peers"][0]["address"] = "10.0.0.1"; }) ==
        "LATENCY_PROBE: field 'peers[0].address': expected HOST:PORT with port 1..65535");
  CHECK(errorAfter(probe, [](json& h) {
          json many = json::array();
          for (int i = 0; i < 256; ++i)
            many.push_back({{"name", "h" + std::to_string(i)}, {"address", "a:1"}});
          h["peers"] = many;
        }) == "LATENCY_PROBE: field 'peers': more than 255 items");

  CHECK(errorAfter(report, [](json& h) { h["round_trips"][0]["seconds"] = -0.5; }) ==
        "LATENCY_REPORT: field 'round_trips[0].seconds': expected a finite non-negative number");
  CHECK(errorAfter(report, [](json& h) { h["round_trips"][0]["seconds"] = "1ms"; }) ==
        "LATENCY_REPORT: field 'round_trips[0].seconds': expected a number");
  CHECK(errorAfter(report, [](json& h) { h["round_trips"][1]["name"] = "h1"; }) ==
        "LATENCY_REPORT: field 'round_trips[1].name': duplicate peer name 'h1'");
  CHECK(errorAfter(report, [](json& h) { h["round_trips"][0] = 3; }) ==
        "LATENCY_REPORT: field 'round_trips[0]': expected an object");
  CHECK(errorAfter(report, [](json& h) { h["round_trips"][0].erase("name"); }) ==
        "LATENCY_REPORT: field 'round_trips[0].name': missing");
  // No peer answered: an empty report is valid.
  auto empty = roundTrip(encodeMessage(LatencyReport{}));
  REQUIRE(empty.ok());
  CHECK(std::get<LatencyReport>(*empty).roundTrips.empty());
}

// The frame fuzzer's seeds (tests/corpus/frames), checked as fuzz/frame_fuzz.cpp
// checks every input but without a fuzzing build: each message accepted decodes
// again to itself, and a seed whose frames are all accepted re-encodes to its
// very bytes, which pins the wire format of every message type it holds.
TEST_CASE("the frame fuzzer's seeds re-encode to their own bytes", "[agent][protocol]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(ROAM_SOURCE_DIR) / "tests" / "corpus" / "frames";
  std::set<std::string> typesSeen;
  int seeds = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++seeds;
    std::ifstream in(entry.path(), std::ios::binary);
    const Bytes seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path().filename().string());
    FrameDecoder decoder;
    decoder.feed(seed);
    Bytes reencoded;
    bool allAccepted = true;
    while (auto frame = decoder.next()) {
      auto decoded = decodeMessage(*frame);
      CHECK((decoded.ok() || !decoded.error().message.empty()));
      if (!decoded.ok()) {
        allAccepted = false;
        continue;
      }
      typesSeen.insert(std::string(toString(typeOf(*decoded))));
      const Bytes bytes = encodeMessage(*decoded, frame->payload);
      reencoded.insert(reencoded.end(), bytes.begin(), bytes.end());
      auto redecoded = roundTrip(bytes);
      INFO(roam::errorText(redecoded));
      REQUIRE(redecoded.ok());
      CHECK(*redecoded == *decoded);
    }
    allAccepted = allAccepted && !decoder.failed() && decoder.buffered() == 0;
    if (allAccepted) CHECK(reencoded == seed);
  }
  CHECK(seeds > 0);
  // Every message type has a seed.
  CHECK(typesSeen.size() == std::variant_size_v<Message>);
}
