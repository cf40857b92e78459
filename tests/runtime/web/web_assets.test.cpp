// The page's files, embedded at build time: byte for byte the files of
// runtime/web/assets/, found by path with their content types.

#include <catch2/catch.hpp>

#include "file_text.hpp"
#include "runtime/web/web_assets.hpp"
#include "web_fixture.hpp"

using roam::runtime::findWebAsset;

TEST_CASE("assets: embedded byte for byte, found by path", "[web]") {
  for (const auto& [path, type] : std::vector<std::pair<std::string, std::string>>{
           {"/index.html", "text/html; charset=utf-8"},
           {"/app.js", "text/javascript; charset=utf-8"},
           {"/style.css", "text/css; charset=utf-8"}}) {
    INFO(path);
    const auto* asset = findWebAsset(path);
    REQUIRE(asset);
    CHECK(asset->contentType == type);
    CHECK(asset->body == roamtest::readText(roamtest::sourceFile("runtime/web/assets" + path)));
  }
  REQUIRE(findWebAsset("/"));
  CHECK(findWebAsset("/")->body == findWebAsset("/index.html")->body);
  CHECK(findWebAsset("/app.js?v=2") == findWebAsset("/app.js"));
  CHECK(findWebAsset("/missing.js") == nullptr);
  CHECK(findWebAsset("/../CMakeLists.txt") == nullptr);
}
