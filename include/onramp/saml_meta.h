/*
 * SAML 2.0 metadata validation for SSO setup (see issue 7 and DESIGN.md,
 * "XML").  Pure: the caller hands in the bytes (pasted, uploaded or fetched
 * by src/net/fetch.c) and the clock; nothing is read from disk or network.
 * The document is refused before parsing when larger than LIMIT_XML_BYTES,
 * UTF-16/32, holding a DOCTYPE or breaking a structure limit (attributes and
 * namespace declarations per element and in all, names; limits.h); it is
 * parsed by libxml2 with no network, no entity substitution, no DTD and at
 * most LIMIT_XML_DEPTH levels, and refused when it holds a secret anywhere
 * (saml_metadata_secret); elements are matched by namespace, never prefix.
 *
 * Check keys (stable, for the UI and tests): saml.size, saml.encoding,
 * saml.secret, saml.limits, saml.no_doctype, saml.depth, saml.well_formed,
 * saml.is_metadata, saml.idp_present, saml.entity_choice, saml.entity_id,
 * saml.valid_until, saml.sso_service, saml.sso_location_https,
 * saml.signing_cert, saml.cert_parse, saml.cert_count, saml.cert_expired,
 * saml.cert_expiring, saml.cert_not_yet_valid, saml.key_size,
 * saml.cert_sig_alg, saml.nameid_formats, saml.signed, saml.internal.
 */
#ifndef ONRAMP_SAML_META_H
#define ONRAMP_SAML_META_H

#include <stddef.h>
#include <stdint.h>

#include "onramp/arena.h"
#include "onramp/secretscan.h"
#include "onramp/sso_report.h"
#include "onramp/status.h"

/**
 * Check len bytes of metadata at now (UNIX seconds) and fill out (initialised
 * here, protocol "saml"; strings in a).  entity_choice is the entityID to use
 * when the document holds several identity providers (NULL or "" = none
 * chosen: the report then lists them in out->entities and asks; ignored
 * when the document holds only one).  Returns
 * OR_OK when the document was analysed (out->ok is the verdict); OR_ERR_LIMIT
 * (too large, too deep) or OR_ERR_INVALID (secret, DOCTYPE, not XML) when it
 * was refused unread, with the failing check in out; OR_ERR_NOMEM when a
 * ran out of room.  What the structure limits refuse is not read further,
 * by the secret scan neither (PUT /sso scans it before storing it).
 */
or_status saml_metadata_check(arena *a, const char *xml, size_t len, int64_t now, const char *entity_choice,
			      sso_report *out);
/**
 * The first secret anywhere in len bytes of XML, or SECRET_NONE: the raw
 * bytes, then the decoded text (references resolved, element text joined
 * across comments, CDATA, processing instructions and child elements, plus
 * attribute values, comments and PIs), or a lenient decoding when the
 * document does not parse.  The rule PUT /sso and validation share.
 */
secretscan_kind saml_metadata_secret(const secretscan_ctx *ctx, const char *xml, size_t len);
/**
 * The sentence for metadata XML refused because it holds a secret of kind k
 * (PUT /sso's field error and the saml.secret check): what was found in the
 * XML and what to do, written into buf (n bytes); returns buf.
 */
const char *saml_metadata_secret_message(secretscan_kind k, char *buf, size_t n);

#endif
