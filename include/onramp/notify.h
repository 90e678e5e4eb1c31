/*
 * Readiness for the service manager (systemd Type=notify, sd_notify(3)).
 * Each call is a no-op when onramp was built without libsystemd or when
 * $NOTIFY_SOCKET is unset (started by hand, ./dev, the tests' stacks).
 * Only the main process of a unit may call these (NotifyAccess=main).
 */
#ifndef ONRAMP_NOTIFY_H
#define ONRAMP_NOTIFY_H

/** Tell the manager the service is up (start-up finished, or a reload done). */
void notify_ready(void);
/** Tell the manager a reload (SIGHUP) has begun; notify_ready() ends it. */
void notify_reloading(void);
/** Tell the manager the service is shutting down (draining). */
void notify_stopping(void);

#endif
