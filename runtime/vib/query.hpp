#pragma once
// Row iteration over prepared statements, shared by the VIB's source files.

#include <string_view>

#include "runtime/vib/sqlite.hpp"

namespace roam::runtime::sqlite {

// Steps through every row of `st`, calling `row(st)` for each; stops at the
// first row whose callback fails.
template <typename Row>
Status forEachRow(Statement& st, const Row& row) {
  Statement::Step s;
  while ((s = st.step()) == Statement::Step::row) {
    if (auto r = row(st); !r) {
      st.reset();
      return r;
    }
  }
  Status status = s == Statement::Step::error ? Status(failure(st.error())) : Status();
  st.reset();
  return status;
}

// Prepares, binds and iterates a one-off query.
template <typename Row, typename... Args>
Status query(Database& db, std::string_view sql, const Row& row, const Args&... args) {
  auto p = db.prepare(sql);
  if (!p) return p.error();
  p->bindAll(args...);
  return forEachRow(*p, row);
}

}  // namespace roam::runtime::sqlite
