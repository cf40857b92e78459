#include "common/log_event.hpp"

#include <time.h>

#include <cstdio>
#include <ostream>

#include <nlohmann/json.hpp>

namespace roam::logging {

const char* levelName(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "info";
}

Event& Event::with(std::string key, std::string value) & {
  if (!value.empty()) fields.emplace_back(std::move(key), std::move(value));
  return *this;
}

Event&& Event::with(std::string key, std::string value) && {
  return std::move(with(std::move(key), std::move(value)));
}

Event& Event::with(std::string key, long long value) & {
  return with(std::move(key), std::to_string(value));
}

Event&& Event::with(std::string key, long long value) && {
  return std::move(with(std::move(key), std::to_string(value)));
}

std::optional<std::string> Event::field(const std::string& key) const {
  std::optional<std::string> found;
  for (const auto& [k, v] : fields)
    if (k == key) found = v;
  return found;
}

std::optional<Format> parseFormat(const std::string& name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return std::nullopt;
}

namespace {

std::tm brokenDown(Clock::time_point at, bool utc) {
  std::time_t secs = Clock::to_time_t(at);
  std::tm tm{};
  if (utc)
    gmtime_r(&secs, &tm);
  else
    localtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::string textLine(const Event& event, Clock::time_point at) {
  std::tm tm = brokenDown(at, false);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(stamp) + " " + event.message;
}

std::string jsonLine(const Event& event, Clock::time_point at) {
  // to_time_t truncates towards the epoch only for non-negative times,
  // which a log's clock always is.
  std::tm tm = brokenDown(at, true);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  char stamp[40];
  std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(ms));
  nlohmann::ordered_json j;
  j["timestamp"] = stamp;
  j["level"] = levelName(event.level);
  j["message"] = event.message;
  for (const auto& [key, value] : event.fields) {
    bool reserved = key == "timestamp" || key == "level" || key == "message";
    j[reserved ? "field." + key : key] = value;
  }
  // Invalid UTF-8 (a container's odd output in an error) is replaced, never thrown.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void StreamSink::operator()(const Event& event) {
  auto now = Clock::now();
  std::string line = format_ == Format::json ? jsonLine(event, now) : textLine(event, now);
  std::lock_guard lock(mutex_);
  out_ << line << std::endl;
}

}  // namespace roam::logging
