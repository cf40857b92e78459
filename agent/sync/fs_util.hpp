#pragma once
// File-system helpers of the tree sync: owned descriptors, opening a path
// beneath a root without following symlinks, extended attributes.

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/sync/stream_format.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace roam::agent::sync {

using Fd = roam::UniqueFd;  // common/unique_fd.hpp

// "WHAT PATH: strerror(errno)" for the call that just failed.
std::string errnoText(std::string_view what, std::string_view path);
Error ioError(std::string_view what, std::string_view path);

// Opens REL (a path checked by pathProblem, "" for the root itself) beneath
// ROOT_FD with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS): no component may be a symlink, nothing outside the
// root is reachable. -1 with errno set on failure.
int openBeneath(int rootFd, const std::string& rel, int flags);

// "/proc/self/fd/DIRFD/NAME": a path naming NAME inside the open directory
// DIRFD, for the l*xattr calls, which have no *at form in this glibc.
std::string procPath(int dirFd, std::string_view name);

// The extended attributes of the inode at PATH (not following a final
// symlink) or of the open FD (when FD >= 0), sorted by name.
roam::Result<std::vector<Xattr>> readXattrs(int fd, const std::string& path,
                                            std::string_view shown);

// Makes the extended attributes of the inode exactly WANT: removes the others.
roam::Status writeXattrs(int fd, const std::string& path, const std::vector<Xattr>& want,
                         std::string_view shown);

// The directory part of a relative stream path ("" at the top) and its last
// component.
std::string parentOf(const std::string& path);
std::string leafOf(const std::string& path);

// "ROOT/REL" for messages.
std::string shownPath(const std::string& root, const std::string& rel);

}  // namespace roam::agent::sync
