/* net.c - the IC agent from the network flags users know from icp-cli: --network ic|URL,
 * --root-key mainnet|fetch|HEX, --identity PEM (anonymous without one). */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ic/buf.h"
#include "ic/certificate.h"
#include "pull.h"

const struct ic_principal net_management = {0, {0}};

#define MAINNET_URL "https://icp-api.io"

int net_open(struct ic_agent **out, const struct net_opts *o, struct ic_identity *id)
{
	struct ic_agent_config cfg;
	ic_agent_config_init(&cfg);
	uint8_t key[96];
	char err[1200];
	int is_ic = o->network == NULL || strcmp(o->network, "ic") == 0;
	cfg.url = is_ic ? MAINNET_URL : o->network;
	if (!is_ic && strncmp(cfg.url, "http://", 7) != 0 && strncmp(cfg.url, "https://", 8) != 0)
		return cli_fail(EXIT_USAGE, "--network wants 'ic' or a URL (http://... or https://...), got '%s'", cfg.url);
	const char *rk = o->root_key;
	if (rk == NULL && !is_ic)
		return cli_fail(EXIT_USAGE, "--network URL needs --root-key: 'fetch' (local replicas), 'mainnet', or the key in hex");
	if (rk == NULL || strcmp(rk, "mainnet") == 0) {
		cfg.root_key = ic_mainnet_root_key;
	} else if (strcmp(rk, "fetch") == 0) {
		if (is_ic)
			return cli_fail(EXIT_USAGE, "--root-key fetch is for local replicas, never for the IC mainnet");
		cfg.fetch_root_key = 1;
	} else {
		size_t n = strlen(rk);
		uint8_t der[IC_ROOT_KEY_DER_LEN];
		if (n == 2 * IC_ROOT_KEY_DER_LEN && ic_unhex(der, sizeof der, rk, n) == 0 &&
		    memcmp(der, ic_bls_der_prefix, IC_BLS_DER_PREFIX_LEN) == 0)
			memcpy(key, der + IC_BLS_DER_PREFIX_LEN, 96);
		else if (n != 192 || ic_unhex(key, 96, rk, n) != 0)
			return cli_fail(EXIT_USAGE, "--root-key wants mainnet, fetch, or a BLS key in hex (266 digits of DER or 192 raw)");
		cfg.root_key = key;
	}
	if (o->identity) {
		if (ic_identity_from_file(id, o->identity, err, sizeof err) != 0)
			return cli_fail(EXIT_KEY, "--identity %s: %s", o->identity, err);
		cfg.identity = id;
	} else {
		ic_identity_anonymous(id);
	}
	cfg.max_connections = o->concurrency < 2 ? 2 : o->concurrency;
	cfg.verbose = o->verbose;
	if (ic_agent_new(out, &cfg, err, sizeof err) != 0)
		return cli_fail(EXIT_NETWORK, "%s: %s", cfg.url, err);
	return EXIT_OK;
}

int net_fail(const struct ic_result *r, const char *fmt, ...)
{
	char what[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (r == NULL)
		return cli_fail(EXIT_IO, "%s: out of memory", what);
	int code = r->status == IC_E_NETWORK || r->status == IC_E_TIMEOUT ? EXIT_NETWORK
	           : r->status == IC_E_NOMEM || r->status == IC_E_USAGE ? EXIT_INTERNAL
	                                                               : EXIT_REMOTE;
	char http[48] = "";
	if (r->http_status)
		snprintf(http, sizeof http, ", last HTTP status %d", r->http_status);
	char retries[48] = "";
	if (r->retries)
		snprintf(retries, sizeof retries, ", after %u retries", r->retries);
	return cli_fail(code, "%s: %s (%s%s%s)", what, r->error[0] ? r->error : ic_status_name(r->status),
	                ic_status_name(r->status), http, retries);
}

void net_controller_hint(const struct ic_result *r, const char *canister_text)
{
	if (r && r->status == IC_E_REJECTED && strcmp(r->error_code, "IC0512") == 0)
		cli_warn("only a controller of %s may do this: give a controller's --identity", canister_text);
}

void net_snapshot_limit_hint(const struct ic_result *r)
{
	if (r && r->status == IC_E_REJECTED && strstr(r->reject_message, "maximum number of snapshots") != NULL)
		cli_warn("a canister keeps at most 10 snapshots (icp canister snapshot list): pull --delete-snapshot "
		         "deletes each one it takes once its archive is complete (backups from cron); pull --snapshot ID "
		         "--delete-snapshot archives an old one and deletes it; push --replace ID replaces one");
}

int net_mgmt(struct ic_agent *a, const struct ic_principal *canister, const char *canister_text, const char *method,
             const struct ic_buf *arg, struct ic_result **res)
{
	*res = NULL;
	if (arg->oom)
		return cli_fail(EXIT_IO, "out of memory");
	struct ic_result *r = net_run(a, IC_OP_CALL, &net_management, canister, method, arg->p, arg->len);
	if (r == NULL || r->status != IC_OK) {
		int rc = net_fail(r, "%s of %s", method, canister_text);
		net_controller_hint(r, canister_text);
		net_snapshot_limit_hint(r);
		ic_result_free(r);
		return rc;
	}
	*res = r;
	return EXIT_OK;
}

int net_canister_call(struct ic_agent *a, const struct ic_principal *canister, const char *canister_text,
                      const char *method)
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_canister(&b, canister);
	struct ic_result *r;
	int rc = net_mgmt(a, canister, canister_text, method, &b, &r);
	ic_buf_free(&b);
	ic_result_free(r);
	return rc;
}

int net_canister_status(struct ic_agent *a, const struct ic_principal *canister, const char *canister_text, char *out,
                        size_t outlen)
{
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_canister(&b, canister);
	struct ic_result *r;
	int rc = net_mgmt(a, canister, canister_text, "canister_status", &b, &r);
	ic_buf_free(&b);
	char err[300];
	if (rc == EXIT_OK && ic_mgmt_decode_status(r->reply, r->reply_len, out, outlen, err, sizeof err) != 0)
		rc = cli_fail(EXIT_REMOTE, "canister_status of %s: %s", canister_text, err);
	ic_result_free(r);
	return rc;
}

void net_mgmt_call_of(struct ic_call *c, const struct ic_principal *canister, const char *method,
                      const struct ic_buf *arg)
{
	c->canister = net_management;
	c->effective = *canister;
	c->method = method;
	c->arg = arg->p;
	c->arg_len = arg->len;
}

struct ic_result *net_run(struct ic_agent *a, enum ic_op op, const struct ic_principal *canister,
                          const struct ic_principal *effective, const char *method, const uint8_t *arg, size_t len)
{
	struct ic_call c;
	memset(&c, 0, sizeof c);
	c.canister = *canister;
	c.effective = *effective;
	c.method = method;
	c.arg = arg;
	c.arg_len = len;
	return ic_agent_run(a, op, &c);
}
#endif
