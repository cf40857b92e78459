#pragma once
// RAII owners for OpenSSL handles, one set for all of roam: a single deleter
// overloaded per handle type, so `Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());`
// frees with the matching *_free. The deleters are defined out of line so that
// this header needs only OpenSSL's type declarations.

#include <memory>

#include <openssl/types.h>
#include <openssl/x509v3.h>  // GENERAL_NAME(S), a stack type not in types.h

namespace roam::crypto {

struct OpenSslFree {
  void operator()(EVP_MD_CTX* p) const;
  void operator()(EVP_CIPHER_CTX* p) const;
  void operator()(EVP_KDF* p) const;
  void operator()(EVP_KDF_CTX* p) const;
  void operator()(EVP_PKEY* p) const;
  void operator()(X509* p) const;
  void operator()(X509_NAME* p) const;
  void operator()(X509_EXTENSION* p) const;
  void operator()(BIO* p) const;
  void operator()(BIGNUM* p) const;
  void operator()(ASN1_INTEGER* p) const;
  void operator()(GENERAL_NAMES* p) const;
  void operator()(GENERAL_NAME* p) const;
  void operator()(unsigned char* p) const;  // bytes OpenSSL allocated (OPENSSL_free)
};

template <typename T>
using Owned = std::unique_ptr<T, OpenSslFree>;

}  // namespace roam::crypto
