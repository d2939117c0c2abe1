/* network.c - --network and --root-key. */
#include "ic/network.h"

#include <stdio.h>
#include <string.h>

#include "ic/buf.h"
#include "ic/certificate.h"

int ic_network_url(const char *network, char *out, size_t outlen, int *mainnet, char *err, size_t errlen)
{
	const char *url = network;
	if (strcmp(network, "ic") == 0 || strcmp(network, "mainnet") == 0)
		url = IC_MAINNET_URL;
	else if (strncmp(network, "https://", 8) != 0 && strncmp(network, "http://", 7) != 0) {
		snprintf(err, errlen, "network \"%s\": expected ic or an http:// or https:// URL", network);
		return -1;
	}
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n + 1 > outlen || n > 300) {
		snprintf(err, errlen, "network URL too long");
		return -1;
	}
	memcpy(out, url, n);
	out[n] = 0;
	*mainnet = strcmp(out, IC_MAINNET_URL) == 0 || strcmp(out, "https://ic0.app") == 0 ||
	           strcmp(out, "https://icp0.io") == 0;
	return 0;
}

int ic_root_key_parse(const char *arg, uint8_t key[96], int *fetch, char *err, size_t errlen)
{
	*fetch = 0;
	if (strcmp(arg, "mainnet") == 0) {
		memcpy(key, ic_mainnet_root_key, 96);
		return 0;
	}
	if (strcmp(arg, "fetch") == 0) {
		*fetch = 1;
		return 0;
	}
	size_t n = strlen(arg);
	uint8_t der[IC_ROOT_KEY_DER_LEN];
	if (n == 2 * 96 && ic_unhex(key, 96, arg, n) == 0)
		return 0;
	if (n == 2 * IC_ROOT_KEY_DER_LEN && ic_unhex(der, sizeof der, arg, n) == 0) {
		if (memcmp(der, ic_bls_der_prefix, IC_BLS_DER_PREFIX_LEN) != 0) {
			snprintf(err, errlen, "root key: the DER is not a BLS12-381 G2 public key");
			return -1;
		}
		memcpy(key, der + IC_BLS_DER_PREFIX_LEN, 96);
		return 0;
	}
	snprintf(err, errlen, "root key: expected mainnet, fetch, or the hex of a 96-byte key or its 133-byte DER");
	return -1;
}
