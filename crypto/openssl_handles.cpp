#include "crypto/openssl_handles.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>

namespace roam::crypto {

void OpenSslFree::operator()(EVP_MD_CTX* p) const {
  EVP_MD_CTX_free(p);
}
void OpenSslFree::operator()(EVP_CIPHER_CTX* p) const {
  EVP_CIPHER_CTX_free(p);
}
void OpenSslFree::operator()(EVP_KDF* p) const {
  EVP_KDF_free(p);
}
void OpenSslFree::operator()(EVP_KDF_CTX* p) const {
  EVP_KDF_CTX_free(p);
}
void OpenSslFree::operator()(EVP_PKEY* p) const {
  EVP_PKEY_free(p);
}
void OpenSslFree::operator()(X509* p) const {
  X509_free(p);
}
void OpenSslFree::operator()(X509_NAME* p) const {
  X509_NAME_free(p);
}
void OpenSslFree::operator()(X509_EXTENSION* p) const {
  X509_EXTENSION_free(p);
}
void OpenSslFree::operator()(BIO* p) const {
  BIO_free(p);
}
void OpenSslFree::operator()(BIGNUM* p) const {
  BN_free(p);
}
void OpenSslFree::operator()(ASN1_INTEGER* p) const {
  ASN1_INTEGER_free(p);
}
void OpenSslFree::operator()(GENERAL_NAMES* p) const {
  GENERAL_NAMES_free(p);
}
void OpenSslFree::operator()(GENERAL_NAME* p) const {
  GENERAL_NAME_free(p);
}
void OpenSslFree::operator()(unsigned char* p) const {
  OPENSSL_free(p);
}

}  // namespace roam::crypto
