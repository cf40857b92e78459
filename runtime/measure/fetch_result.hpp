#pragma once
// Errors as values for everything that talks to or parses answers from an
// SDN controller. Nothing in runtime/measure throws across its API: a
// controller that is down, slow or answering garbage is an expected
// condition, not an exceptional one.

#include <string>
#include <utility>

#include "common/result.hpp"

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

  // The project-wide code of this kind (Http and Other have no finer one).
  ErrorCode code() const {
    switch (kind) {
      case Kind::Connect:
        return ErrorCode::Connect;
      case Kind::Timeout:
        return ErrorCode::Timeout;
      case Kind::Http:
        return ErrorCode::Http;
      case Kind::BadAnswer:
        return ErrorCode::BadAnswer;
      case Kind::Other:
        return ErrorCode::Internal;
    }
    return ErrorCode::Internal;
  }
  // As the plain project error (code and the same message).
  Error toError() const { return Error{code(), message()}; }
};

const char* fetchErrorKindName(FetchError::Kind kind);

// Either a value or a FetchError: the project's Result with the richer error.
template <class T>
using Result = roam::Result<T, FetchError>;

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
