/* errors.c - status texts, per-handle messages, version, initialisation. */
#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "private.h"

unsigned icarc_version_number(void) { return ICARC_VERSION_NUMBER; }
const char *icarc_version_string(void) { return ICARC_VERSION_STRING; }
unsigned icarc_format_version(void) { return ICARC_FORMAT_VERSION; }
size_t icarc_publickeybytes(void) { return ICARC_PUBLICKEYBYTES; }
size_t icarc_secretkeybytes(void) { return ICARC_SECRETKEYBYTES; }
size_t icarc_hashbytes(void) { return ICARC_HASHBYTES; }
size_t icarc_idbytes(void) { return ICARC_IDBYTES; }
size_t icarc_chunk_default(void) { return ICARC_CHUNK_DEFAULT; }

int icarc_is_archive(const void *buf, size_t len)
{
	return buf != NULL && len >= WIRE_MAGIC_LEN && memcmp(buf, WIRE_MAGIC, WIRE_MAGIC_LEN) == 0;
}

int icarc_peek_encrypted(const void *buf, size_t len)
{
	/* Header_Flags: after the magic, the HEADER record header and Format_Version */
	size_t at = WIRE_MAGIC_LEN + WIRE_RECORD_HDR + 2;
	if (len < ICARC_PEEKBYTES || !icarc_is_archive(buf, len) || ((const uint8_t *)buf)[WIRE_MAGIC_LEN] != WIRE_HEADER)
		return -1;
	return (wire_get16((const uint8_t *)buf + at) & WIRE_HF_ENCRYPTED) != 0;
}

int icarc_peek_passphrase(const void *buf, size_t len)
{
	int enc = icarc_peek_encrypted(buf, len);
	if (enc <= 0)
		return enc;
	const uint8_t *b = buf;
	size_t at = WIRE_MAGIC_LEN + WIRE_RECORD_HDR, end = at + wire_get32(b + WIRE_MAGIC_LEN + 4);
	struct wire_header h;
	const char *why;
	if (end > len || wire_header_decode(b + at, end - at, &h, &why) != 0)
		return -1;
	at += WIRE_HEADER_FIXED;
	for (unsigned i = 0; i < h.n_stanzas; i++) {
		if (at + 4 > end)
			return -1;
		if (b[at] == WIRE_STANZA_ARGON2ID)
			return 1;
		at += 4 + wire_get16(b + at + 2);
	}
	return 0;
}

int icarc_init(void)
{
	int r = sodium_init();
	return r < 0 ? ICARC_E_USAGE : r;
}

const char *icarc_strerror(int status)
{
	switch (status) {
	case ICARC_OK: return "success";
	case ICARC_E_USAGE: return "invalid argument or call order";
	case ICARC_E_NOMEM: return "out of memory";
	case ICARC_E_IO: return "input/output error";
	case ICARC_E_FORMAT: return "malformed archive";
	case ICARC_E_VERSION: return "unsupported archive version or feature";
	case ICARC_E_TRUNCATED: return "archive is truncated";
	case ICARC_E_LIMIT: return "archive exceeds a limit of this reader";
	case ICARC_E_CHECKSUM: return "checksum mismatch";
	case ICARC_E_AUTH: return "authentication failed";
	case ICARC_E_NOKEY: return "no key opens this archive";
	case ICARC_E_CODEC: return "decompression failed";
	case ICARC_E_NOTFOUND: return "no such entry or range";
	case ICARC_NEED_INPUT: return "more input needed";
	case ICARC_NEED_OUTPUT: return "more output space needed";
	case ICARC_ENTRY: return "entry begins";
	case ICARC_ENTRY_END: return "entry complete";
	case ICARC_ARCHIVE_END: return "archive complete";
	case ICARC_CHUNK_BAD: return "bad chunk";
	default: return "unknown status";
	}
}

int Icarc_set_error(struct icarc_err *e, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (status != ICARC_E_USAGE)
		e->status = status;
	return status;
}

const char *Icarc_error_text(const struct icarc_err *e)
{
	if (e->msg[0] != '\0')
		return e->msg;
	return e->status < 0 ? icarc_strerror(e->status) : "no error";
}
