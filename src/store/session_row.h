/*
 * Private to src/store/: what a live session is, written once for the
 * statements that find a session together with its principal in one round
 * trip (users.c for customers, operators.c for operators).  The session table
 * is aliased s; SESSION_COLS are read back by store_session_read.  A session
 * ended by a suspension or removal is still found (so the answer can say
 * why); the auth step refuses it by its ended_reason.
 */
#ifndef ONRAMP_STORE_SESSION_ROW_H
#define ONRAMP_STORE_SESSION_ROW_H

#include "onramp/store.h"

#define SESSION_COLS "s.principal_id, s.csrf_token, s.last_used_at, s.expires_at, s.login_type, s.ended_reason"
#define SESSION_NCOLS 6
/* Not expired and used within the idle timeout; four parameters (store_session_bind_live). */
#define SESSION_LIVE \
	"s.id_hash = ? AND s.realm = ? AND s.expires_at > FROM_UNIXTIME(?) AND s.last_used_at > FROM_UNIXTIME(?)"

/** Bind SESSION_LIVE's four parameters, the first at index first. */
void store_session_bind_live(db_stmt *s, unsigned first, session_realm realm, const char *id_hash, int64_t now,
			     int64_t idle_s);
/** Read the SESSION_COLS of the current row, the first at column col, into out. */
void store_session_read(db_stmt *s, unsigned col, session_realm realm, const char *id_hash, session *out);

#endif
