/* gen.c - a realistic canister stable-memory image, deterministic from a seed, at disk speed.
 *
 * The layout of tests/data/gen_memory.py (the lead's Python version, for the demo), for sizes up
 * to many GiB: a u32 little-endian length at offset 0, a MessagePack application state (users with
 * 29-byte principals, handles, bios in a skewed vocabulary, 64-bit timestamps, follower lists and
 * balances; three posts per user), zero padding to a whole 64 KiB Wasm page, a zero region, and an
 * incompressible "media" region (10%, whole pages) at the end. By default one user per 4 KiB of
 * image, as gen_memory.py: about 18% state, 72% zeros, 10% media.
 *
 * The bytes are not those of gen_memory.py (another random generator), only the shape.
 *
 * usage: gen OUT|- SIZE [--seed N] [--users N]
 * A regular file gets the zero region as a hole (sparse). To a pipe, the state is generated twice
 * (once to learn its length for the prefix). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 65536ULL
#define OBUF (1U << 20)

static const char *const WORDS[] = {
	"the", "of", "and", "to", "in", "is", "that", "it", "for", "on", "with", "as", "was", "canister", "cycles",
	"stable", "memory", "query", "update", "principal", "ledger", "token", "neuron", "governance", "snapshot",
	"backup", "replica", "subnet", "wasm", "heap", "motoko", "rust", "candid", "agent", "certificate", "boundary",
	"node", "icp", "internet", "computer"};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

/* xoshiro256** seeded through splitmix64: fast and the same on every machine */
struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* uniform in [0, n) (Lemire's multiply-shift; the tiny bias does not matter here) */
static inline uint64_t below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)next(r) * n) >> 64);
}

/* ---- output: a buffer over a descriptor, or a counter only (first pass to a pipe) ---- */
struct out {
	int fd; /* -1: count only */
	uint8_t *buf;
	size_t len;
	uint64_t total;
};

static void flush(struct out *o)
{
	size_t off = 0;
	while (o->fd >= 0 && off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("gen: write");
			exit(1);
		}
		off += (size_t)n;
	}
	o->len = 0;
}

static inline void put(struct out *o, const void *p, size_t n)
{
	if (o->len + n > OBUF)
		flush(o);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->total += n;
}

static inline void put1(struct out *o, uint8_t b)
{
	put(o, &b, 1);
}

static void put_be(struct out *o, uint8_t tag, uint64_t v, int bytes)
{
	uint8_t b[9];
	b[0] = tag;
	for (int i = 0; i < bytes; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(o, b, 1 + (size_t)bytes);
}

/* ---- MessagePack, the smallest encoding of each value (as msgpack-python packs) ---- */
static void mp_uint(struct out *o, uint64_t v)
{
	if (v < 128)
		put1(o, (uint8_t)v);
	else if (v < 256)
		put_be(o, 0xcc, v, 1);
	else if (v < 65536)
		put_be(o, 0xcd, v, 2);
	else if (v < (1ULL << 32))
		put_be(o, 0xce, v, 4);
	else
		put_be(o, 0xcf, v, 8);
}

static void mp_str_hdr(struct out *o, size_t n)
{
	if (n < 32)
		put1(o, (uint8_t)(0xa0 | n));
	else if (n < 256)
		put_be(o, 0xd9, n, 1);
	else if (n < 65536)
		put_be(o, 0xda, n, 2);
	else
		put_be(o, 0xdb, n, 4);
}

static void mp_str(struct out *o, const char *s)
{
	size_t n = strlen(s);
	mp_str_hdr(o, n);
	put(o, s, n);
}

static void mp_bin(struct out *o, const uint8_t *p, size_t n)
{
	put_be(o, 0xc4, n, 1); /* n < 256 here */
	put(o, p, n);
}

static void mp_arr(struct out *o, uint64_t n)
{
	if (n < 16)
		put1(o, (uint8_t)(0x90 | n));
	else if (n < 65536)
		put_be(o, 0xdc, n, 2);
	else
		put_be(o, 0xdd, n, 4);
}

static void mp_map(struct out *o, unsigned n)
{
	put1(o, (uint8_t)(0x80 | n)); /* fixmap: n < 16 here */
}

/* Word k is drawn with P(word >= k) = (k+1)^-1.2 (gen_memory.py: int(paretovariate(1.2)) - 1,
 * clipped): a few words very common, as in real text. Thresholds over a 64-bit uniform. */
static uint64_t word_thr[NWORDS];

static void init_words(void)
{
	for (size_t k = 0; k < NWORDS; k++) {
		double p = pow((double)(k + 2), -1.2); /* P(word > k) */
		word_thr[k] = k + 1 == NWORDS ? 0 : (uint64_t)(p * 18446744073709551615.0);
	}
}

static void mp_text(struct out *o, struct rng *r, unsigned words)
{
	char buf[16 * 64];
	size_t n = 0;
	for (unsigned i = 0; i < words; i++) {
		uint64_t u = next(r);
		size_t k = 0;
		while (u < word_thr[k]) /* short on average: word 0 has 56% */
			k++;
		if (i)
			buf[n++] = ' ';
		size_t l = strlen(WORDS[k]);
		memcpy(buf + n, WORDS[k], l);
		n += l;
	}
	mp_str_hdr(o, n);
	put(o, buf, n);
}

#define T0 1700000000000000000ULL

static void state(struct out *o, uint64_t seed, uint64_t users)
{
	struct rng r;
	rng_seed(&r, seed);
	mp_map(o, 5);
	mp_str(o, "schema");
	mp_uint(o, 1);
	mp_str(o, "version");
	mp_uint(o, 0);
	mp_str(o, "users");
	mp_arr(o, users);
	for (uint64_t i = 0; i < users; i++) {
		uint8_t principal[29];
		char handle[32];
		mp_map(o, 7);
		mp_str(o, "id");
		mp_uint(o, i);
		mp_str(o, "principal");
		for (int j = 0; j < 29; j += 8) {
			uint64_t v = next(&r);
			memcpy(principal + j, &v, j + 8 <= 29 ? 8 : 29 - (size_t)j);
		}
		mp_bin(o, principal, 29);
		mp_str(o, "handle");
		snprintf(handle, sizeof handle, "user%llu", (unsigned long long)i);
		mp_str(o, handle);
		mp_str(o, "bio");
		mp_text(o, &r, 3 + (unsigned)below(&r, 28));
		mp_str(o, "created_ns");
		mp_uint(o, T0 + below(&r, 1000000000000000ULL));
		mp_str(o, "followers");
		unsigned nf = (unsigned)below(&r, 21);
		mp_arr(o, nf);
		for (unsigned j = 0; j < nf; j++)
			mp_uint(o, below(&r, users));
		mp_str(o, "balance");
		mp_uint(o, next(&r));
	}
	mp_str(o, "posts");
	mp_arr(o, 3 * users);
	for (uint64_t i = 0; i < 3 * users; i++) {
		mp_map(o, 5);
		mp_str(o, "id");
		mp_uint(o, i);
		mp_str(o, "author");
		mp_uint(o, below(&r, users));
		mp_str(o, "at_ns");
		mp_uint(o, T0 + below(&r, 1000000000000000ULL));
		mp_str(o, "text");
		mp_text(o, &r, 5 + (unsigned)below(&r, 56));
		mp_str(o, "likes");
		mp_uint(o, below(&r, 1000));
	}
	mp_str(o, "config");
	mp_map(o, 2);
	mp_str(o, "name");
	mp_str(o, "demo");
	mp_str(o, "paused");
	put1(o, 0xc2); /* false */
}

static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	*v = n;
	return 0;
}

