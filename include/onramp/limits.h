/*
 * Every limit the program enforces, as named constants in one place.  Values
 * that operators may tune are defaults for the config file (see config.h);
 * the rest are hard ceilings chosen so that a hostile request costs bounded
 * memory and time.
 */
#ifndef ONRAMP_LIMITS_H
#define ONRAMP_LIMITS_H

/** Default request body limit for JSON endpoints (bytes). */
#define LIMIT_BODY_DEFAULT		(256u * 1024u)
/** Default request body limit for SAML metadata XML uploads (bytes). */
#define LIMIT_BODY_SAML_DEFAULT		(1024u * 1024u)
/** Hard ceiling any configured body limit is clamped to (bytes). */
#define LIMIT_BODY_CEILING		(8u * 1024u * 1024u)
/** Longest request path accepted (bytes, without query). */
#define LIMIT_PATH			2048u
/** Longest query string accepted (bytes). */
#define LIMIT_QUERY			4096u
/** Most query arguments parsed from one query string. */
#define LIMIT_QUERY_ARGS		32u
/** Longest Cookie header considered (bytes). */
#define LIMIT_COOKIE_HEADER		8192u
/** Most path parameters one route pattern may capture. */
#define LIMIT_PATH_PARAMS		4u
/** Deepest JSON nesting the tokenizer accepts. */
#define LIMIT_JSON_DEPTH		16
/** Largest XML document parsed (bytes). */
#define LIMIT_XML_BYTES			(1024u * 1024u)
/** Deepest XML element nesting accepted. */
#define LIMIT_XML_DEPTH			64u
/*
 * Structure refused before libxml2 sees it, because its cost there grows
 * faster than the bytes (duplicate-attribute and namespace checks are
 * quadratic per element; namespace lookups scale with those in scope).  Real
 * metadata (tests/corpus/saml) has at most 8 attributes and 6 namespace
 * declarations on an element, ~10 attributes and ~3 declarations per KB,
 * and fewer than 20 declarations in scope.
 */
/** Most attributes (namespace declarations included) on one XML element. */
#define LIMIT_XML_ELEMENT_ATTRS		64u
/** Most namespace declarations on one XML element. */
#define LIMIT_XML_ELEMENT_NS		32u
/** Most attributes in one XML document. */
#define LIMIT_XML_ATTRS			32768u
/** Most namespace declarations in one XML document. */
#define LIMIT_XML_NS			4096u
/** Most namespace declarations in scope at once (on an element and its ancestors). */
#define LIMIT_XML_NS_IN_SCOPE		64u
/** Longest element or attribute name in an XML document (bytes). */
#define LIMIT_XML_NAME			512u
/** Shortest base64 run the secret scanner decodes and reads again (characters; a PEM header is 40). */
#define LIMIT_SECRETSCAN_B64_MIN	40u
/** Decoded base64 the secret scanner reads at a time (bytes; windows overlap, so any length is read). */
#define LIMIT_SECRETSCAN_B64_WINDOW	4096u
/** Largest DER certificate decoded from base64 in metadata or a JWKS x5c (bytes). */
#define LIMIT_X509_DER_BYTES		(64u * 1024u)
/** Signing certificates within this many seconds of notAfter are "expiring" (30 days). */
#define LIMIT_CERT_EXPIRY_WARN_SECS	(30 * 86400)
/** Smallest RSA (or DSA) key accepted for an IdP signing certificate (bits). */
#define LIMIT_MIN_RSA_BITS		2048
/** Smallest elliptic-curve key accepted for an IdP signing certificate (bits). */
#define LIMIT_MIN_EC_BITS		256
/** Largest OIDC discovery or JWKS document parsed (bytes). */
#define LIMIT_OIDC_JSON_BYTES		(1024u * 1024u)
/** Deepest JSON nesting accepted in an OIDC discovery or JWKS document. */
#define LIMIT_OIDC_JSON_DEPTH		16
/** Most JWKS keys examined; the rest are ignored (with a warning). */
#define LIMIT_OIDC_JWKS_KEYS		64u
/** Largest RSA modulus accepted in a JWK (bits). */
#define LIMIT_OIDC_RSA_BITS		16384
/** Longest URL accepted as an issuer or discovery URL (bytes). */
#define LIMIT_OIDC_URL			2048u
/** Longest compact JWS (ID token) accepted (bytes); Entra ID tokens with groups stay under 16 KiB. */
#define LIMIT_JOSE_TOKEN_BYTES		(64u * 1024u)
/** Longest decoded JOSE header accepted (bytes). */
#define LIMIT_JOSE_HEADER_BYTES		4096u
/** Deepest JSON nesting accepted in a JOSE header, ID-token claims, userinfo or a token answer. */
#define LIMIT_JOSE_JSON_DEPTH		8
/** Most groups read from a groups claim; more is refused, not truncated (a role from half the list is wrong). */
#define LIMIT_OIDC_GROUPS		256u
/** Longest group name read from a groups claim (bytes). */
#define LIMIT_OIDC_GROUP_BYTES		256u
/** Longest subject (sub) accepted (bytes; OpenID Connect Core 1.0 section 2). */
#define LIMIT_OIDC_SUB_BYTES		255u
/** Longest email or username claim kept (bytes); longer ones count as absent. */
#define LIMIT_OIDC_CLAIM_BYTES		320u
/** Memory one request's arena may use before allocations fail (bytes). */
#define LIMIT_ARENA_BYTES		(16u * 1024u * 1024u)
/** Size of one arena chunk (bytes). */
#define LIMIT_ARENA_CHUNK		(16u * 1024u)
/** Largest response body the writer will build (bytes). */
#define LIMIT_RESPONSE_BYTES		(4u * 1024u * 1024u)
/** Longest request id accepted from nginx; longer ids are replaced. */
#define LIMIT_REQUEST_ID		64u
/** Longest config file accepted (bytes). */
#define LIMIT_CONFIG_BYTES		(64u * 1024u)
/** Longest config value (bytes). */
#define LIMIT_CONFIG_VALUE		4096u
/*
 * Prepared statements a database connection keeps (db_statement_cache): the
 * least recently used one not used by the current unit of work is closed to
 * make room, so the minimum must hold the most statements one request runs.
 * The default holds every statement onramp has (about 200) with room to grow;
 * MariaDB's max_prepared_stmt_count (16382) bounds the sum over connections.
 */
