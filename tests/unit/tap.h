/* tap.h - a minimal TAP producer for the unit test programs (automake's tap-driver.sh reads it).
 * Each check prints "ok N - what" or "not ok N - what"; tap_done() prints the plan "1..N" and
 * returns the exit status. A failed check never stops the program, so one run shows them all. */
#ifndef ICARC_TAP_H
#define ICARC_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

#define TAP_OK(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define TAP_DIAG(...) (printf("# "), printf(__VA_ARGS__), putchar('\n'))
static inline int tap_is(long long got, long long want, const char *what)
{
	return tap_ok(got == want, "%s (got %lld, want %lld)", what, got, want);
}
#define TAP_IS(got, want, what) tap_is((long long)(got), (long long)(want), (what))
#define TAP_MEM(a, b, n, what) tap_ok(memcmp((a), (b), (n)) == 0, "%s", (what))

static inline int tap_skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
	return 1;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
