/*
 * onramp-fcgi: the FastCGI application server.  Loads the config, opens the
 * log, and hands over to the master (src/server/master.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "onramp/config.h"
#include "onramp/log.h"
#include "onramp/server.h"

static void
usage(FILE *f)
{
	fputs("usage: onramp-fcgi [-c CONFIG] [--check-config]\n"
	      "  -c CONFIG        config file (default $ONRAMP_CONFIG or " ONRAMP_CONFIG_FILE ")\n"
	      "  --check-config   load and validate the config, print the result, exit\n"
	      "Environment ONRAMP_<KEY> overrides any key; see docs/config.md.\n"
	      "Signals: HUP reloads config and rolls workers, TERM drains and exits.\n", f);
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	bool check = false;
	config cfg;
	char err[512];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--check-config") == 0) {
			check = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (config_load(&cfg, path, err, sizeof(err)) != OR_OK) {
		fprintf(stderr, "onramp-fcgi: config: %s\n", err);
		return 1;
	}
	if (check) {
		printf("config ok: listen %s, %d workers, database %s\n", cfg.listen,
		       config_worker_count(&cfg), cfg.db_hosts[0] ? cfg.db_hosts :
		       cfg.db_socket[0] ? cfg.db_socket : cfg.db_host);
		return 0;
	}
	if (cfg.log_file[0]) {
		int fd = open(cfg.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0 || dup2(fd, 2) < 0) {
			fprintf(stderr, "onramp-fcgi: cannot open log %s\n", cfg.log_file);
			return 1;
		}
		close(fd);
	}
	log_init(2, "onramp-fcgi");
	if (cfg.test_clock_file[0])
		log_event(LOG_WARN, "test_clock", "test mode: request time is moved by %s", cfg.test_clock_file);
	return server_master_run(path, &cfg);
}
