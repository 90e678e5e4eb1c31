/*
 * What the onrampctl files share: the verbs' entry points, the audit row of a
 * change made from the shell, and the one way a verb fails (a one-line reason
 * on stderr, exit status 1).
 */
#ifndef ONRAMP_CTL_H
#define ONRAMP_CTL_H

#include "onramp/config.h"
#include "onramp/db.h"

/** Verbs for customers, users and operators (ctl_identity.c); the exit status. */
int ctl_identity(const config *cfg, db *d, int argc, char **argv);
/** Verbs for sealed secrets and their keys (ctl_secrets.c); the exit status. */
int ctl_secrets(const config *cfg, db *d, int argc, char **argv);
/** onrampctl backup DIR (ctl_backup.c); argv starts after the verb; the exit status. */
int ctl_backup(const config *cfg, db *d, int argc, char **argv);
/** onrampctl restore DIR [--force] [--keys] (ctl_restore.c); argv starts after the verb; the exit status. */
int ctl_restore(const config *cfg, db *d, int argc, char **argv);
/** Append an audit row for a change made from the shell: the actor is "cli:<OS user>". */
or_status ctl_audit(db *d, const char *action, int64_t customer_id, const char *object_type, int64_t object_id);
/** Print "onrampctl: " and the formatted reason to stderr; returns 1 (the exit status). */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
