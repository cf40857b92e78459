#pragma once
// The deployment's certificates: one private certificate authority per
// deployment and one certificate per agent or manager, all in one directory
// (docs/security.md). ECDSA P-256 keys, SHA-256 signatures.

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace roam::agent {

// Creates DIR (0700; an existing DIR is set to 0700) with ca.crt and ca.key (0600): a self-signed
// CA named "roam CA <random hex>", CA:TRUE (critical), keyCertSign+cRLSign, valid 10 years, random
// 128-bit serial. Refuses to overwrite an existing CA (ErrorCode::Conflict). Errors are one line
// that names the file: Io for the file system, Tls for OpenSSL.
roam::Status initAuthority(const std::filesystem::path& dir);

// Issues DIR/NAME.crt and DIR/NAME.key (0600) signed by DIR/ca.key: CN=NAME,
// SAN DNS:NAME plus one IP SAN per entry of `ips`, serverAuth+clientAuth,
// CA:FALSE, valid 2 years. An existing NAME.crt or NAME.key is replaced only
// with Existing::replace; otherwise that is ErrorCode::Conflict ("DIR/NAME.crt:
// already exists; refusing to replace it").
// NAME matches [A-Za-z0-9][A-Za-z0-9._-]{0,62} and is not "ca".
// Errors as for initAuthority; a bad NAME or IP is ErrorCode::BadInput.
enum class Existing { refuse, replace };
roam::Status issueCertificate(const std::filesystem::path& dir, const std::string& name,
                              const std::vector<std::string>& ips,
                              Existing existing = Existing::refuse);

// The checks issueCertificate applies, for callers that want to point at the
// offending argument (ErrorCode::BadInput with the error line).
roam::Status checkCertificateName(const std::string& name);
roam::Status checkIpAddress(const std::string& ip);

}  // namespace roam::agent
