#pragma once
// A controller's REST API root, shared by the back-ends: one reused HTTP
// connection, URLs built from paths, and parse errors tagged with the
// request that produced them ("GET http://.../stats/port/1: invalid JSON ...").

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "runtime/measure/fetch_result.hpp"
#include "runtime/measure/http_client.hpp"

namespace roam::runtime {

class RestEndpoint {
 public:
  // `baseUrl` such as "http://127.0.0.1:8080" (trailing slashes are ignored).
  RestEndpoint(std::string baseUrl, HttpOptions http) : baseUrl_(std::move(baseUrl)), http_(http) {
    while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
  }

  std::string url(const std::string& path) const { return baseUrl_ + path; }
  HttpClient& http() { return http_; }

  // GETs `path` and parses the body with `parse` (text -> Result<T>).
  template <class T, class Parse>
  Result<T> get(const std::string& path, Parse parse) {
    const std::string target = url(path);
    auto response = http_.get(target);
    if (!response) return response.error();
    Result<T> parsed = parse(response->body);
    if (!parsed) return atEndpoint(parsed.error(), "GET " + target);
    return parsed;
  }

  // GETs every path, up to `parallel` at a time (HttpClient::getEach), and
  // calls done(i, parse(answer)) for paths[i] as each arrives.
  template <class T, class Parse, class Done>
  void getEach(const std::vector<std::string>& paths, std::size_t parallel, Parse parse,
               Done done) {
    std::vector<std::string> targets;
    targets.reserve(paths.size());
    for (const auto& p : paths) targets.push_back(url(p));
    http_.getEach(targets, parallel, [&](std::size_t i, Result<HttpResponse> response) {
      if (!response) return done(i, Result<T>(response.error()));
      Result<T> parsed = parse(i, response->body);
      if (!parsed) return done(i, Result<T>(atEndpoint(parsed.error(), "GET " + targets[i])));
      done(i, std::move(parsed));
    });
  }

 private:
  std::string baseUrl_;
  HttpClient http_;
};

}  // namespace roam::runtime
