#pragma once
// Errors as values for everything that talks to or parses answers from an
// SDN controller. Nothing in runtime/measure throws across its API: a
// controller that is down, slow or answering garbage is an expected
// condition, not an exceptional one.

#include <string>
#include <utility>
#include <variant>

namespace roam::runtime {

struct FetchError {
  // The kind drives log-repeat suppression: the same kind failing again is
  // "still failing", a new kind gets its own log line.
  enum class Kind {
    Connect,    // connection refused, host unreachable, DNS
    Timeout,    // connect or total timeout
    Http,       // an HTTP status other than 2xx
    BadAnswer,  // invalid JSON or a document of the wrong shape
    Other,
  };
  Kind kind = Kind::Other;
  std::string endpoint;  // "GET http://127.0.0.1:8080/stats/port/1"; empty from pure parsers
  std::string reason;    // "connection refused", "HTTP 404", "invalid JSON at byte 17"

  // "GET http://127.0.0.1:8080/stats/port/1: connection refused"
  std::string message() const { return endpoint.empty() ? reason : endpoint + ": " + reason; }
};

const char* fetchErrorKindName(FetchError::Kind kind);

// Either a value or a FetchError.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit, like std::expected
  Result(FetchError error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const FetchError& error() const { return std::get<1>(v_); }
  FetchError& error() { return std::get<1>(v_); }

 private:
  std::variant<T, FetchError> v_;
};

// A document that does not have the expected shape.
inline FetchError badAnswer(std::string reason) {
  return FetchError{FetchError::Kind::BadAnswer, {}, std::move(reason)};
}

// The same error with the endpoint filled in (parsers do not know it).
inline FetchError atEndpoint(FetchError e, const std::string& endpoint) {
  if (e.endpoint.empty()) e.endpoint = endpoint;
  return e;
}

}  // namespace roam::runtime
