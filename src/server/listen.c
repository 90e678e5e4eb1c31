/*
 * The FastCGI listening socket: a unix socket (mode and group from config,
 * so only nginx's group may connect) or TCP host:port for a remote nginx.
 * A stale unix socket file left by a crash is replaced; a live one (another
 * master answering on it) is an error rather than stolen.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "onramp/log.h"
#include "onramp/server.h"

static bool
is_unix_path(const char *listen)
{
	return listen[0] == '/' || listen[0] == '.';
}

/* True when something accepts connections on the unix socket path. */
static bool
socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

/*
 * Give the socket to the configured owner and group.  As root (started by
 * hand) the master chowns it to `user` and listen_group; started unprivileged
 * (systemd User=, with nginx's group in SupplementaryGroups=) it can still
 * hand the file to listen_group, which a member of that group may do.
 */
static void
give_socket(const config *cfg)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	bool root = getuid() == 0;
	struct passwd *pw = root && cfg->user[0] ? getpwnam(cfg->user) : NULL;
	struct group *gr = cfg->listen_group[0] ? getgrnam(cfg->listen_group) : NULL;

	if (pw) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (gr)
		gid = gr->gr_gid;
	else if (cfg->listen_group[0])
		log_event(LOG_WARN, "listen_chown", "group %s does not exist", cfg->listen_group);
	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return;
	if (chown(cfg->listen, uid, gid) != 0)
		log_event(LOG_WARN, "listen_chown", "%s: %s", cfg->listen, strerror(errno));
}

static int
listen_unix(const config *cfg)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (!str_copy(sa.sun_path, sizeof(sa.sun_path), cfg->listen)) {
		log_event(LOG_ERROR, "listen_failed", "socket path longer than %zu bytes", sizeof(sa.sun_path) - 1);
		return -1;
	}
	if (socket_alive(&sa)) {
		log_event(LOG_ERROR, "listen_failed", "%s: another server is already listening", cfg->listen);
		return -1;
	}
	(void)unlink(cfg->listen);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		log_event(LOG_ERROR, "listen_failed", "%s: %s", cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (chmod(cfg->listen, cfg->listen_mode) != 0)
		log_event(LOG_WARN, "listen_chmod", "%s: %s", cfg->listen, strerror(errno));
	give_socket(cfg);
	return fd;
}

static int
listen_tcp(const config *cfg)
{
	char host[CONFIG_PATH_MAX];
	const char *colon = strrchr(cfg->listen, ':');
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1, rc;

	if (colon == NULL || colon == cfg->listen) {
		log_event(LOG_ERROR, "listen_failed", "listen must be a unix socket path or host:port");
		return -1;
	}
	memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
	host[colon - cfg->listen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		log_event(LOG_ERROR, "listen_failed", "%s: %s", cfg->listen, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
		log_event(LOG_ERROR, "listen_failed", "%s: %s", cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
server_listen(const config *cfg)
{
	int fd = is_unix_path(cfg->listen) ? listen_unix(cfg) : listen_tcp(cfg);
	int fl;

	if (fd < 0)
		return -1;
	if (listen(fd, cfg->listen_backlog) != 0) {
		log_event(LOG_ERROR, "listen_failed", "%s: %s", cfg->listen, strerror(errno));
		close(fd);
		return -1;
	}
	/* Workers poll and then accept; non-blocking so a lost race returns EAGAIN. */
	fl = fcntl(fd, F_GETFL, 0);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}