#define LIMIT_DB_STMT_CACHE_MIN		64
#define LIMIT_DB_STMT_CACHE_DEFAULT	256
#define LIMIT_DB_STMT_CACHE_MAX		4096
/*
 * A unit of work that hit a deadlock or a lock-wait timeout runs again (db_retry_next):
 * at most this many runs in all (config db_tx_attempts), each after a random pause that
 * grows per attempt from LIMIT_DB_TX_JITTER_MIN_US up to LIMIT_DB_TX_JITTER_MAX_US, so
 * the transactions that collided do not collide again in step.
 */
#define LIMIT_DB_TX_ATTEMPTS_DEFAULT	3
#define LIMIT_DB_TX_ATTEMPTS_MAX	10
#define LIMIT_DB_TX_JITTER_MIN_US	2000
#define LIMIT_DB_TX_JITTER_MAX_US	25000
/** Most entries in db_hosts (database nodes a worker may dial, in order of preference). */
#define LIMIT_DB_HOSTS			8
/*
 * A database entry that refused, timed out or was not ready is passed over by
 * new connections for this long (config db_host_skip_ms), so a dead first node
 * costs one connect timeout per skip period, not one per request; after it the
 * entry is preferred again, so a worker returns to its node without a restart.
 */
#define LIMIT_DB_HOST_SKIP_MS_DEFAULT	5000
/** Highest wsrep_sync_wait value (a bit mask of statement kinds: 1|2|4|8). */
#define LIMIT_DB_SYNC_WAIT_MAX		15
/** Most workers the master will run. */
#define LIMIT_WORKERS_MAX		256
#define LIMIT_FETCHER_JOBS		64	/* onramp-fetcher runners (fetcher_jobs) */
/** Largest test clock offset either way (seconds; ten years). */
#define LIMIT_TEST_CLOCK_OFFSET_S	(10LL * 366 * 86400)
/** Largest migration file compiled in (bytes). */
#define LIMIT_MIGRATION_BYTES		(256u * 1024u)
/** Most migrations the runner handles. */
#define LIMIT_MIGRATIONS		999u
/**
 * How long `onrampctl migrate` holds the cluster-wide migration lease before
 * another runner may take it (seconds): renewed after each migration, so a
 * crashed runner blocks others this long at most (src/store/migrate.c).
 */
