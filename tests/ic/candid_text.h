/* candid_text.h - just enough of Candid's textual value syntax to run the official test suite. */
#ifndef ICARC_TESTS_CANDID_TEXT_H
#define ICARC_TESTS_CANDID_TEXT_H
#include <stddef.h>
#include <stdint.h>

#include "ic/candid.h"

/* Unescape the source of a text literal (between the quotes) into arena bytes. */
uint8_t *cs_unescape(const char *s, const char *e, size_t *len, struct ic_arena *a);
/* Parse "(v, ...)" at the argument types into values. 0 ok, -1 with a message. */
int cs_parse_values(const char *s, const char *e, const struct ic_ctable *t, const int32_t *args, size_t n,
                    struct ic_arena *a, struct ic_cvalue **out, char *err, size_t errlen);
#endif
