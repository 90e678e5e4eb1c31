/*
 * bench-argon2: the ceiling that onramp's sign-in is measured against
 * (docs/performance.md).  It forks NPROCS processes that each verify the same
 * Argon2id PHC string with libargon2's argon2id_verify(), exactly the call
 * onramp's password_verify() makes, in a loop for SECONDS seconds, and prints
 * the total verifications per second.  Nothing else runs in the loop: no
 * FastCGI, no database, no JSON.
 *
 * The hash and password come from BENCH_ARGON2_PHC and BENCH_ARGON2_PASSWORD
 * (kept out of the process list).  Without BENCH_ARGON2_PHC it hashes the
 * password with onramp's default parameters (m=19456 KiB, t=2, p=1) first.
 *
 * usage: bench-argon2 NPROCS SECONDS
 * output, one line: argon2id: PROCS procs, VERIFS verifications in SECS s, RATE/s
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>

#define MAX_PROCS 256
#define MAX_SECONDS 3600
#define DEFAULT_PASSWORD "Bench-Argon2-Password-2026"
/* onramp's PASSWORD_PARAMS_DEFAULT (src/domain/password.c). */
#define M_COST 19456
#define T_COST 2
#define PARALLELISM 1
#define SALT_LEN 16
#define HASH_LEN 32
#define ENCODED_MAX 160

/* What a child sends back through its pipe. */
struct tally {
	long verifications;
	long failures;
	double seconds;
};

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verify in a loop until the deadline; one untimed verification first. */
static struct tally
verify_loop(const char *phc, const char *pw, double seconds)
{
	struct tally t = { 0, 0, 0.0 };
	size_t len = strlen(pw);
	double start, end;

	if (argon2id_verify(phc, pw, len) != ARGON2_OK)
		t.failures++;
	start = now_s();
	end = start;
	while (end - start < seconds) {
		if (argon2id_verify(phc, pw, len) == ARGON2_OK)
			t.verifications++;
		else
			t.failures++;
		end = now_s();
	}
	t.seconds = end - start;
	return t;
}

static int
make_hash(const char *pw, char *out, size_t outsz)
{
	static const unsigned char salt[SALT_LEN] = "onramp-bench-sal";

	return argon2id_hash_encoded(T_COST, M_COST, PARALLELISM, pw, strlen(pw), salt, sizeof(salt),
				     HASH_LEN, out, outsz) == ARGON2_OK ? 0 : -1;
}

/* The child: wait for the start byte, run, write the tally. */
static int
child(int go_fd, int out_fd, const char *phc, const char *pw, double seconds)
{
	struct tally t;
	char b;

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (read(go_fd, &b, 1) != 1)
		return 1;
	t = verify_loop(phc, pw, seconds);
	return write(out_fd, &t, sizeof(t)) == (ssize_t)sizeof(t) ? 0 : 1;
}

static int
collect(const int *fds, long n, struct tally *sum, double *rate)
{
	long i;
	int bad = 0;

	memset(sum, 0, sizeof(*sum));
	*rate = 0.0;
	for (i = 0; i < n; i++) {
		struct tally t;
		if (read(fds[i], &t, sizeof(t)) != (ssize_t)sizeof(t) || t.seconds <= 0.0) {
			bad = 1;
			continue;
		}
		sum->verifications += t.verifications;
		sum->failures += t.failures;
		if (t.seconds > sum->seconds)
			sum->seconds = t.seconds;
		*rate += (double)t.verifications / t.seconds;
	}
	return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	char generated[ENCODED_MAX];
	const char *phc = getenv("BENCH_ARGON2_PHC"), *pw = getenv("BENCH_ARGON2_PASSWORD");
	int go[2], outs[MAX_PROCS];
	pid_t kids[MAX_PROCS];
	struct tally sum;
	double rate;
	long n, secs, i;
	int rc = 0;

	if (argc != 3 || parse_long(argv[1], 1, MAX_PROCS, &n) != 0 ||
	    parse_long(argv[2], 1, MAX_SECONDS, &secs) != 0) {
		fprintf(stderr, "usage: bench-argon2 NPROCS (1..%d) SECONDS (1..%d)\n", MAX_PROCS, MAX_SECONDS);
		return 2;
	}
	if (pw == NULL || *pw == '\0')
		pw = DEFAULT_PASSWORD;
	if (phc == NULL || *phc == '\0') {
		if (make_hash(pw, generated, sizeof(generated)) != 0) {
			fprintf(stderr, "bench-argon2: hashing failed\n");
			return 1;
		}
		phc = generated;
	}
	if (argon2id_verify(phc, pw, strlen(pw)) != ARGON2_OK) {
		fprintf(stderr, "bench-argon2: the password does not verify against the hash\n");
		return 1;
	}
	if (pipe(go) != 0) {
		perror("bench-argon2: pipe");
		return 1;
	}
	for (i = 0; i < n; i++) {
		int p[2];
		if (pipe(p) != 0) {
			perror("bench-argon2: pipe");
			return 1;
		}
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("bench-argon2: fork");
			return 1;
		}
		if (kids[i] == 0) {
			close(go[1]);
			close(p[0]);
			_exit(child(go[0], p[1], phc, pw, (double)secs));
		}
		close(p[1]);
		outs[i] = p[0];
	}
	close(go[0]);
	/* Release every child at once. */
	for (i = 0; i < n; i++)
		if (write(go[1], "g", 1) != 1)
			rc = 1;
	close(go[1]);
	if (collect(outs, n, &sum, &rate) != 0 || sum.failures != 0)
		rc = 1;
	for (i = 0; i < n; i++) {
		int status;
		close(outs[i]);
		if (waitpid(kids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = 1;
	}
	printf("argon2id: %ld procs, %ld verifications in %.2f s, %.2f/s, %ld failed\n", n,
	       sum.verifications, sum.seconds, rate, sum.failures);
	return rc;
}
