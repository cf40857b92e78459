#pragma once
// The live view's static files (runtime/web/assets/: index.html, app.js,
// style.css), embedded into the binary at build time by
// runtime/web/embed_assets.cmake: no file beside the binary, no build step
// beyond CMake's.

#include <span>
#include <string_view>

namespace roam::runtime {

struct EmbeddedFile {
  std::string_view path;  // "/index.html"
  std::string_view body;
};

// Every embedded file (generated).
std::span<const EmbeddedFile> embeddedWebFiles();

struct WebAsset {
  std::string_view contentType;
  std::string_view body;
};

// The file a request's path names ("/" is "/index.html"; a query string is
// ignored), with its content type; null when there is none.
const WebAsset* findWebAsset(std::string_view path);

}  // namespace roam::runtime
