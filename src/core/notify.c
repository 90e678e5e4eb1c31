/*
 * sd_notify(3) behind three calls, so the programs state what happened
 * (ready, reloading, stopping) and the build decides whether anyone hears:
 * without libsystemd (configure --without-systemd) every call is a no-op,
 * and sd_notify itself does nothing when $NOTIFY_SOCKET is unset.  A failed
 * send is logged, never fatal: a service that works but cannot report it is
 * still better than one that stops.
 */
#include "config.h"

#include <stdio.h>

#include "onramp/clock.h"
#include "onramp/log.h"
#include "onramp/notify.h"

#ifdef HAVE_SYSTEMD
#include <string.h>
#include <systemd/sd-daemon.h>

static void
send_state(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		log_event(LOG_WARN, "notify_failed", "sd_notify %s: %s", state, strerror(-rc));
}
#else
static void
send_state(const char *state)
{
	(void)state;
}
#endif

void
notify_ready(void)
{
	send_state("READY=1\nSTATUS=ready");
}

void
notify_reloading(void)
{
	/* systemd >= 253 reads MONOTONIC_USEC to match the reload with its request; 252 ignores it. */
	char state[64];
	int n = snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%lld",
			 (long long)clock_mono_us());

	send_state(n > 0 && (size_t)n < sizeof(state) ? state : "RELOADING=1");
}

void
notify_stopping(void)
{
	send_state("STOPPING=1\nSTATUS=draining");
}
