/* cli_keys.c - identity files, passphrases (file or terminal, never argv), and opening archives
 * with them. Secrets live in sodium_malloc'd memory and are wiped when freed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define SECRET_MAX 4096

void cli_secret_free(char *secret, size_t len)
{
	(void)len;
	sodium_free(secret); /* wipes the whole allocation */
}

/* Read the first line of fd into a sodium_malloc'd buffer, without the line end. */
static int read_line_secret(int fd, char **out, size_t *len)
{
	char *buf = sodium_malloc(SECRET_MAX + 1);
	if (buf == NULL)
		return -1;
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n == SECRET_MAX) {
			sodium_free(buf);
			errno = E2BIG;
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int ask_tty(const char *prompt, char **out, size_t *len)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct termios old, quiet;
	int have_tio = tcgetattr(fd, &old) == 0;
	if (have_tio) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy; reading still works */
	}
	int r = read_line_secret(fd, out, len);
	if (have_tio)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* as above */
	}
	close(fd);
	return r;
}

int cli_read_passphrase(const char *file, int confirm, char **pass, size_t *len)
{
	if (file != NULL) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(EXIT_IO, "cannot open passphrase file '%s': %s", file, strerror(errno));
		int r = read_line_secret(fd, pass, len);
		close(fd);
		if (r != 0)
			return cli_fail(EXIT_IO, "cannot read passphrase file '%s': %s", file, strerror(errno));
		if (*len == 0) {
			cli_secret_free(*pass, 0);
			return cli_fail(EXIT_USAGE, "passphrase file '%s' holds an empty first line", file);
		}
		return EXIT_OK;
	}
	if (ask_tty("Passphrase: ", pass, len) != 0)
		return cli_fail(EXIT_USAGE, "no terminal to ask for a passphrase: use --passphrase-file FILE");
	if (*len == 0) {
		cli_secret_free(*pass, 0);
		return cli_fail(EXIT_USAGE, "empty passphrase");
	}
	if (confirm) {
		char *again;
		size_t alen;
		if (ask_tty("Passphrase (again): ", &again, &alen) != 0) {
			cli_secret_free(*pass, *len);
			return cli_fail(EXIT_USAGE, "no terminal to confirm the passphrase");
		}
		int same = alen == *len && sodium_memcmp(again, *pass, alen) == 0;
		cli_secret_free(again, alen);
		if (!same) {
			cli_secret_free(*pass, *len);
			return cli_fail(EXIT_USAGE, "the passphrases differ");
		}
	}
	return EXIT_OK;
}

int cli_load_identity(const char *path, unsigned char sk[ICARC_SECRETKEYBYTES])
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return cli_fail(EXIT_IO, "cannot open identity file '%s': %s", path, strerror(errno));
	char *line = sodium_malloc(SECRET_MAX);
	int rc = EXIT_USAGE;
	unsigned lineno = 0;
	if (line == NULL) {
		fclose(f);
		return cli_fail(EXIT_IO, "out of memory");
	}
	while (fgets(line, SECRET_MAX, f) != NULL) {
		lineno++;
		size_t n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (icarc_identity_decode(sk, line) == ICARC_OK)
			rc = EXIT_OK;
		else
			rc = cli_fail(EXIT_USAGE, "identity file '%s', line %u: not an icarc identity (ICARC-SECRET-KEY-1...)",
			              path, lineno);
		break;
	}
	sodium_free(line);
	fclose(f);
	if (rc != EXIT_OK && lineno == 0)
		return cli_fail(EXIT_USAGE, "identity file '%s' holds no identity", path);
	return rc;
}

int cli_keys_option(struct cli_keys *k, int c, const char *arg)
{
	if (c == 'i') {
		if (k->n_identities == sizeof k->identity_files / sizeof k->identity_files[0])
			return cli_fail(EXIT_USAGE, "at most 16 identities");
		k->identity_files[k->n_identities++] = arg;
		return EXIT_OK;
	}
	if (c == CLI_OPT_PASSPHRASE_FILE) {
		if (strcmp(arg, "-") == 0) /* standard input is often the archive */
			return cli_fail(EXIT_USAGE, "--passphrase-file - is not allowed: give a file");
		k->passphrase_file = arg;
		return EXIT_OK;
	}
	return -1;
}

