/*
 * The project-wide status enum.  Every function that can fail returns one of
 * these (0 = ok); the HTTP boundary maps them to responses and logs detail once.
 */
#ifndef ONRAMP_STATUS_H
#define ONRAMP_STATUS_H

typedef enum or_status {
	OR_OK = 0,
	OR_ERR_NOMEM,		/* allocation failed */
	OR_ERR_LIMIT,		/* a named limit was exceeded */
	OR_ERR_INVALID,		/* input did not parse or validate */
	OR_ERR_NOT_FOUND,	/* no such object (or not visible to the caller) */
	OR_ERR_CONFLICT,	/* state conflict, e.g. duplicate key */
	OR_ERR_VERSION,		/* optimistic concurrency: stale version */
	OR_ERR_DB,		/* database unavailable or failed */
	OR_ERR_IO,		/* file, socket or pipe I/O failed */
	OR_ERR_INTERNAL		/* a bug: should not happen */
} or_status;

/** A short stable name for a status, e.g. "limit" (never NULL). */
const char *status_name(or_status st);

#endif
