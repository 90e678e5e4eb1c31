/*
 * Deciding queued forgot-password requests (onramp-mailer): the account
 * lookup, the per-account limit, the token and its mail, all in the
 * mailer's transaction, so the request path does the same work for every
 * address.
 */
#ifndef ONRAMP_RESET_MAIL_H
#define ONRAMP_RESET_MAIL_H

#include <stdint.h>
#include "onramp/arena.h"
#include "onramp/config.h"
#include "onramp/db.h"

/**
 * Decide up to max queued requests, one transaction each; returns how many
 * were decided, or -1 when the queue could not be read.  now in UNIX seconds.
 */
int reset_mail_round(const config *cfg, db *d, arena *a, int64_t now, long max);

#endif
