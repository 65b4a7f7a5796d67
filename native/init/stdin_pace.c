/*
 * How long a full stdin pipe is left to drain before the init writes to it again (ADR 0081).
 * Waking for every page its reader frees would cost a poll and a write each time, each a ptrace
 * round trip in a uml guest and emulated under TCG (ADR 0076). Each wake costs the guest's one
 * CPU, so the init comes back when the reader has emptied about half the pipe: the wait doubles
 * while a refill finds under half of it drained, and halves when the reader had emptied over
 * three quarters (it may have waited for bytes). Measured on uml with a 1 MiB pipe: busybox
 * sha256sum drains about 130 KiB in 2 ms and settles at 8 ms; dd bs=64k drains 500 KiB in 2 ms.
 */
#include "init.h"

int stdin_next_defer_ms(int defer_ms, size_t refilled, size_t pipe_size)
{
	if (defer_ms < STDIN_DEFER_MIN_MS)
		return STDIN_DEFER_MIN_MS;
	if (refilled > pipe_size / 4 * 3)
		return defer_ms / 2 < STDIN_DEFER_MIN_MS ? STDIN_DEFER_MIN_MS : defer_ms / 2;
	if (refilled < pipe_size / 2)
		return defer_ms * 2 > STDIN_DEFER_MAX_MS ? STDIN_DEFER_MAX_MS : defer_ms * 2;
	return defer_ms;
}
