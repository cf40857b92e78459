// The live view's server-sent events: the format, one event per changed
// section, a subscriber's first `state`, and the thread that publishes a
// change (a decision, a migration's progress) as it happens.

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "runtime/web/event_feed.hpp"
#include "web_fixture.hpp"

using roam::runtime::changedSections;
using roam::runtime::EventFeed;
using roam::runtime::FeedOptions;
using roam::runtime::formatEvent;
using roam::runtime::PageModel;

namespace {

// A subscriber's side: the chunks it got, parsed back into events.
struct Subscriber {
  std::mutex mutex;
  std::condition_variable changed;
  std::string text;
  bool open = true;

  EventFeed::Sink sink() {
    return [this](std::string_view chunk) {
      std::lock_guard lock(mutex);
      text += chunk;
      changed.notify_all();
      return open;
    };
  }

  // (event name, data) of every complete event so far.
  std::vector<std::pair<std::string, nlohmann::json>> events() {
    std::lock_guard lock(mutex);
    std::vector<std::pair<std::string, nlohmann::json>> out;
    std::size_t at = 0;
    for (std::size_t end; (end = text.find("\n\n", at)) != std::string::npos; at = end + 2) {
      std::string block = text.substr(at, end - at);
      std::string name, data;
      std::size_t p = 0;
      while (p < block.size()) {
        auto nl = block.find('\n', p);
        std::string line = block.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
        if (line.rfind("event: ", 0) == 0) name = line.substr(7);
        if (line.rfind("data: ", 0) == 0) data = line.substr(6);
        p = nl == std::string::npos ? block.size() : nl + 1;
      }
      if (!name.empty()) out.emplace_back(name, nlohmann::json::parse(data));
    }
    return out;
  }

  bool waitFor(const std::string& name, std::size_t count) {
    auto has = [&] {
      std::size_t n = 0;
      for (const auto& e : events()) n += e.first == name ? 1 : 0;
      return n >= count;
    };
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] {
      lock.unlock();
      bool ok = has();
      lock.lock();
      return ok;
    });
  }
};

}  // namespace

TEST_CASE("events: the text/event-stream format, one line of JSON", "[web]") {
  const std::string text = formatEvent({"decisions", {{"why", "two\nlines"}}}, 7);
  CHECK(text == "id: 7\nevent: decisions\ndata: {\"why\":\"two\\nlines\"}\n\n");
}

TEST_CASE("events: one per changed section, in the page's order", "[web]") {
  nlohmann::json before = {
      {"generated_t", 1},  {"manager", {{"describe", "m"}}}, {"topology", {{"links", 1}}},
      {"containers", {1}}, {"policy", {{"policy", "a"}}},    {"decisions", {1}},
      {"migrations", {1}}};
  auto after = before;
  after["generated_t"] = 2;  // not a section
  CHECK(changedSections(before, after).empty());
  after["migrations"] = {1, 2};
  after["topology"]["links"] = 2;
  auto events = changedSections(before, after);
  REQUIRE(events.size() == 2);
  CHECK(events[0].name == "topology");
  CHECK(events[1].name == "migrations");
  CHECK(events[1].data == nlohmann::json{1, 2});
  // From nothing: every section.
  CHECK(changedSections(nullptr, after).size() == 6);
}

TEST_CASE("events: a subscriber gets the state, then what changes", "[web]") {
  roamtest::StateLiveSource source;
  PageModel model(source);
  EventFeed feed(source, model);
  Subscriber a;
  feed.subscribe(a.sink());
  CHECK(feed.subscribers() == 1);
  auto events = a.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].first == "state");
  CHECK(events[0].second["topology"]["hosts"].size() == 5);
  CHECK(a.text.rfind("retry: 2000\n\n", 0) == 0);

  // Nothing changed: nothing sent.
  CHECK(feed.publish() == 0);
  source.board.started(roamtest::migrationRecord("m-1", 100), 100);
  CHECK(feed.publish() == 2);  // the migration, and its container now migrating
  events = a.events();
  REQUIRE(events.size() == 3);
  CHECK(events[1].first == "containers");
  CHECK(events[2].first == "migrations");
  CHECK(events[2].second[0]["migration_id"] == "m-1");

  // A second subscriber starts from the same state; a closed one is dropped.
  Subscriber b;
  feed.subscribe(b.sink());
  CHECK(b.events()[0].second["migrations"][0]["migration_id"] == "m-1");
  a.open = false;
  source.backend->decisions = {{{"decision_id", "d-1"}, {"action", "dry-run"}}};
  CHECK(feed.publish() == 1);
  CHECK(feed.subscribers() == 1);
  CHECK(b.events().back().first == "decisions");
}

TEST_CASE("events: the feed's thread publishes a change as it happens", "[web]") {
  roamtest::StateLiveSource source;
  PageModel model(source);
  FeedOptions options;
  options.refresh = std::chrono::seconds(30);  // only the change wakes it
  options.minGap = std::chrono::milliseconds(10);
  EventFeed feed(source, model, options);
  feed.start();
  Subscriber s;
  feed.subscribe(s.sink());
  source.board.started(roamtest::migrationRecord("m-1", 100), 100);
  REQUIRE(s.waitFor("migrations", 1));
  source.board.progressed("m-1", "precopy", 0, 0, 0, 101);
  REQUIRE(s.waitFor("migrations", 2));
  CHECK(s.events().back().second[0]["phase"] == "precopy");
  feed.stop();
}
