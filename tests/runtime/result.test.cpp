// common/result.hpp: the project's value-or-error type.

#include "common/result.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using roam::Error;
using roam::ErrorCode;
using roam::Result;
using roam::Status;

namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Error{ErrorCode::BadInput, std::to_string(n) + " is odd"};
  return n / 2;
}

struct Detailed {
  int kind = 0;
  std::string text;
};

}  // namespace

TEST_CASE("Result holds a value or an error", "[runtime][result]") {
  SECTION("value") {
    auto r = half(8);
    REQUIRE(r.ok());
    CHECK(static_cast<bool>(r));
    CHECK(r.value() == 4);
    CHECK(*r == 4);
    *r = 5;
    CHECK(r.value() == 5);
  }
  SECTION("error") {
    auto r = half(3);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(static_cast<bool>(r));
    CHECK(r.error().code == ErrorCode::BadInput);
    CHECK(r.error().message == "3 is odd");
  }
  SECTION("operator-> reaches the value's members") {
    Result<std::string> r = std::string("abc");
    CHECK(r->size() == 3);
  }
  SECTION("move-only values") {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
    REQUIRE(r.ok());
    CHECK(**r == 7);
  }
  SECTION("a richer error type") {
    roam::Result<int, Detailed> r = Detailed{2, "why"};
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == 2);
    CHECK(r.error().text == "why");
  }
}

TEST_CASE("Status is success or an error", "[runtime][result]") {
  Status fine;
  CHECK(fine.ok());
  Status bad = roam::makeError(ErrorCode::NotFound, "no such container: web");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::NotFound);
  CHECK(bad.error().message == "no such container: web");
}

TEST_CASE("error codes have names", "[runtime][result]") {
  CHECK(std::string(roam::errorCodeName(ErrorCode::NotFound)) == "not found");
  CHECK(std::string(roam::errorCodeName(ErrorCode::Checksum)) == "checksum");
  CHECK(std::string(roam::errorCodeName(ErrorCode::Internal)) == "internal");
}
