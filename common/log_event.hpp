#pragma once
// The daemons' log: an event (level, message, key/value fields such as the
// migration id or the container) and the two ways of writing it, text lines
// (the message only, as roam has always printed it) and JSON lines (one
// object per line with the timestamp, the level, the message and the fields;
// docs/operations.md lists the field names).
//
// A Logger takes events. Code that only has a line to say passes a string
// (an Event converts from it); a sink that only wants lines (tests, older
// callers) gets the message.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace roam::logging {

enum class Level { debug, info, warning, error };
const char* levelName(Level level);

struct Event {
  // A field's value keeps its kind, so that JSON lines write numbers and
  // booleans as such; text lines do not show fields.
  struct Field {
    enum class Kind { text, integer, real, boolean };
    std::string key;
    std::string value;  // as text: "42", "0.25", "true"
    Kind kind = Kind::text;
  };

  Level level = Level::info;
  std::string message;
  // In the order given; a key given twice keeps its last value in JSON.
  std::vector<Field> fields;

  Event() = default;
  Event(std::string text) : message(std::move(text)) {}  // NOLINT: a line is an info event
  Event(const char* text) : message(text) {}             // NOLINT
  Event(Level l, std::string text) : level(l), message(std::move(text)) {}

  // Adds a field (a text field is skipped when empty: absent, not ""); returns
  // *this so that fields chain: Event(...).with("container", c).with("rounds", 3).
  Event& with(std::string key, std::string value) &;
  Event& with(std::string key, const char* value) & {
    return with(std::move(key), std::string(value));
  }
  Event& with(std::string key, double value) &;
  Event& with(std::string key, bool value) &;
  template <std::integral T>
  requires(!std::same_as<T, bool>) Event& with(std::string key, T value) & {
    return add(std::move(key), std::to_string(value), Field::Kind::integer);
  }
  // Absent (nullopt): no field.
  template <class T>
  Event& with(std::string key, const std::optional<T>& value) & {
    return value ? with(std::move(key), *value) : *this;
  }
  template <class V>
  Event&& with(std::string key, V&& value) && {
    return std::move(with(std::move(key), std::forward<V>(value)));
  }
  // The value of KEY as text, if the event has it.
  std::optional<std::string> field(const std::string& key) const;

 private:
  Event& add(std::string key, std::string value, Field::Kind kind);
};

// Where events go. Built from a callable taking a `const Event&`, or from one
// taking a `const std::string&` (which gets the message). Empty: events are
// dropped.
class Logger {
 public:
  Logger() = default;
  template <class F>
  requires(!std::same_as<F, Logger> && std::invocable<F&, const Event&>) Logger(F f)
      : sink_(std::move(f)) {}  // NOLINT
  template <class F>
  requires(std::invocable<F&, const std::string&> && !std::invocable<F&, const Event&>)
      Logger(F f)  // NOLINT
      : sink_([f = std::move(f)](const Event& e) mutable { f(e.message); }) {}

  void operator()(const Event& event) const {
    if (sink_) sink_(event);
  }
  explicit operator bool() const { return static_cast<bool>(sink_); }

 private:
  std::function<void(const Event&)> sink_;
};

enum class Format { text, json };
// "text" or "json"; nullopt for anything else.
std::optional<Format> parseFormat(const std::string& name);

using Clock = std::chrono::system_clock;
// "YYYY-MM-DDTHH:MM:SS MESSAGE" in local time: the daemons' text line.
std::string textLine(const Event& event, Clock::time_point at);
// {"timestamp":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":...,"message":...,FIELDS}
// on one line. A field named like one of the three is written as "field.NAME".
std::string jsonLine(const Event& event, Clock::time_point at);

// A Logger writing lines of FORMAT to OUT, one whole line per event even from
// several threads (OUT must outlive it and be written only through it).
class StreamSink {
 public:
  StreamSink(std::ostream& out, Format format) : out_(out), format_(format) {}
  void operator()(const Event& event);
  Format format() const { return format_; }

 private:
  std::ostream& out_;
  Format format_;
  std::mutex mutex_;
};

}  // namespace roam::logging
