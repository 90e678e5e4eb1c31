/*
 * What the two onrampctl files share: the identity verbs' entry point and the
 * one way a verb fails (a one-line reason on stderr, exit status 1).
 */
#ifndef ONRAMP_CTL_H
#define ONRAMP_CTL_H

#include "onramp/config.h"
#include "onramp/db.h"

/** Verbs for customers, users and operators (ctl_identity.c); the exit status. */
int ctl_identity(const config *cfg, db *d, int argc, char **argv);
/** Print "onrampctl: " and the formatted reason to stderr; returns 1 (the exit status). */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
