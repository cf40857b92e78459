// The daemons' log events and their two line formats (common/log_event.hpp).

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/log_event.hpp"

using namespace roam::logging;

namespace {

// 2026-12-06T19:18:59.123Z, from a fixed instant.
Clock::time_point instant() {
  return Clock::time_point(std::chrono::milliseconds(1796584739123LL));
}

}  // namespace

TEST_CASE("log event: fields chain and empty values are left out", "[common][log]") {
  Event e = Event(Level::error, "migration m1 failed")
                .with("migration_id", "m1")
                .with("container", "web")
                .with("destination", "")
                .with("bytes_sent", 42LL)
                .with("seconds", std::optional<double>{})
                .with("rounds", 3);
  CHECK(e.level == Level::error);
  CHECK(e.field("migration_id") == "m1");
  CHECK(e.field("bytes_sent") == "42");
  CHECK_FALSE(e.field("destination"));
  CHECK(e.field("rounds") == "3");
  CHECK_FALSE(e.field("seconds"));
  CHECK(e.fields.size() == 4);

  Event plain = std::string("a line");
  CHECK(plain.level == Level::info);
  CHECK(plain.message == "a line");
  CHECK(plain.fields.empty());
}

TEST_CASE("log event: the text line is the message after a local timestamp", "[common][log]") {
  Event e = Event("decision d1: dispatch web h1 -> h2 in 0.10 ms").with("container", "web");
  std::string line = textLine(e, instant());
  CHECK(std::regex_match(line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d decision d1: )"
                                          R"(dispatch web h1 -> h2 in 0\.10 ms)")));
  CHECK(line.find("web h1") != std::string::npos);
  CHECK(line.find("container") == std::string::npos);  // fields stay out of text
}

TEST_CASE("log event: the JSON line has timestamp, level, message and fields", "[common][log]") {
  Event e = Event(Level::warning, "quote \" and\nnewline")
                .with("migration_id", "m1")
                .with("container", "web")
                .with("message", "a field named like a key")
                .with("bytes_sent", std::uint64_t{1} << 40)
                .with("seconds", 2.5)
                .with("maybe", std::optional<double>(0.125))
                .with("dry_run", true)
                .with("not_a_number", std::nan(""))
                .with("text", "7");
  std::string line = jsonLine(e, instant());
  CHECK(line.find('\n') == std::string::npos);
  auto j = nlohmann::json::parse(line);
  CHECK(j["timestamp"] == "2026-12-06T19:18:59.123Z");
  CHECK(j["level"] == "warning");
  CHECK(j["message"] == "quote \" and\nnewline");
  CHECK(j["migration_id"] == "m1");
  CHECK(j["container"] == "web");
  CHECK(j["field.message"] == "a field named like a key");
  // Numbers and booleans keep their kind; a literal stays text.
  CHECK(j["bytes_sent"] == 1099511627776LL);
  CHECK(j["seconds"] == 2.5);
  CHECK(j["maybe"] == 0.125);
  CHECK(j["dry_run"] == true);
  CHECK(j["text"] == "7");
  CHECK_FALSE(j.contains("not_a_number"));
  // The fixed keys first, for people reading the raw lines.
  CHECK(line.rfind("{\"timestamp\":", 0) == 0);

  // Bytes that are not UTF-8 (a container's output in an error) do not throw.
  std::string odd = jsonLine(Event("bad \xff byte"), instant());
  CHECK(nlohmann::json::parse(odd)["message"].get<std::string>().find("bad ") == 0);
}

TEST_CASE("log event: formats by name", "[common][log]") {
  CHECK(parseFormat("text") == Format::text);
  CHECK(parseFormat("json") == Format::json);
  CHECK_FALSE(parseFormat("JSON"));
  CHECK_FALSE(parseFormat(""));
}

TEST_CASE("log event: a logger takes event sinks and line sinks", "[common][log]") {
  std::vector<std::string> lines;
  Logger lineSink = [&](const std::string& line) { lines.push_back(line); };
  lineSink(Event("one").with("k", "v"));
  lineSink("two");
  CHECK(lines == std::vector<std::string>{"one", "two"});

  std::vector<Event> events;
  Logger eventSink = [&](const Event& e) { events.push_back(e); };
  Logger copy = eventSink;  // a copy, not a logger wrapped in a logger
  copy(Event(Level::error, "three").with("k", "v"));
  REQUIRE(events.size() == 1);
  CHECK(events[0].field("k") == "v");

  Logger none;
  CHECK_FALSE(none);
  none("dropped");  // no sink: nothing happens
}

TEST_CASE("log event: a stream sink writes whole lines of its format", "[common][log]") {
  std::ostringstream out;
  StreamSink json(out, Format::json);
  json(Event("hello").with("policy", "p"));
  json(Event(Level::error, "bye"));
  std::istringstream in(out.str());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j.contains("timestamp"));
    ++n;
  }
  CHECK(n == 2);
  CHECK(out.str().find("\"policy\":\"p\"") != std::string::npos);

  std::ostringstream text;
  StreamSink plain(text, Format::text);
  plain(Event("hello").with("policy", "p"));
  CHECK(text.str().find(" hello\n") != std::string::npos);
  CHECK(text.str().find("policy") == std::string::npos);
}
