/* standalone_main.c - replays a fuzz target's seeds and crash reproducers without a fuzzing
 * engine, printing TAP, so `make check` runs every harness on every file in
 *   $FUZZ_SRCDIR/<name>.in/ and $FUZZ_SRCDIR/<name>.repro/
 * (<name> is the program's base name). With arguments, replays those files instead. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz.h"

static int n;

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		printf("not ok %d - %s: %s\n", ++n, path, strerror(errno));
		return 1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fclose(f);
		printf("not ok %d - %s: cannot stat\n", ++n, path);
		return 1;
	}
	size_t size = (size_t)st.st_size;
	/* an exact-size heap copy, so ASan sees any read past the end */
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL || fread(buf, 1, size, f) != size) {
		fclose(f);
		free(buf);
		printf("not ok %d - %s: cannot read\n", ++n, path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0; /* no reproducers yet is fine */
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			char **tmp = realloc(names, cap * sizeof *names);
			if (tmp == NULL)
				abort();
			names = tmp;
		}
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		names[count] = malloc(len);
		if (names[count] == NULL)
			abort();
		snprintf(names[count], len, "%s/%s", dir, de->d_name);
		count++;
	}
	closedir(d);
	if (count > 1)
		qsort(names, count, sizeof *names, cmp);
	int bad = 0;
	for (size_t i = 0; i < count; i++) {
		bad |= replay(names[i]);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			bad |= replay(argv[i]);
	} else {
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (strncmp(base, "lt-", 3) == 0)
			base += 3; /* libtool wrapper */
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s.in", FUZZ_SRCDIR, base);
		bad |= replay_dir(dir);
		snprintf(dir, sizeof dir, "%s/%s.repro", FUZZ_SRCDIR, base);
		bad |= replay_dir(dir);
		if (n == 0) {
			printf("not ok 1 - no seeds in %s/%s.in\n", FUZZ_SRCDIR, base);
			bad = 1;
			n = 1;
		}
	}
	printf("1..%d\n", n);
	return bad;
}
