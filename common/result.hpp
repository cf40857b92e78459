#pragma once
// The one error convention of agent/ and runtime/: an expected failure is a
// value, `Result<T>` (a T or an Error) or `Status` (nothing or an Error), never
// an exception and never a string that is "empty on success". The code says
// what kind of failure it is, for callers that act on it (retry on Timeout,
// treat NotFound as "nothing to do"); the message is the one line shown to
// people and is the same text the project always printed.
//
// Like std::expected (C++23), which this toolchain does not have yet.

#include <string>
#include <utility>
#include <variant>

namespace roam {

enum class ErrorCode {
  Internal,     // a bug or an unclassified failure
  NotFound,     // no such container, image, file, record (HTTP 404)
  Conflict,     // the thing exists or is busy (HTTP 409)
  Io,           // reading or writing a file, a pipe, a database
  Timeout,      // connect or total timeout
  Connect,      // connection refused, host unreachable, DNS
  Refused,      // the peer answered and said no
  BadInput,     // a request, file or argument that is not what it must be
  BadAnswer,    // invalid JSON or a document of the wrong shape from a peer
  Http,         // an HTTP status other than 2xx that has no code of its own
  Checksum,     // data that does not match its digest
  Tls,          // certificates, keys, handshakes
  Protocol,     // a framed-protocol violation
  Engine,       // the container engine failed the request
  Unsupported,  // the host or the peer cannot do what was asked
};

// "not found", "bad input", ...: for logs and tests.
constexpr const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::Internal:
      return "internal";
    case ErrorCode::NotFound:
      return "not found";
    case ErrorCode::Conflict:
      return "conflict";
    case ErrorCode::Io:
      return "io";
    case ErrorCode::Timeout:
      return "timeout";
    case ErrorCode::Connect:
      return "connect";
    case ErrorCode::Refused:
      return "refused";
    case ErrorCode::BadInput:
      return "bad input";
    case ErrorCode::BadAnswer:
      return "bad answer";
    case ErrorCode::Http:
      return "http";
    case ErrorCode::Checksum:
      return "checksum";
    case ErrorCode::Tls:
      return "tls";
    case ErrorCode::Protocol:
      return "protocol";
    case ErrorCode::Engine:
      return "engine";
    case ErrorCode::Unsupported:
      return "unsupported";
  }
  return "internal";
}

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;  // one line: what failed and why
};

inline Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// A T or an E (an Error, or a richer error type such as runtime::FetchError).
template <class T, class E = Error>
class Result {
 public:
  Result(T value)
      : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit, like std::expected
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  E& error() { return std::get<1>(v_); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// Success with nothing to return, or an E.
template <class E>
class Result<void, E> {
 public:
  Result() = default;                                                // success
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  E& error() { return std::get<1>(v_); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<std::monostate, E> v_;
};

using Status = Result<void>;

// Success when MESSAGE is empty, else the error CODE with it: the bridge for
// code that builds its failure text as a string on the way.
inline Status statusOf(ErrorCode code, std::string message) {
  if (message.empty()) return {};
  return Error{code, std::move(message)};
}

// The error's message, or "" on success (for INFO() in tests and for log lines
// that print either). R is a Result or anything with ok() and error().message.
template <class R>
std::string errorText(const R& r) {
  return r.ok() ? std::string() : r.error().message;
}

}  // namespace roam
