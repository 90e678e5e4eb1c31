/*
 * Unit tests for the readiness messages (src/core/notify.c): with
 * $NOTIFY_SOCKET naming a datagram socket the test bound, each call sends its
 * state there; without it nothing is sent and nothing fails.  A build without
 * libsystemd sends nothing at all, which the last test pins instead.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "onramp/notify.h"
#include "unit.h"

static int sock = -1;
static char path[108];

static int
bind_socket(void)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (snprintf(path, sizeof(path), "/tmp/onramp-notify-test-%ld.sock", (long)getpid()) >= (int)sizeof(path))
		return 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return 1;
	return 0;
}

static int
close_socket(void)
{
	if (sock >= 0)
		close(sock);
	(void)unlink(path);
	return 0;
}

/* The next queued message into buf ("" when none): a unix datagram is queued before sendmsg returns. */
static void
next_message(char *buf, size_t cap)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n = 0;

	buf[0] = '\0';
	if (poll(&p, 1, 0) == 1)
		n = recv(sock, buf, cap - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

#ifdef HAVE_SYSTEMD
static void
test_states_reach_the_socket(void)
{
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(setenv("NOTIFY_SOCKET", path, 1), 0);
	notify_ready();
	next_message(buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "READY=1"));
	notify_reloading();
	next_message(buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "RELOADING=1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "MONOTONIC_USEC="));
	notify_stopping();
	next_message(buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "STOPPING=1"));
	unsetenv("NOTIFY_SOCKET");
}
#endif

static void
test_nothing_without_notify_socket(void)
{
	char buf[256];

	unsetenv("NOTIFY_SOCKET");
	notify_ready();
	notify_stopping();
	next_message(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "");
}

#ifndef HAVE_SYSTEMD
static void
test_build_without_libsystemd_sends_nothing(void)
{
	char buf[256];

	CU_ASSERT_EQUAL_FATAL(setenv("NOTIFY_SOCKET", path, 1), 0);
	notify_ready();
	next_message(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "");
	unsetenv("NOTIFY_SOCKET");
}
#endif

static const unit_test tests[] = {
#ifdef HAVE_SYSTEMD
	{ "ready, reloading, stopping reach NOTIFY_SOCKET", test_states_reach_the_socket },
#else
	{ "a build without libsystemd sends nothing", test_build_without_libsystemd_sends_nothing },
#endif
	{ "nothing is sent without NOTIFY_SOCKET", test_nothing_without_notify_socket },
	{ NULL, NULL }
};
UNIT_MAIN_SUITE("notify", tests, bind_socket, close_socket)
