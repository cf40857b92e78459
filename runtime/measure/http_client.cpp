#include "runtime/measure/http_client.hpp"

#include <curl/curl.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace roam::runtime {

namespace {

// curl_global_init is not thread-safe in every libcurl; do it once, never undo
// it (other libraries in the process may use curl too).
void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t appendBody(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

long millis(double s) {
  return static_cast<long>(std::lround(s * 1000.0));
}

}  // namespace

const char* fetchErrorKindName(FetchError::Kind kind) {
  switch (kind) {
    case FetchError::Kind::Connect:
      return "connect";
    case FetchError::Kind::Timeout:
      return "timeout";
    case FetchError::Kind::Http:
      return "http";
    case FetchError::Kind::BadAnswer:
      return "bad answer";
    case FetchError::Kind::Other:
      return "other";
  }
  return "other";
}

struct HttpClient::Handle {
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl;
  std::unique_ptr<curl_slist, SlistDeleter> jsonHeaders;
  char errorBuffer[CURL_ERROR_SIZE] = {};
};

HttpClient::HttpClient(HttpOptions options)
    : options_(options), handle_(std::make_unique<Handle>()) {
  globalInit();
  handle_->curl.reset(curl_easy_init());
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  handle_->jsonHeaders.reset(headers);
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

Result<HttpResponse> HttpClient::get(const std::string& url) {
  return perform("GET", url, nullptr);
}

Result<HttpResponse> HttpClient::post(const std::string& url, const std::string& jsonBody) {
  return perform("POST", url, &jsonBody);
}

Result<HttpResponse> HttpClient::perform(const char* method, const std::string& url,
                                         const std::string* body) {
  const std::string endpoint = std::string(method) + " " + url;
  CURL* c = handle_ ? handle_->curl.get() : nullptr;
  if (!c) return FetchError{FetchError::Kind::Other, endpoint, "cannot initialise libcurl"};

  // Options are set again on every request: curl_easy_reset is not used so
  // that the connection cache of the handle survives (keep-alive).
  HttpResponse response;
  handle_->errorBuffer[0] = '\0';
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  // Without NOSIGNAL, libcurl's DNS timeouts use SIGALRM, which is unsafe in
  // a multi-threaded process and would interrupt our own signal handling.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, millis(options_.connectTimeoutSeconds));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, millis(options_.totalTimeoutSeconds));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, handle_->errorBuffer);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, handle_->jsonHeaders.get());
  if (body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }

  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return FetchError{FetchError::Kind::Timeout, endpoint,
                          "timed out after " + seconds(options_.totalTimeoutSeconds)};
      case CURLE_COULDNT_CONNECT: {
        // The error buffer's wording varies between libcurl versions; the
        // socket's errno says what happened.
        long osErrno = 0;
        curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &osErrno);
        std::string reason =
            osErrno == ECONNREFUSED ? std::string("connection refused")
            : osErrno != 0
                ? "cannot connect: " + std::string(std::strerror(static_cast<int>(osErrno)))
                : std::string("cannot connect");
        return FetchError{FetchError::Kind::Connect, endpoint, reason};
      }
      case CURLE_COULDNT_RESOLVE_HOST:
        return FetchError{FetchError::Kind::Connect, endpoint, "cannot resolve host"};
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return FetchError{FetchError::Kind::Other, endpoint, "invalid URL"};
      case CURLE_GOT_NOTHING:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_WEIRD_SERVER_REPLY:
      case CURLE_PARTIAL_FILE:
        return FetchError{FetchError::Kind::BadAnswer, endpoint,
                          std::string("broken answer (") + curl_easy_strerror(rc) + ")"};
      default: {
        std::string detail =
            handle_->errorBuffer[0] ? handle_->errorBuffer : curl_easy_strerror(rc);
        return FetchError{FetchError::Kind::Other, endpoint, detail};
      }
    }
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  if (response.status < 200 || response.status > 299)
    return FetchError{FetchError::Kind::Http, endpoint, "HTTP " + std::to_string(response.status)};
  return response;
}

}  // namespace roam::runtime