#define LIMIT_MIGRATE_LEASE_S		600
/** How long `onrampctl migrate` waits for another runner's lease by default (seconds). */
#define LIMIT_MIGRATE_WAIT_S		30
/** Pause between two tries to take a held migration lease (milliseconds). */
#define LIMIT_MIGRATE_POLL_MS		250
/**
 * What a mailer's claim on a batch of outbox rows lasts beyond the batch's
 * worst SMTP time (rows x mailer_timeout_s), in seconds: after that another
 * mailer may send them again (src/store/outbox.c).
 */
#define LIMIT_OUTBOX_CLAIM_MARGIN_S	60
/** One structured log line's maximum (bytes); longer lines are truncated. */
#define LIMIT_LOG_LINE			4096u

/* ---- request fields the handlers read (src/api/; bytes unless said) ---- */
/** A choice read before it is checked against its list (role, decision, billing state, item). */
#define LIMIT_CHOICE_BYTES		32
/** A short choice read before it is checked (protocol, provider mode, ai_provider, banner severity). */
#define LIMIT_SHORT_CHOICE_BYTES	16
/** A TOTP code as typed (digits, maybe spaces) before it is parsed. */
#define LIMIT_TOTP_CODE_BYTES		16
/** A link token (invite, password reset) as sent back; real ones are SECRET_TOKEN_LEN. */
#define LIMIT_TOKEN_BYTES		64
/** A customer's name. */
#define LIMIT_CUSTOMER_NAME		200
/** Most seats a customer may be given. */
#define LIMIT_SEATS_MAX			1000000
/** A workspace name ("Create"). */
#define LIMIT_WORKSPACE_NAME		63
/** The console banner's message. */
#define LIMIT_BANNER_MESSAGE		1000
/** The SAML entityID a customer picks from an aggregate. */
#define LIMIT_ENTITY_CHOICE		1000
/** The OIDC client id of the SSO draft (sso_settings.client_id). */
#define LIMIT_SSO_CLIENT_ID		255
/** A date member, "YYYY-MM-DD". */
#define LIMIT_DATE_BYTES		10
/** An RFC 3339 time member as sent (fractions and offsets allowed). */
#define LIMIT_TIME_TEXT_BYTES		40
/** Largest prepaid balance an operator may record (cents). */
#define LIMIT_BALANCE_CENTS_MAX		INT64_C(1000000000000)
/** Page size of the operator lists when limit= is absent, and its ceiling. */
#define LIMIT_PAGE_DEFAULT		50
#define LIMIT_PAGE_MAX			200
/** The same for the audit trail, which is read in longer pages. */
#define LIMIT_AUDIT_PAGE_DEFAULT	100
#define LIMIT_AUDIT_PAGE_MAX		500
/** An audit row keeps at most this many bytes of one field's value (the rest becomes "…"). */
#define LIMIT_AUDIT_VALUE		1000
/** The longest dotted field path an audit diff names. */
#define LIMIT_AUDIT_FIELD		128
/** Rows an audit export returns at most, whatever its time range (past it, X-Audit-Next-Before says where to go on). */
#define LIMIT_AUDIT_EXPORT_ROWS		10000
/** Bytes an audit export returns at most (within the request arena, LIMIT_ARENA_BYTES, with its rows). */
#define LIMIT_AUDIT_EXPORT_BYTES	(4u * 1024u * 1024u)
/** Rows an audit export reads from the database per statement. */
#define LIMIT_AUDIT_EXPORT_PAGE		200
/** An actor's name in an audit filter (actor_label is VARCHAR(400), sql/014). */
#define LIMIT_AUDIT_ACTOR		400
/** An SSO sign-in (or test) must come back from the IdP within this (seconds). */
#define LIMIT_SSO_PENDING_TTL_S		600
/** At most one JWKS refetch per customer in this many seconds (an unknown kid asks for it). */
#define LIMIT_SSO_JWKS_REFETCH_S	60
/** Clock skew allowed for an ID token's exp, iat and nbf (seconds). */
#define LIMIT_OIDC_SKEW_S		120
/** The authorization code and the callback's other parameters as the IdP sends them. */
#define LIMIT_OIDC_CODE_BYTES		2048
/** The token request's form (code, redirect URI, verifier, and the secret for client_secret_post). */
#define LIMIT_OIDC_TOKEN_FORM		8192
/** An IdP client secret (PUT /sso/secret): 1 to this many bytes of text. */
#define LIMIT_SSO_CLIENT_SECRET_BYTES	512u

