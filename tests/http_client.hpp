#pragma once
// The one libcurl client of the tests of roam's own HTTP endpoints (the
// daemons' /metrics, the manager's live view): a real socket, as a scraper or
// a browser would use it. One easy handle per HttpClient (RAII), kept across
// its requests so that keep-alive can be checked; optional (mutual) TLS; and
// an early stop for server-sent events, whose stream never ends by itself.

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/curl_global.hpp"

namespace roamtest {

struct HttpRequest {
  std::string method = "GET";        // HEAD asks for no body
  std::vector<std::string> headers;  // more request headers, "Name: value"
  std::string ca, cert, key;         // TLS: the CA to trust, the client's certificate and key
  std::size_t stopAfterEvents = 0;   // stop reading once the body holds this many "\n\n"
  long timeoutSeconds = 10;
};

struct HttpReply {
  CURLcode code = CURLE_OK;
  long status = 0;  // 0: no HTTP answer (refused, TLS failed, timed out)
  std::string body, headers, contentType;
  long connects = -1;  // new connections this request opened
};

class HttpClient {
 public:
  HttpClient() {
    roam::curlGlobalInitOnce();
    handle_ = curl_easy_init();
  }
  ~HttpClient() { curl_easy_cleanup(handle_); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply request(const std::string& url, const HttpRequest& how = {}) {
    HttpReply reply;
    Sink body{&reply.body, how.stopAfterEvents};
    Sink headers{&reply.headers, 0};
    const bool plain = how.method == "GET" || how.method == "HEAD";
    curl_slist* list = nullptr;
    for (const auto& h : how.headers) list = curl_slist_append(list, h.c_str());
    const std::unique_ptr<curl_slist, void (*)(curl_slist*)> extra(list, curl_slist_free_all);
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, extra.get());
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_, CURLOPT_NOBODY, how.method == "HEAD" ? 1L : 0L);
    curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, plain ? nullptr : how.method.c_str());
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, append);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &headers);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT, how.timeoutSeconds);
    // TLS files stay set on the handle for its later requests.
    if (!how.ca.empty()) curl_easy_setopt(handle_, CURLOPT_CAINFO, how.ca.c_str());
    if (!how.cert.empty()) curl_easy_setopt(handle_, CURLOPT_SSLCERT, how.cert.c_str());
    if (!how.key.empty()) curl_easy_setopt(handle_, CURLOPT_SSLKEY, how.key.c_str());
    reply.code = curl_easy_perform(handle_);
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, nullptr);  // the list goes now
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &reply.connects);
    char* type = nullptr;
    curl_easy_getinfo(handle_, CURLINFO_CONTENT_TYPE, &type);
    if (type) reply.contentType = type;
    return reply;
  }

 private:
  struct Sink {
    std::string* text;
    std::size_t stopAfterEvents;
  };

  static std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    auto* sink = static_cast<Sink*>(out);
    sink->text->append(data, size * n);
    if (sink->stopAfterEvents > 0) {
      std::size_t events = 0;
      for (std::size_t at = 0; (at = sink->text->find("\n\n", at)) != std::string::npos; at += 2)
        ++events;
      if (events >= sink->stopAfterEvents) return 0;  // enough: abort the transfer
    }
    return size * n;
  }

  CURL* handle_;
};

// One request on a client of its own.
inline HttpReply httpRequest(const std::string& url, const HttpRequest& how = {}) {
  HttpClient client;
  return client.request(url, how);
}

}  // namespace roamtest
