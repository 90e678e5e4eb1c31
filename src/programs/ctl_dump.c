/*
 * Helpers of onrampctl backup and restore (see ctl_dump.h).  The client
 * tools get the password through an option file in a memfd passed as fd 3
 * (--defaults-file=/dev/fd/3): not in argv or the environment, where other
 * users of the host can read it, and never written to a file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "onramp/limits.h"
#include "ctl.h"
#include "ctl_dump.h"

#define TOOL_ARGS_MAX 16

const dump_key dump_keys[2] = {
	{ "secret.key", "secret_key_file" },
	{ "keyring", "secret_keyring_file" },
};

const char *
dump_key_path(const config *cfg, const dump_key *k)
{
	return k == &dump_keys[0] ? cfg->secret_key_file : cfg->secret_keyring_file;
}

/* The option file: a memfd, mode 0600 (the tools ignore a world-writable one). */
static int
defaults_fd(db *d)
{
	int fd = memfd_create("onrampctl-client", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) != 0 || db_client_defaults(d, fd) != OR_OK) {
		close(fd);
		return -1;
	}
	return fd;
}

/* In the child: stdin, stdout and fd 3 in place, then exec; never returns. */
static void
exec_tool(char *const argv[], int in_fd, int out_fd, int opt_fd)
{
	if ((in_fd >= 0 && dup2(in_fd, 0) < 0) || (out_fd >= 0 && dup2(out_fd, 1) < 0) || dup2(opt_fd, 3) < 0)
		_exit(126);
	execvp(argv[0], argv);
	fprintf(stderr, "onrampctl: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
dump_tool_run(db *d, const char *const argv[], int in_fd, int out_fd)
{
	char *args[TOOL_ARGS_MAX + 2];
	int opt_fd, status = 0, i, n = 0;
	pid_t pid;

	while (argv[n] && n < TOOL_ARGS_MAX)
		n++;
	if (argv[n] != NULL || (opt_fd = defaults_fd(d)) < 0)
		return -1;
	/* --defaults-file must come first; it also keeps ~/.my.cnf and /etc/mysql out. */
	args[0] = (char *)(uintptr_t)argv[0];
	args[1] = (char *)(uintptr_t)"--defaults-file=/dev/fd/3";
	for (i = 1; i <= n; i++)
		args[i + 1] = (char *)(uintptr_t)argv[i];
	fflush(stdout);
	if ((pid = fork()) == 0)
		exec_tool(args, in_fd, out_fd, opt_fd);
	close(opt_fd);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool
dump_sha256(const char *path, char out[65])
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;
	bool ok = ctx && fd >= 0 && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	while (ok && (r = read(fd, buf, sizeof(buf))) > 0)
		ok = EVP_DigestUpdate(ctx, buf, (size_t)r) == 1;
	ok = ok && r == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	for (i = 0; ok && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return ok;
}

int
dump_copy_new(const char *src, const char *dst)
{
	char buf[8192];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, err = 0;
	ssize_t r;

	if (in < 0)
		return errno;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		err = errno;
	while (!err && (r = read(in, buf, sizeof(buf))) != 0)
		if (r < 0 || write(out, buf, (size_t)r) != r)
			err = errno ? errno : EIO;
	if (!err && (fchmod(out, 0600) != 0 || fsync(out) != 0))
		err = errno;
	if (out >= 0 && close(out) != 0 && !err)
		err = errno;
	close(in);
	explicit_bzero(buf, sizeof(buf));
	if (err && out >= 0)
		unlink(dst);
	return err;
}

or_status
dump_snapshot_take(db *d, arena *a, dump_snapshot *s)
{
	or_status st = OR_OK;
	size_t i;
	int k;

	memset(s, 0, sizeof(*s));
	for (k = 0; st == OR_OK && k < BACKUP_KINDS; k++)
		st = store_backup_names(d, a, (backup_kind)k, &s->names[k], &s->n[k]);
	if (st == OR_OK && (s->stat = arena_calloc(a, s->n[BACKUP_TABLES] + 1, sizeof(*s->stat))) == NULL)
		st = OR_ERR_NOMEM;
	for (i = 0; st == OR_OK && i < s->n[BACKUP_TABLES]; i++)
		st = store_backup_table_stat(d, s->names[BACKUP_TABLES][i], &s->stat[i]);
	return st;
}

long
dump_snapshot_find(const dump_snapshot *s, backup_kind k, const char *name)
{
	size_t i;

	for (i = 0; i < s->n[k]; i++)
		if (strcmp(s->names[k][i], name) == 0)
			return (long)i;
	return -1;
}