static void zeros(struct out *o, uint64_t n, int sparse)
{
	flush(o);
	if (sparse) {
		if (lseek(o->fd, (off_t)n, SEEK_CUR) < 0) {
			perror("gen: lseek");
			exit(1);
		}
		o->total += n;
		return;
	}
	memset(o->buf, 0, OBUF);
	while (n) {
		size_t k = n < OBUF ? (size_t)n : OBUF;
		o->len = k;
		flush(o);
		o->total += k;
		n -= k;
	}
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	uint64_t size = 0, seed = 1, users = 0;
	int have_size = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--users") == 0 && i + 1 < argc)
			users = strtoull(argv[++i], NULL, 10);
		else if (path == NULL)
			path = argv[i];
		else if (!have_size && parse_size(argv[i], &size) == 0)
			have_size = 1;
		else {
			fprintf(stderr, "usage: gen OUT|- SIZE[K|M|G] [--seed N] [--users N]\n");
			return 2;
		}
	}
	if (path == NULL || !have_size) {
		fprintf(stderr, "usage: gen OUT|- SIZE[K|M|G] [--seed N] [--users N]\n");
		return 2;
	}
	if (users == 0)
		users = size / 4096 > 10 ? size / 4096 : 10;
	init_words();

	int fd = strcmp(path, "-") == 0 ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct stat st;
	int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) == 0;
	struct out o = {fd, malloc(OBUF), 0, 0};
	if (o.buf == NULL)
		return 1;

	uint64_t body;
	if (regular) { /* write a placeholder prefix, fill it in at the end */
		put(&o, "\0\0\0\0", 4);
		state(&o, seed, users);
		body = o.total - 4;
	} else { /* a pipe: count first */
		struct out c = {-1, o.buf, 0, 0};
		state(&c, seed, users);
		body = c.total;
		c.len = 0;
		uint8_t le[4] = {(uint8_t)body, (uint8_t)(body >> 8), (uint8_t)(body >> 16), (uint8_t)(body >> 24)};
		put(&o, le, 4);
		state(&o, seed, users);
	}
	if (body > UINT32_MAX) {
		fprintf(stderr, "gen: state of %llu bytes does not fit the u32 prefix: fewer --users\n", (unsigned long long)body);
		return 1;
	}
	uint64_t padded = (o.total + PAGE - 1) / PAGE * PAGE;
	if (size < padded + 2 * PAGE)
		size = padded + 2 * PAGE;
	uint64_t media = size / 10 / PAGE * PAGE;
	zeros(&o, size - media - o.total, regular);

	struct rng mr;
	rng_seed(&mr, seed + 7);
	for (uint64_t left = media; left;) {
		size_t k = left < OBUF ? (size_t)left : OBUF;
		flush(&o);
		for (size_t i = 0; i < k; i += 8) {
			uint64_t v = next(&mr);
			memcpy(o.buf + i, &v, 8);
		}
		o.len = k;
		o.total += k;
		left -= k;
	}
	flush(&o);
	if (regular) {
		uint8_t le[4] = {(uint8_t)body, (uint8_t)(body >> 8), (uint8_t)(body >> 16), (uint8_t)(body >> 24)};
		if (ftruncate(fd, (off_t)size) != 0 || pwrite(fd, le, 4, 0) != 4) {
			perror("gen: finishing the file");
			return 1;
		}
	}
	if (fd != STDOUT_FILENO && close(fd) != 0) {
		perror("gen: close");
		return 1;
	}
	free(o.buf);
	fprintf(stderr, "gen: %llu bytes: state %llu (%llu users), zeros %llu, media %llu\n", (unsigned long long)size,
	        (unsigned long long)body, (unsigned long long)users, (unsigned long long)(size - media - 4 - body),
	        (unsigned long long)media);
	return 0;
}
