#include "runtime/web/web_assets.hpp"

#include <map>
#include <string>

namespace roam::runtime {

namespace {

std::string_view contentTypeOf(std::string_view path) {
  auto ends = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

const WebAsset* findWebAsset(std::string_view path) {
  static const std::map<std::string, WebAsset, std::less<>> assets = [] {
    std::map<std::string, WebAsset, std::less<>> m;
    for (const auto& f : embeddedWebFiles())
      m.emplace(std::string(f.path), WebAsset{contentTypeOf(f.path), f.body});
    return m;
  }();
  path = path.substr(0, path.find('?'));
  if (path == "/" || path.empty()) path = "/index.html";
  auto it = assets.find(path);
  return it == assets.end() ? nullptr : &it->second;
}

}  // namespace roam::runtime
