#include "common/log_event.hpp"

#include <time.h>

#include <cmath>
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

Event& Event::add(std::string key, std::string value, Field::Kind kind) {
  fields.push_back({std::move(key), std::move(value), kind});
  return *this;
}

Event& Event::with(std::string key, std::string value) & {
  if (value.empty()) return *this;
  return add(std::move(key), std::move(value), Field::Kind::text);
}

Event& Event::with(std::string key, double value) & {
  if (!std::isfinite(value)) return *this;  // JSON has no NaN or infinity
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return add(std::move(key), text, Field::Kind::real);
}

Event& Event::with(std::string key, bool value) & {
  return add(std::move(key), value ? "true" : "false", Field::Kind::boolean);
}

std::optional<std::string> Event::field(const std::string& key) const {
  std::optional<std::string> found;
  for (const auto& f : fields)
    if (f.key == key) found = f.value;
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
  for (const auto& f : event.fields) {
    bool reserved = f.key == "timestamp" || f.key == "level" || f.key == "message";
    auto& slot = j[reserved ? "field." + f.key : f.key];
    switch (f.kind) {
      case Event::Field::Kind::integer:
        slot = std::stoll(f.value);
        break;
      case Event::Field::Kind::real:
        slot = std::stod(f.value);
        break;
      case Event::Field::Kind::boolean:
        slot = f.value == "true";
        break;
      case Event::Field::Kind::text:
        slot = f.value;
        break;
    }
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
