/* progress.c - one progress line on stderr: bytes, rate, ETA, retries. Redrawn at most 5 times
 * a second; shown on a terminal, or when asked (--progress), never mixed into stdout. */
#include "config.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "pull.h"

double progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, int enabled, const char *label, uint64_t total)
{
	p->enabled = enabled;
	p->label = label;
	p->total = total;
	p->done = 0;
	p->retries = 0;
	p->start = progress_now();
	p->last_draw = 0;
	p->drawn = 0;
}

static void human(char *out, size_t n, double v)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void draw(struct progress *p, double now)
{
	double el = now - p->start;
	double rate = el > 0 ? (double)p->done / el : 0;
	char done[32], total[32], r[32], eta[32] = "--:--";
	human(done, sizeof done, (double)p->done);
	human(total, sizeof total, (double)p->total);
	human(r, sizeof r, rate);
	if (rate > 0 && p->total > p->done) {
		unsigned long s = (unsigned long)((double)(p->total - p->done) / rate);
		snprintf(eta, sizeof eta, "%lu:%02lu", s / 60, s % 60);
	}
	int pct = p->total ? (int)((double)p->done * 100 / (double)p->total) : 100;
	if (pct > 100)
		pct = 100;
	char bar[21];
	for (int i = 0; i < 20; i++)
		bar[i] = i < pct / 5 ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%% %s / %s  %s/s  ETA %s  retries %llu\033[K", p->label, bar, pct, done, total,
	        r, eta, (unsigned long long)p->retries);
	fflush(stderr);
	p->drawn = 1;
	p->last_draw = now;
}

void progress_update(struct progress *p, uint64_t done, uint64_t retries)
{
	p->done = done;
	p->retries = retries;
	if (!p->enabled)
		return;
	double now = progress_now();
	if (now - p->last_draw >= 0.2)
		draw(p, now);
}

void progress_end(struct progress *p)
{
	if (!p->enabled)
		return;
	draw(p, progress_now());
	fputc('\n', stderr);
	p->drawn = 0;
}
