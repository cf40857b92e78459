#include "runtime/web/event_feed.hpp"

namespace roam::runtime {

std::vector<PageEvent> changedSections(const nlohmann::json& before, const nlohmann::json& after) {
  std::vector<PageEvent> out;
  for (const auto& name : pageSections()) {
    const auto a = after.find(name);
    if (a == after.end()) continue;
    const auto b = before.is_object() ? before.find(name) : before.end();
    if (before.is_object() && b != before.end() && *b == *a) continue;
    out.push_back({name, *a});
  }
  return out;
}

std::string formatEvent(const PageEvent& event, std::uint64_t id) {
  // dump() escapes newlines inside strings, so the JSON is one line.
  return "id: " + std::to_string(id) + "\nevent: " + event.name +
         "\ndata: " + event.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

EventFeed::EventFeed(LiveSource& source, PageModel& model, FeedOptions options)
    : source_(source), model_(model), options_(options) {}

EventFeed::~EventFeed() {
  stop();
}

void EventFeed::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(stopMutex_);
    stopping_ = false;
  }
  // Counted here, not in the thread: a change between start() and the
  // thread's first look must wake it.
  thread_ = std::thread([this, seen = source_.changeCount()] { loop(seen); });
}

void EventFeed::stop() {
  {
    std::lock_guard lock(stopMutex_);
    stopping_ = true;
  }
  stopChanged_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventFeed::subscribe(Sink sink) {
  std::lock_guard lock(mutex_);
  // Everyone else first gets what changed since the last round, so the new
  // subscriber's `state` and their view agree.
  advance();
  // The browser reconnects after 2 s when the connection drops.
  if (!sink("retry: 2000\n\n") || !sink(formatEvent({"state", last_}, nextId_++))) return;
  sinks_.push_back(std::move(sink));
}

std::size_t EventFeed::subscribers() const {
  std::lock_guard lock(mutex_);
  return sinks_.size();
}

std::size_t EventFeed::publish() {
  std::lock_guard lock(mutex_);
  return advance();
}

std::size_t EventFeed::advance() {
  nlohmann::json next = model_.snapshot();
  auto events = changedSections(last_, next);
  last_ = std::move(next);
  std::string chunk;
  for (const auto& e : events) chunk += formatEvent(e, nextId_++);
  const auto now = std::chrono::steady_clock::now();
  // Nothing new for a while: a comment, so a closed connection is noticed.
  if (chunk.empty() && now - lastSent_ >= options_.keepalive) chunk = ": keepalive\n\n";
  if (chunk.empty()) return 0;
  lastSent_ = now;
  for (auto it = sinks_.begin(); it != sinks_.end();)
    it = (*it)(chunk) ? std::next(it) : sinks_.erase(it);
  return events.size();
}

void EventFeed::loop(std::uint64_t seen) {
  while (true) {
    seen = source_.waitForChange(seen, options_.refresh);
    {
      std::unique_lock lock(stopMutex_);
      if (stopping_) return;
    }
    if (subscribers() > 0) publish();
    // Progress reports come many times a second: the page needs a few.
    std::unique_lock lock(stopMutex_);
    if (stopChanged_.wait_for(lock, options_.minGap, [&] { return stopping_; })) return;
  }
}

}  // namespace roam::runtime
