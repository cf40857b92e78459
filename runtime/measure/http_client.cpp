#include "runtime/measure/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/curl_global.hpp"

namespace roam::runtime {

namespace {

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
  Handle() : curl(curl_easy_init()) {
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    jsonHeaders.reset(headers);
  }

  // Options are set again on every request: curl_easy_reset is not used so
  // that the connection cache of the handle survives (keep-alive).
  void prepare(const HttpOptions& options, const char* method, const std::string& url,
               const std::string* requestBody) {
    CURL* c = curl.get();
    body.clear();
    errorBuffer[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    // Without NOSIGNAL, libcurl's DNS timeouts use SIGALRM, which is unsafe in
    // a multi-threaded process and would interrupt our own signal handling.
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, millis(options.connectTimeoutSeconds));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, millis(options.totalTimeoutSeconds));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &appendBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, jsonHeaders.get());
    if (requestBody) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, requestBody->c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(requestBody->size()));
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
  }

  // The outcome of the request that ended with RC.
  Result<HttpResponse> finish(CURLcode rc, const HttpOptions& options,
                              const std::string& endpoint) {
    CURL* c = curl.get();
    if (rc != CURLE_OK) {
      switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
          return FetchError{FetchError::Kind::Timeout, endpoint,
                            "timed out after " + seconds(options.totalTimeoutSeconds)};
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
          std::string detail = errorBuffer[0] ? errorBuffer : curl_easy_strerror(rc);
          return FetchError{FetchError::Kind::Other, endpoint, detail};
        }
      }
    }
    HttpResponse response;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.status < 200 || response.status > 299)
      return FetchError{FetchError::Kind::Http, endpoint,
                        "HTTP " + std::to_string(response.status)};
    response.body = std::move(body);
    return response;
  }

  std::unique_ptr<CURL, CurlDeleter> curl;
  std::unique_ptr<curl_slist, SlistDeleter> jsonHeaders;
  std::string body;  // of the answer being received
  char errorBuffer[CURL_ERROR_SIZE] = {};
};

struct HttpClient::Multi {
  struct MultiDeleter {
    void operator()(CURLM* m) const { curl_multi_cleanup(m); }
  };
  // The handles are declared first so that they are cleaned up after the
  // multi handle, which caches their connections.
  std::vector<std::unique_ptr<Handle>> handles;
  std::unique_ptr<CURLM, MultiDeleter> multi{curl_multi_init()};
};

HttpClient::HttpClient(HttpOptions options) : options_(options) {
  curlGlobalInitOnce();  // before the first curl_easy_init
  handle_ = std::make_unique<Handle>();
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
  if (!handle_ || !handle_->curl)
    return FetchError{FetchError::Kind::Other, endpoint, "cannot initialise libcurl"};
  handle_->prepare(options_, method, url, body);
  return handle_->finish(curl_easy_perform(handle_->curl.get()), options_, endpoint);
}

void HttpClient::getEach(std::span<const std::string> urls, std::size_t parallel,
                         const EachDone& done) {
  if (urls.empty()) return;
  parallel = std::clamp<std::size_t>(parallel, 1, urls.size());
  if (!multi_) multi_ = std::make_unique<Multi>();
  while (multi_->handles.size() < parallel) multi_->handles.push_back(std::make_unique<Handle>());
  CURLM* m = multi_->multi.get();
  bool usable = m != nullptr;
  for (std::size_t h = 0; h < parallel; ++h) usable = usable && multi_->handles[h]->curl;
  if (!usable) {
    for (std::size_t i = 0; i < urls.size(); ++i)
      done(i, FetchError{FetchError::Kind::Other, "GET " + urls[i], "cannot initialise libcurl"});
    return;
  }

  constexpr std::size_t kIdle = static_cast<std::size_t>(-1);
  std::vector<std::size_t> request(parallel, kIdle);  // which URL each handle fetches
  // Handles still attached when done() throws are detached, so the next
  // call starts clean.
  struct Detach {
    CURLM* m;
    Multi& multi;
    std::vector<std::size_t>& request;
    ~Detach() {
      for (std::size_t h = 0; h < request.size(); ++h)
        if (request[h] != static_cast<std::size_t>(-1))
          curl_multi_remove_handle(m, multi.handles[h]->curl.get());
    }
  } detach{m, *multi_, request};

  std::size_t next = 0, active = 0;
  auto start = [&](std::size_t h) {
    Handle& handle = *multi_->handles[h];
    handle.prepare(options_, "GET", urls[next], nullptr);
    curl_easy_setopt(handle.curl.get(), CURLOPT_PRIVATE, reinterpret_cast<char*>(h));
    curl_multi_add_handle(m, handle.curl.get());
    request[h] = next++;
    ++active;
  };
  for (std::size_t h = 0; h < parallel; ++h) start(h);
  while (active > 0) {
    int stillRunning = 0;
    curl_multi_perform(m, &stillRunning);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode rc = msg->data.result;
      char* tag = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tag);
      const auto h = reinterpret_cast<std::size_t>(tag);
      curl_multi_remove_handle(m, easy);
      const std::size_t index = request[h];
      request[h] = kIdle;
      --active;
      auto result = multi_->handles[h]->finish(rc, options_, "GET " + urls[index]);
      if (next < urls.size()) start(h);  // keep the pipe full while done() runs
      done(index, std::move(result));
    }
    if (active > 0) curl_multi_poll(m, nullptr, 0, 1000, nullptr);
  }
}

}  // namespace roam::runtime