/* -r: a recipient string, or a file with recipients or identities, one per line. */
int cli_add_recipients(struct icarc_writer *w, const char *arg)
{
	unsigned char pk[ICARC_PUBLICKEYBYTES];
	if (icarc_recipient_decode(pk, arg) == ICARC_OK)
		return icarc_writer_add_recipient(w, pk) == ICARC_OK ? EXIT_OK
		                                                     : cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
	if (strncmp(arg, "icarc1", 6) == 0)
		return cli_fail(EXIT_USAGE, "recipient '%s' is mistyped (its checksum does not match)", arg);
	FILE *f = fopen(arg, "re");
	if (f == NULL)
		return cli_fail(EXIT_USAGE, "-r %s: neither a recipient (icarc1...) nor a readable file (%s)", arg, strerror(errno));
	char line[256];
	unsigned lineno = 0;
	int rc = EXIT_OK, found = 0;
	while (rc == EXIT_OK && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		unsigned char sk[ICARC_SECRETKEYBYTES];
		if (icarc_recipient_decode(pk, line) == ICARC_OK) {
		} else if (icarc_identity_decode(sk, line) == ICARC_OK) {
			icarc_sk_to_pk(pk, sk);
			sodium_memzero(sk, sizeof sk);
		} else {
			rc = cli_fail(EXIT_USAGE, "%s, line %u: not a recipient or identity", arg, lineno);
			break;
		}
		found++;
		if (icarc_writer_add_recipient(w, pk) != ICARC_OK)
			rc = cli_fail(EXIT_USAGE, "%s", icarc_writer_error(w));
	}
	sodium_memzero(line, sizeof line);
	fclose(f);
	if (rc == EXIT_OK && found == 0)
		rc = cli_fail(EXIT_USAGE, "%s holds no recipient", arg);
	return rc;
}

/* Give identities and the passphrase to a handle through `add_sk` / `add_pass`. */
static int apply(const struct cli_keys *k, void *h, int (*add_sk)(void *, const unsigned char *),
                 int (*add_pass)(void *, const char *, size_t), int want_pass)
{
	for (size_t i = 0; i < k->n_identities; i++) {
		unsigned char *sk = sodium_malloc(ICARC_SECRETKEYBYTES);
		if (sk == NULL)
			return cli_fail(EXIT_IO, "out of memory");
		int rc = cli_load_identity(k->identity_files[i], sk);
		if (rc == EXIT_OK && add_sk(h, sk) != ICARC_OK)
			rc = cli_fail(EXIT_USAGE, "too many identities");
		sodium_free(sk);
		if (rc != EXIT_OK)
			return rc;
	}
	if (k->pass != NULL)
		return add_pass(h, k->pass, k->pass_len) == ICARC_OK ? EXIT_OK : cli_fail(EXIT_IO, "out of memory");
	if (k->passphrase_file || want_pass) {
		char *pass;
		size_t len;
		int rc = cli_read_passphrase(k->passphrase_file, 0, &pass, &len);
		if (rc != EXIT_OK)
			return rc;
		rc = add_pass(h, pass, len) == ICARC_OK ? EXIT_OK : cli_fail(EXIT_IO, "out of memory");
		cli_secret_free(pass, len);
		return rc;
	}
	return EXIT_OK;
}

static int r_sk(void *h, const unsigned char *sk) { return icarc_reader_add_identity(h, sk); }
static int r_pass(void *h, const char *p, size_t n) { return icarc_reader_add_passphrase(h, p, n); }
static int a_sk(void *h, const unsigned char *sk) { return icarc_archive_add_identity(h, sk); }
static int a_pass(void *h, const char *p, size_t n) { return icarc_archive_add_passphrase(h, p, n); }

int cli_keys_apply_reader(const struct cli_keys *k, struct icarc_reader *r)
{
	return apply(k, r, r_sk, r_pass, k->ask_passphrase && k->n_identities == 0 && !k->passphrase_file);
}

int cli_keys_apply_archive(const struct cli_keys *k, struct icarc_archive *a)
{
	return apply(k, a, a_sk, a_pass, k->ask_passphrase && k->n_identities == 0 && !k->passphrase_file);
}

int cli_archive_is_encrypted(int fd)
{
	unsigned char b[ICARC_PEEKBYTES];
	if (pread(fd, b, sizeof b, 0) != (ssize_t)sizeof b)
		return -1;
	return icarc_peek_encrypted(b, sizeof b);
}

int cli_file_wants_passphrase(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int w = cli_archive_wants_passphrase(fd);
	close(fd);
	return w;
}

int cli_archive_wants_passphrase(int fd)
{
	unsigned char b[ICARC_PEEKMAX];
	ssize_t n = pread(fd, b, sizeof b, 0);
	if (n < 0 || icarc_peek_encrypted(b, (size_t)n) != 1)
		return 0; /* not an encrypted archive: no passphrase to ask for */
	return icarc_peek_passphrase(b, (size_t)n);
}

int cli_open_archive(const char *path, const struct cli_keys *k, struct icarc_archive **out, int *fd_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(EXIT_IO, "cannot open '%s': %s", path, strerror(errno));
	struct icarc_archive *a = icarc_archive_new();
	if (a == NULL) {
		close(fd);
		return cli_fail(EXIT_IO, "out of memory");
	}
	struct cli_keys kk = *k;
	/* ask for a passphrase on the terminal only when it is needed */
	kk.ask_passphrase = k->ask_passphrase && cli_archive_wants_passphrase(fd) != 0;
	int rc = cli_keys_apply_archive(&kk, a);
	if (rc == EXIT_OK) {
		int st = icarc_archive_open_fd(a, fd);
		if (st < 0)
			rc = cli_fail(cli_exit_for(st), "%s: %s", path, icarc_archive_error(a));
	}
	if (rc != EXIT_OK) {
		icarc_archive_free(a);
		close(fd);
		return rc;
	}
	*out = a;
	*fd_out = fd;
	return EXIT_OK;
}
