/*
 * Clock reads behind one tiny interface, so callers never mix monotonic and
 * wall time by accident.
 */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "onramp/clock.h"
#include "onramp/limits.h"
#include "onramp/str.h"

static int64_t
read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_mono_us(void)
{
	return read_us(CLOCK_MONOTONIC);
}

int64_t
clock_mono_ms(void)
{
	return read_us(CLOCK_MONOTONIC) / 1000;
}

int64_t
clock_wall_us(void)
{
	return read_us(CLOCK_REALTIME);
}

/*
 * A missing or unreadable file means no offset: a test stack starts at the
 * real time and moves only when a test writes the file.
 */
static int64_t
offset_file_s(const char *path)
{
	char text[32];
	ssize_t n;
	long long s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text));
	close(fd);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	if (n <= 0 || str_to_ll((or_str){ text, (size_t)n }, -LIMIT_TEST_CLOCK_OFFSET_S,
				LIMIT_TEST_CLOCK_OFFSET_S, &s) != OR_OK)
		return 0;
	return s;
}

int64_t
clock_request_us(const char *offset_file)
{
	int64_t now = read_us(CLOCK_REALTIME);

	if (offset_file == NULL || offset_file[0] == '\0')
		return now;
	return now + offset_file_s(offset_file) * 1000000;
}
