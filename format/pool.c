/* pool.c - a fixed set of worker threads running jobs from one queue. Callers keep their own
 * order (a FIFO of jobs) and wait on the job at its head, so output order never depends on
 * which worker finished first. With 0 threads, jobs run inline in Icarc_pool_submit.
 *
 * Workers wake the owner only when it sleeps in Icarc_pool_wait. (The owner running queued jobs
 * itself while it waits was tried: on two cores it delays refilling the queue, and pack got
 * slower; see tests/bench/RESULTS.md.) */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "private.h"

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct pool_job *head, *tail;
	int stop;
	int owner_waits; /* the owner sleeps on `done`: wake it */
	unsigned n, cap; /* threads running, contexts allocated */
	pthread_t *threads;
	void **ctx;
	void (*free_ctx)(void *);
	void *inline_ctx;
};

struct worker_arg {
	struct pool *p;
	unsigned i;
};

unsigned Icarc_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static void *worker(void *arg)
{
	struct pool *p = ((struct worker_arg *)arg)->p;
	unsigned i = ((struct worker_arg *)arg)->i;
	free(arg);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->head == NULL && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->head == NULL)
			break;
		struct pool_job *j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		j->run(j, p->ctx[i]);
		pthread_mutex_lock(&p->mu);
		j->done = 1;
		if (p->owner_waits)
			pthread_cond_signal(&p->done); /* only the owner waits on `done` */
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct pool *Icarc_pool_new(unsigned threads, void *(*make_ctx)(void *arg), void (*free_ctx)(void *ctx), void *arg)
{
	struct pool *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->free_ctx = free_ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (threads == 0) {
		p->inline_ctx = make_ctx(arg);
		if (p->inline_ctx == NULL) {
			Icarc_pool_free(p);
			return NULL;
		}
		return p;
	}
	p->threads = calloc(threads, sizeof *p->threads);
	p->ctx = calloc(threads, sizeof *p->ctx);
	p->cap = threads;
	if (p->threads == NULL || p->ctx == NULL) {
		Icarc_pool_free(p);
		return NULL;
	}
	for (unsigned i = 0; i < threads; i++) {
		p->ctx[i] = make_ctx(arg);
		struct worker_arg *wa = malloc(sizeof *wa);
		if (p->ctx[i] == NULL || wa == NULL) {
			free(wa);
			Icarc_pool_free(p);
			return NULL;
		}
		wa->p = p;
		wa->i = i;
		if (pthread_create(&p->threads[i], NULL, worker, wa) != 0) {
			free(wa);
			Icarc_pool_free(p);
			return NULL;
		}
		p->n++;
	}
	return p;
}

void Icarc_pool_submit(struct pool *p, struct pool_job *job)
{
	job->next = NULL;
	job->done = 0;
	if (p->n == 0) {
		job->run(job, p->inline_ctx);
		job->done = 1;
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void Icarc_pool_wait(struct pool *p, struct pool_job *job)
{
	if (p->n == 0)
		return;
	pthread_mutex_lock(&p->mu);
	while (!job->done) {
		p->owner_waits = 1;
		pthread_cond_wait(&p->done, &p->mu);
		p->owner_waits = 0;
	}
	pthread_mutex_unlock(&p->mu);
}

int Icarc_pool_is_done(struct pool *p, struct pool_job *job)
{
	if (p->n == 0)
		return job->done;
	pthread_mutex_lock(&p->mu);
	int d = job->done;
	pthread_mutex_unlock(&p->mu);
	return d;
}

void Icarc_pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	if (p->ctx)
		for (unsigned i = 0; i < p->cap; i++)
			if (p->ctx[i])
				p->free_ctx(p->ctx[i]);
	if (p->free_ctx && p->inline_ctx)
		p->free_ctx(p->inline_ctx);
	free(p->threads);
	free(p->ctx);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}
