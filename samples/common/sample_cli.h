/*
 * sample_cli.h - what sslref-server and sslref-client share: reading files, loading keys,
 * certificates and DH parameters into a context, parsing --ciphers and --version, checking a peer
 * chain against --ca, and the one-line connection summary printed to stderr.
 */
#ifndef SAMPLE_CLI_H
#define SAMPLE_CLI_H

#include <stdio.h>
#include "sslref/sslx.h"

/** Read a whole file into a malloc'd, NUL-terminated buffer. 0 on success, -1 (printed) on error. */
int cli_read_file(const char *path, char **data, size_t *len);

/** Load a PEM (or DER) RSA private key into ctx; @p is_export selects SSLSetExportPrivateKey. */
SSLErr cli_load_key(SSLContext *ctx, const char *path, int is_export);
/** A server's second chain (PEM) and key of the other kind (SSLXAddIdentityPEM). */
SSLErr cli_load_identity(SSLContext *ctx, const char *chain_path, const char *key_path);
/** Add every certificate of a PEM file (leaf first) or one DER certificate to ctx's chain. */
SSLErr cli_load_certs(SSLContext *ctx, const char *path);
/** Load PEM or DER DH parameters (SSLSetDHAnonParams). */
SSLErr cli_load_dh(SSLContext *ctx, const char *path);

/** Parse "000a,0005" or ":000a:0005" (hex, optional 0x, separators , : or space) and enable the
 *  suites in that order. Prints and returns an error for an unknown id. */
SSLErr cli_set_ciphers(SSLContext *ctx, const char *list);
/** Parse a --groups list ("x25519,p256,p384,ffdhe2048", also X25519 / secp256r1 / secp384r1;
 *  "none" for no groups) and apply it with SSLXSetGroups. Prints and returns an error. */
SSLErr cli_set_groups(SSLContext *ctx, const char *list);
/** The --groups name of a group id (x25519, p256, ...), NULL if unknown. */
const char *cli_group_name(uint16 id);
/** A --version value: the seed's SSLProtocolVersion (any, ssl3-with-ssl2-hello) or a range. */
struct cli_version {
    int range;              /* 0: v applies (SSLSetProtocolVersion); 1: min..max */
    SSLProtocolVersion v;
    SSLXProtocol min, max;
};
/** Parse ssl2|ssl3|tls1.0|tls1.1|tls1.2, a range MIN-MAX (tls1.0-tls1.2, ssl3-tls1.2), or the old
 *  any|ssl3-with-ssl2-hello. 0 on success, -1 (with a message on stderr) if unknown. */
int cli_parse_version(const char *s, struct cli_version *v);
/** Apply a parsed --version to a context. */
SSLErr cli_set_version(SSLContext *ctx, const struct cli_version *v);
/** Parse a port number 0..65535. 0 on success, -1 if bad. */
int cli_parse_port(const char *s, int *port);

/** Trust anchors for SSLCheckCertificateFunc (the ref is the struct cli_ca). */
struct cli_ca {
    int n;
    SSLBuffer *certs; /* DER, malloc'd */
};
/** Load every CERTIFICATE of a PEM file. 0 on success, -1 (printed) on error. */
int cli_ca_load(struct cli_ca *ca, const char *path);
void cli_ca_free(struct cli_ca *ca);
/** SSLCheckCertificateFunc: each certificate must be within its validity period and issued by the
 *  next one, and the last must be an anchor or issued by one. Prints why it refuses a chain. */
SSLErr cli_ca_check(int certCount, SSLBuffer *derCerts, void *ref);

/**
 * Print the connection summary, e.g.
 * `version=3.0 cipher=0x000a SSL_RSA_WITH_3DES_EDE_CBC_SHA resumed=no peer="CN=localhost"`
 * (in TLS also ems=, sni=, alpn=, group=: the key exchange's group name, - when none, and
 * via=id|ticket|-: how a resumed session was found, SSLXGetResumedVia),
 * followed by @p extra (if not NULL) and a newline. peer is the subject of the peer's leaf
 * certificate, "" when it sent none.
 */
void cli_print_connection(FILE *out, SSLContext *ctx, const char *extra);

#endif