/*
 * IT-admin setup links (POST /sso/setup-links).  A link opens a few sessions
 * (another device, a session that timed out) and is then used up: a
 * forwarded or leaked mail cannot be redeemed without end.
 */
/** Longest life of a setup link (hours), and the default when none is asked for. */
#define LIMIT_SSO_SETUP_LINK_HOURS_MAX	168
#define LIMIT_SSO_SETUP_LINK_HOURS_DEFAULT 72
/** Sessions one setup link can start before it answers 410 (used up). */
#define LIMIT_SSO_SETUP_LINK_SESSIONS	10
/** Setup links one customer may create within an hour (each is a mail). */
#define LIMIT_SSO_SETUP_LINKS_PER_HOUR	10
/** Setup links shown by GET /sso/setup-links (newest first). */
#define LIMIT_SSO_SETUP_LINKS_SHOWN	100
/** Longest SAMLResponse form value the ACS reads (base64 bytes; the XML is 3/4 of it). */
#define LIMIT_SAML_RESPONSE_B64		(256u * 1024u)
/** Longest RelayState the ACS reads (bytes; onramp sends a 43-byte token). */
#define LIMIT_SAML_RELAY_STATE		80u
/** Most fields of a form body (the ACS takes two). */
#define LIMIT_FORM_FIELDS		8u
/** Longest field name of a form body (bytes, as sent). */
#define LIMIT_FORM_NAME			64u
/*
 * A form body (BODY_FORM, the ACS): the largest SAMLResponse and RelayState
 * with every byte percent-encoded (a browser sends '+', '/' and '=' of
 * base64 as three bytes each), plus room for the names.  nginx's ACS
 * location allows 800k (deploy/nginx), just above this.
 */
#define LIMIT_BODY_FORM			(3u * (LIMIT_SAML_RESPONSE_B64 + LIMIT_SAML_RELAY_STATE) + 1024u)

/*
 * Idempotency keys (POST creates, src/api/idempotency.c).  A key is 1 to
 * LIMIT_IDEM_KEY printable ASCII characters; its stored answer is replayed
 * for LIMIT_IDEM_TTL_S and then the key is new again.  The answer is sealed
 * whole (AES-GCM takes at most 4096 bytes at once); creating answers are far
 * smaller.
 */
#define LIMIT_IDEM_KEY			255u
#define LIMIT_IDEM_TTL_S		86400
#define LIMIT_IDEM_ANSWER		4096u

/*
 * The mailer's sweeps of spent rows (idempotency keys, pending SSO requests)
 * delete in batches of LIMIT_SWEEP_BATCH rows, each its own statement so no
 * lock is held for long, at most LIMIT_SWEEP_ROUNDS batches per sweep.
 * Pending SSO requests are kept LIMIT_SSO_PENDING_KEEP_S past their expiry, so
 * a late answer from the IdP still reads "expired" rather than "unknown".
 */
#define LIMIT_SWEEP_BATCH		1000
#define LIMIT_SWEEP_ROUNDS		20
#define LIMIT_SSO_PENDING_KEEP_S	86400

/*
 * The worker's checklist facts cache (src/api/facts_cache.c): slots (one per
 * customer id modulo this), and the longest a copy is trusted even when its
 * version has not moved (a write that bypassed the triggers, a clock edge).
 */
#define LIMIT_FACTS_CACHE_SLOTS		64u
#define LIMIT_FACTS_CACHE_TTL_S		30

/* Admins named to a suspended or removed user (error.admins, the forgot-password mail). */
#define LIMIT_ACCOUNT_CONTACTS		3u
/* Admins a member's checklist names (GET /checklist `admins`): a page of contacts, not a directory. */
#define LIMIT_ADMINS_SHOWN		20u

#endif
