/* cli.c - messages, exit codes, number parsing and output helpers shared by the subcommands. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *cli_progname = "icarc";

static void vmsg(const char *fmt, va_list ap) CLI_PRINTF(1, 0);
static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return code;
}

int cli_exit_for(int status)
{
	switch (status) {
	case ICARC_OK:
		return EXIT_OK;
	case ICARC_E_USAGE:
		return EXIT_USAGE;
	case ICARC_E_IO:
	case ICARC_E_NOMEM:
		return EXIT_IO;
	case ICARC_E_AUTH:
	case ICARC_E_NOKEY:
		return EXIT_KEY;
	case ICARC_E_NOTFOUND:
		return EXIT_USAGE;
	default:
		return status < 0 ? EXIT_CORRUPT : EXIT_OK;
	}
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -1;
	}
	if (shift && *end == 'i')
		end++;
	if (shift && (*end == 'B' || *end == 'b'))
		end++;
	if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	unsigned cp = c & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void cli_json_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			i++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			i++;
		} else {
			size_t l = utf8_len(s + i, len - i);
			if (l == 0) {
				fputs("\\ufffd", f);
				i++;
			} else {
				fwrite(s + i, 1, l, f);
				i += l;
			}
		}
	}
	fputc('"', f);
}

int cli_output_open(struct cli_output *o, const char *path)
{
	struct stat st;
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->path = strdup(path);
	if (o->path == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return cli_fail(EXIT_USAGE, "'%s' is a directory", path);
		o->fd = open(path, O_WRONLY | O_CLOEXEC); /* a device or FIFO: nothing to rename */
	} else {
		size_t n = strlen(path) + 6;
		o->part = malloc(n);
		if (o->part == NULL)
			return cli_fail(EXIT_IO, "out of memory");
		snprintf(o->part, n, "%s.part", path);
		o->fd = open(o->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		o->sparse = 1;
	}
	if (o->fd < 0)
		return cli_fail(EXIT_IO, "cannot create '%s': %s", o->part ? o->part : path, strerror(errno));
	return EXIT_OK;
}

int cli_output_stdout(struct cli_output *o)
{
	struct stat st;
	memset(o, 0, sizeof *o);
	o->fd = STDOUT_FILENO;
	o->borrowed = 1;
	if ((o->path = strdup("standard output")) == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	int fl = fcntl(STDOUT_FILENO, F_GETFL);
	off_t at = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_APPEND) && at >= 0 &&
	    at == st.st_size) {
		o->sparse = 1;
		o->base = (uint64_t)at;
	}
	return EXIT_OK;
}

#define SPARSE_PAGE 65536U

static int zero_block(const unsigned char *p, size_t n)
{
	static const unsigned char zero[256];
	for (; n >= sizeof zero; p += sizeof zero, n -= sizeof zero)
		if (memcmp(p, zero, sizeof zero) != 0)
			return 0;
	return memcmp(p, zero, n) == 0;
}

int cli_output_write(struct cli_output *o, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	if (!o->sparse) { /* a device, FIFO or pipe: no holes */
		o->size += n;
		return cli_write_all(o->fd, p, n);
	}
	while (n > 0) {
		/* one page of the file at a time, aligned on the file offset */
		size_t k = SPARSE_PAGE - (size_t)((o->base + o->size) % SPARSE_PAGE);
		if (k > n)
			k = n;
		if (k == SPARSE_PAGE && zero_block(p, k)) {
			if (lseek(o->fd, (off_t)k, SEEK_CUR) < 0)
				return -1;
			o->sparse_tail = 1;
		} else {
			if (cli_write_all(o->fd, p, k) != 0)
				return -1;
			o->sparse_tail = 0;
		}
		o->size += k;
		p += k;
		n -= k;
	}
	return 0;
}

int cli_output_close(struct cli_output *o)
{
	int rc = EXIT_OK;
	if (o->fd < 0)
		return rc;
	const char *name = o->part ? o->part : o->path;
	if (o->sparse_tail && ftruncate(o->fd, (off_t)(o->base + o->size)) != 0) /* a trailing hole has no bytes yet */
		rc = cli_fail(EXIT_IO, "writing '%s': %s", name, strerror(errno));
	o->sparse_tail = 0;
	if (o->part && fsync(o->fd) != 0)
		rc = cli_fail(EXIT_IO, "writing '%s': %s", name, strerror(errno));
	if (!o->borrowed && close(o->fd) != 0 && rc == EXIT_OK)
		rc = cli_fail(EXIT_IO, "writing '%s': %s", name, strerror(errno));
	o->fd = -1;
	o->failed |= rc != EXIT_OK;
	return rc;
}

int cli_output_finish(struct cli_output *o, int keep)
{
	int rc = keep ? cli_output_close(o) : EXIT_OK;
	if (o->fd >= 0 && !o->borrowed)
		close(o->fd);
	o->fd = -1;
	if (o->failed && rc == EXIT_OK)
		rc = EXIT_IO;
	if (o->part) {
		if (keep && rc == EXIT_OK && rename(o->part, o->path) != 0)
			rc = cli_fail(EXIT_IO, "cannot rename '%s' to '%s': %s", o->part, o->path, strerror(errno));
		if (!keep || rc != EXIT_OK)
			unlink(o->part); /* never leave a partial file behind */
	}
	free(o->path);
	free(o->part);
	o->path = o->part = NULL;
	return rc;
}
