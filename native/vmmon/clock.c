/* clock.c: monotonic milliseconds and the loop's next deadline. */
#include "vmmon.h"

#include <time.h>

static long long next_deadline = -1;

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void timer_reset(void)
{
	next_deadline = -1;
}

void timer_at(long long when_ms)
{
	if (next_deadline < 0 || when_ms < next_deadline)
		next_deadline = when_ms;
}

int timer_timeout(void)
{
	long long d;

	if (next_deadline < 0)
		return -1;
	d = next_deadline - now_ms();
	return d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
}
