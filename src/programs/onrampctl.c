/*
 * onrampctl: operations from a shell, against the same library the server
 * uses.  Each verb has --help, exits 0 on success and non-zero with a
 * one-line reason on failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "onramp/clock.h"
#include "onramp/config.h"
#include "onramp/db.h"
#include "onramp/limits.h"
#include "onramp/log.h"
#include "onramp/migration.h"
#include "ctl.h"


static const char *config_path;

static void
usage(FILE *f)
{
	fputs("usage: onrampctl [-c CONFIG] VERB [ARGS]\n"
	      "verbs:\n"
	      "  migrate [--status] [--json] [--to VERSION]\n"
	      "  backup DIR | restore DIR [--force] [--keys]   see backup --help\n"
	      "  customers create --slug SLUG --name NAME [--seats N] [--admin-email EMAIL] [--json]\n"
	      "  customers list [--json]\n"
	      "  users create --customer SLUG --username U --email E --role ROLE [--password-stdin] [--json]\n"
	      "  users list [--filter QUERY] [--json]\n"
	      "  users suspend|activate USER [--yes]          USER = username or id\n"
	      "  reset-password USER                          prints a temporary password once\n"
	      "  operators create --username U --email E [--admin] [--password-stdin] [--json]\n"
	      "  operators totp-reset USER\n"
	      "  secrets rotate-key|drop-old-keys [--key-file PATH] [--json]\n"
	      "  secrets check [--customer SLUG] [--key-file PATH] [--json]\n"
	      "Every verb takes --help. Config: -c FILE, else $ONRAMP_CONFIG, else " ONRAMP_CONFIG_FILE ".\n", f);
}

int
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("onrampctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void
print_progress(void *ctx, const migration *m)
{
	(void)ctx;
	printf("applied %s\n", m->file);
}

/*
 * Apply, waiting for another runner's lease up to wait_s: two runners started
 * at once (on one host or two) both end with the schema at the latest, the
 * second finding nothing left to apply.
 */
static or_status
migrate_wait(db *d, bool json, unsigned upto, long long wait_s, char *err, size_t errsz)
{
	int64_t until = clock_mono_ms() + wait_s * 1000;
	or_status st;

	while ((st = migrate_apply_to(d, upto, json ? NULL : print_progress, NULL, err, errsz)) == OR_ERR_CONFLICT &&
	       clock_mono_ms() < until) {
		struct timespec t = { 0, LIMIT_MIGRATE_POLL_MS * 1000000L };
		nanosleep(&t, NULL);
	}
	return st;
}

/* The version the database is at after a run (which --to may leave below the latest). */
static int
print_reached(db *d, bool json)
{
	unsigned cur = 0, latest = migration_latest();

	if (migrate_current_version(d, &cur) != OR_OK)
		return ctl_fail("migrate: database: %s", db_last_error(d));
	if (json)
		printf("{\"current\":%u}\n", cur);
	else if (cur >= latest)
		printf("schema at %u (latest)\n", cur);
	else
		printf("schema at %u (latest %u)\n", cur, latest);
	return 0;
}

static int
cmd_migrate(db *d, int argc, char **argv)
{
	bool status = false, json = false;
	char err[512];
	long long wait_s = LIMIT_MIGRATE_WAIT_S, to = migration_latest();
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0)
			status = true;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
			if (str_to_ll(str_from_c(argv[++i]), 0, 3600, &wait_s) != OR_OK)
				return ctl_fail("migrate: --wait takes seconds (0-3600)");
		} else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
			if (str_to_ll(str_from_c(argv[++i]), 1, migration_latest(), &to) != OR_OK)
				return ctl_fail("migrate: --to takes a version from 1 to %u", migration_latest());
		} else if (strcmp(argv[i], "--help") == 0) {
			puts("usage: onrampctl migrate [--status] [--json] [--wait SECONDS] [--to VERSION]\n"
			     "  Applies every pending sql/NNN_*.sql migration in order (compiled in), once for the\n"
			     "  whole cluster: while another runner holds the migration lease it waits up to\n"
			     "  --wait seconds (default 30), then fails with \"another migration holds the lock\".\n"
			     "  --to      apply only up to and including VERSION (an older release's schema);\n"
			     "            a database already past it is left as it is.\n"
			     "  --status  print the applied and latest versions instead; exit 3 when behind.");
			return 0;
		} else
			return ctl_fail("migrate: unknown argument %s", argv[i]);
	}
	if (status) {
		migration_state st;
		unsigned latest = migration_latest();
		if (migrate_state(d, &st) != OR_OK)
			return ctl_fail("migrate: database: %s", db_last_error(d));
		if (json)
			printf("{\"current\":%u,\"latest\":%u,\"pending\":%u,\"checksum_mismatch\":%s}\n",
			       st.current, latest, latest > st.current ? latest - st.current : 0,
			       st.checksum_mismatch ? "true" : "false");
		else
			printf("schema at %u, latest %u, %u pending%s\n", st.current, latest,
			       latest > st.current ? latest - st.current : 0,
			       st.checksum_mismatch ? " (WARNING: an applied migration file has changed)" : "");
		return st.current >= latest ? 0 : 3;
	}
	if (migrate_wait(d, json, (unsigned)to, wait_s, err, sizeof(err)) != OR_OK)
		return ctl_fail("migrate: %s", err);
	return print_reached(d, json);
}

int
main(int argc, char **argv)
{
	config cfg;
	char err[512];
	db *d;
	int i = 1, rc;

	log_init(2, "onrampctl");
	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		config_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (config_load(&cfg, config_path, err, sizeof(err)) != OR_OK)
		return ctl_fail("config: %s", err);
	d = db_new(&cfg);
	if (d == NULL)
		return ctl_fail("%s", "out of memory");
	if (strcmp(argv[i], "migrate") == 0)
		rc = cmd_migrate(d, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "customers") == 0 || strcmp(argv[i], "users") == 0 ||
		 strcmp(argv[i], "reset-password") == 0 || strcmp(argv[i], "operators") == 0)
		rc = ctl_identity(&cfg, d, argc - i, argv + i);
	else if (strcmp(argv[i], "secrets") == 0)
		rc = ctl_secrets(&cfg, d, argc - i, argv + i);
	else if (strcmp(argv[i], "backup") == 0)
		rc = ctl_backup(&cfg, d, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "restore") == 0)
		rc = ctl_restore(&cfg, d, argc - i - 1, argv + i + 1);
	else {
		usage(stderr);
		rc = ctl_fail("unknown verb %s", argv[i]);
	}
	db_free(d);
	return rc;
}
