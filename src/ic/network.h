/* network.h - the --network and --root-key arguments as icarc's network commands take them. */
#ifndef ICARC_IC_NETWORK_H
#define ICARC_IC_NETWORK_H
#include <stddef.h>
#include <stdint.h>

#define IC_MAINNET_URL "https://icp-api.io" /* agent-js ICP_API_DOMAIN */

/* "ic" (or "mainnet") is the IC's public API; an http:// or https:// URL is used as given.
 * *mainnet is set when the URL is the IC's. 0 ok, -1 with a message. */
int ic_network_url(const char *network, char *out, size_t outlen, int *mainnet, char *err, size_t errlen);
/* "mainnet": the built-in key; "fetch": read it from /api/v2/status (local replicas only;
 * refused for the IC itself by the caller); else the hex of the 96-byte key or of its 133-byte
 * DER form. *fetch is set for "fetch". 0 ok, -1 with a message. */
int ic_root_key_parse(const char *arg, uint8_t key[96], int *fetch, char *err, size_t errlen);
#endif
