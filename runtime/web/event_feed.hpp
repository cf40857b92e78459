#pragma once
// The live view's server-sent events (docs/web.md, "/events"): a subscriber
// first gets the whole state (event `state`), then one event per section of
// the page model that changed (`manager`, `topology`, `containers`, `policy`,
// `decisions`, `migrations`), each carrying that section's new value. A
// thread rebuilds the model when the source reports a change (a decision, a
// migration's progress) and at least every `refresh` (the measurements), and
// only while someone listens.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/web/live_source.hpp"
#include "runtime/web/page_model.hpp"

namespace roam::runtime {

struct PageEvent {
  std::string name;
  nlohmann::json data;
};

// The events that turn the snapshot `before` into `after`: one per section
// (pageSections()) whose value differs, in that order.
std::vector<PageEvent> changedSections(const nlohmann::json& before, const nlohmann::json& after);

// One event in the text/event-stream format: "id: N", "event: NAME", the
// JSON on one "data:" line, and a blank line.
std::string formatEvent(const PageEvent& event, std::uint64_t id);

struct FeedOptions {
  std::chrono::milliseconds refresh{1000};     // rebuild at least this often
  std::chrono::milliseconds minGap{200};       // and at most this often
  std::chrono::milliseconds keepalive{15000};  // a comment line when quiet
};

class EventFeed {
 public:
  // Writes one chunk to a subscriber; false when it is gone.
  using Sink = std::function<bool(std::string_view chunk)>;

  EventFeed(LiveSource& source, PageModel& model, FeedOptions options = {});
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Starts and stops the thread that publishes changes (stop() also in the destructor).
  void start();
  void stop();

  // A new subscriber: the reconnection delay and the `state` event now, the
  // changes from then on.
  void subscribe(Sink sink);
  std::size_t subscribers() const;

  // Rebuilds the model and sends the changed sections to every subscriber
  // (the thread's work, public for tests); returns how many events it sent
  // to each.
  std::size_t publish();

 private:
  void loop(std::uint64_t seen);
  std::size_t advance();  // publish()'s work, mutex_ held

  LiveSource& source_;
  PageModel& model_;
  FeedOptions options_;

  mutable std::mutex mutex_;  // the subscribers, the last snapshot, the event ids
  std::list<Sink> sinks_;
  nlohmann::json last_;
  std::uint64_t nextId_ = 1;
  std::chrono::steady_clock::time_point lastSent_;

  std::mutex stopMutex_;
  std::condition_variable stopChanged_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace roam::runtime
