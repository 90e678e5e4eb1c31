/*
 * What a customer and an operator need to know about an X.509 certificate an
 * identity provider publishes (SAML metadata <ds:X509Certificate>, a JWKS
 * x5c entry): subject, issuer, validity, key type and size, signature
 * algorithm and SHA-256 fingerprint, read with OpenSSL.  Pure: parses the
 * bytes given, no I/O.  Every string filled in lives in the arena passed in;
 * the caller frees nothing.
 */
#ifndef ONRAMP_X509INFO_H
#define ONRAMP_X509INFO_H

#include <stdbool.h>
#include <stddef.h>

#include "onramp/arena.h"
#include "onramp/sso_report.h"
#include "onramp/status.h"

/**
 * Decode base64 DER (XML whitespace anywhere inside is ignored, padding
 * optional) and fill out (use set to ""); OR_ERR_INVALID when it is not
 * base64 or not one whole certificate, OR_ERR_LIMIT past LIMIT_X509_DER_BYTES.
 */
or_status x509info_from_base64(arena *a, const char *b64, size_t len, sso_cert *out);
/** The same from DER bytes. */
or_status x509info_from_der(arena *a, const unsigned char *der, size_t len, sso_cert *out);
/** True when a signature algorithm name (as in sso_cert.sig_alg) hashes with MD2, MD4, MD5 or SHA-1. */
bool x509info_weak_digest(const char *sig_alg);

#endif
