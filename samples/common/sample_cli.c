/*
 * sample_cli.c - shared helpers of the sample programs (see sample_cli.h). Everything goes
 * through the public API (ssl.h, sslx.h); errors are printed with SSLXErrorName.
 */
#include "sample_cli.h"
#include "sslref/sslx.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "cannot read %s\n", path);
        free(buf);
        return -1;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

static int cli_is_pem(const char *data, size_t len)
{
    return len >= 10 && memmem(data, len, "-----BEGIN", 10) != NULL;
}

static SSLErr cli_report(const char *what, const char *path, SSLErr e)
{
    if (e != SSLNoErr)
        fprintf(stderr, "%s %s: %s\n", what, path, SSLXErrorName(e));
    return e;
}

SSLErr cli_load_key(SSLContext *ctx, const char *path, int is_export)
{
    char *data;
    size_t len;
    if (cli_read_file(path, &data, &len) != 0)
        return SSLIOErr;
    SSLRSAPrivateKey *key = NULL;
    SSLErr e = cli_is_pem(data, len) ? SSLXRSAPrivateKeyFromPEM(data, len, &key)
                                     : SSLXRSAPrivateKeyFromDER((const uint8 *)data, len, &key);
    memset(data, 0, len);
    free(data);
    if (e == SSLNoErr)
        e = is_export ? SSLSetExportPrivateKey(ctx, key) : SSLSetPrivateKey(ctx, key);
    if (e != SSLNoErr)
        SSLXRSAPrivateKeyFree(key); /* a refused key stays ours */
    return cli_report("cannot load key", path, e);
}

SSLErr cli_load_identity(SSLContext *ctx, const char *chain_path, const char *key_path)
{
    char *data, *pem;
    size_t len, pemlen;
    if (cli_read_file(key_path, &data, &len) != 0)
        return SSLIOErr;
    SSLRSAPrivateKey *key = NULL;
    SSLErr e = cli_is_pem(data, len) ? SSLXRSAPrivateKeyFromPEM(data, len, &key)
                                     : SSLXRSAPrivateKeyFromDER((const uint8 *)data, len, &key);
    memset(data, 0, len);
    free(data);
    if (e != SSLNoErr)
        return cli_report("cannot load key", key_path, e);
    if (cli_read_file(chain_path, &pem, &pemlen) != 0) {
        SSLXRSAPrivateKeyFree(key);
        return SSLIOErr;
    }
    e = SSLXAddIdentityPEM(ctx, pem, pemlen, key);
    free(pem);
    if (e != SSLNoErr) /* e.g. both keys RSA, or a chain whose leaf is not the key's kind */
        SSLXRSAPrivateKeyFree(key);
    return cli_report("cannot use the second certificate and key", chain_path, e);
}

SSLErr cli_load_certs(SSLContext *ctx, const char *path)
{
    char *data;
    size_t len;
    if (cli_read_file(path, &data, &len) != 0)
        return SSLIOErr;
    SSLErr e;
    if (cli_is_pem(data, len)) {
        e = SSLXAddCertificatesPEM(ctx, data, len);
    } else {
        SSLBuffer der = {(uint32)len, (uint8 *)data};
        e = SSLAddCertificate(ctx, der, 0, 1);
    }
    free(data);
    return cli_report("cannot load certificates", path, e);
}

SSLErr cli_load_dh(SSLContext *ctx, const char *path)
{
    char *data;
    size_t len;
    if (cli_read_file(path, &data, &len) != 0)
        return SSLIOErr;
    SSLDHParams *dh = NULL;
    SSLErr e = cli_is_pem(data, len) ? SSLXDHParamsFromPEM(data, len, &dh)
                                     : SSLXDHParamsFromDER((const uint8 *)data, len, &dh);
    free(data);
    if (e == SSLNoErr)
        e = SSLSetDHAnonParams(ctx, dh);
    return cli_report("cannot load DH parameters", path, e);
}

SSLErr cli_set_ciphers(SSLContext *ctx, const char *list)
{
    uint16 ids[64];
    uint32 n = 0;
    const char *p = list;
    while (*p) {
        if (*p == ',' || *p == ':' || *p == ' ') {
            p++;
            continue;
        }
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 16);
        if (end == p || errno || v > 0xffff || n == 64 || (*end && !strchr(",: ", *end))) {
            fprintf(stderr, "bad --ciphers list \"%s\" (hex suite ids such as 000a,0005)\n", list);
            return SSLBadParameterErr;
        }
        ids[n++] = (uint16)v;
        p = end;
    }
    if (n == 0) {
        fprintf(stderr, "empty --ciphers list\n");
        return SSLBadParameterErr;
    }
    SSLErr e = SSLXSetCipherSuites(ctx, ids, n);
    if (e != SSLNoErr) {
        fprintf(stderr, "--ciphers %s: %s; this build implements:", list, SSLXErrorName(e));
        uint16 all[64];
        uint32 m = SSLXSupportedCipherSuites(all, 64);
        for (uint32 i = 0; i < m && i < 64; i++)
            fprintf(stderr, " %04x", all[i]);
        fprintf(stderr, "\n");
    }
    return e;
}

static const struct {
    const char *name, *alias;
    uint16 id;
} cli_groups[] = {
    {"x25519", "X25519", SSLX_GROUP_X25519},       {"p256", "secp256r1", SSLX_GROUP_SECP256R1},
    {"p384", "secp384r1", SSLX_GROUP_SECP384R1},   {"ffdhe2048", NULL, SSLX_GROUP_FFDHE2048},
    {"ffdhe3072", NULL, SSLX_GROUP_FFDHE3072},     {"ffdhe4096", NULL, SSLX_GROUP_FFDHE4096},
    {"ffdhe6144", NULL, SSLX_GROUP_FFDHE6144},     {"ffdhe8192", NULL, SSLX_GROUP_FFDHE8192},
};

const char *cli_group_name(uint16 id)
{
    for (size_t i = 0; i < sizeof cli_groups / sizeof cli_groups[0]; i++)
        if (cli_groups[i].id == id)
            return cli_groups[i].name;
    return NULL;
}

SSLErr cli_set_groups(SSLContext *ctx, const char *list)
{
    uint16 ids[SSLX_MAX_GROUPS];
    uint32 n = 0;
    if (strcmp(list, "none") != 0) {
        for (const char *p = list; *p;) {
            size_t len = strcspn(p, ",: ");
            size_t i = 0;
            for (; len && i < sizeof cli_groups / sizeof cli_groups[0]; i++)
                if ((strlen(cli_groups[i].name) == len && strncmp(p, cli_groups[i].name, len) == 0) ||
                    (cli_groups[i].alias && strlen(cli_groups[i].alias) == len &&
                     strncmp(p, cli_groups[i].alias, len) == 0))
                    break;
            if (len && (i == sizeof cli_groups / sizeof cli_groups[0] || n == SSLX_MAX_GROUPS)) {
                fprintf(stderr, "bad --groups list \"%s\" (x25519, p256, p384, ffdhe2048, "
                                "ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192, or none)\n", list);
                return SSLBadParameterErr;
            }
            if (len)
                ids[n++] = cli_groups[i].id;
            p += len + (p[len] != 0);
        }
    }
    SSLErr e = SSLXSetGroups(ctx, ids, n);
    if (e != SSLNoErr)
        fprintf(stderr, "--groups %s: %s\n", list, SSLXErrorName(e));
    return e;
}

static int parse_one(const char *s, size_t n, SSLXProtocol *p)
{
    static const struct {
        const char *name;
        SSLXProtocol p;
    } map[] = {{"ssl2", kSSLProtocol2},  {"ssl3", kSSLProtocol3},    {"tls1.0", kTLSProtocol1},
               {"tls1", kTLSProtocol1},  {"tls1.1", kTLSProtocol11}, {"tls1.2", kTLSProtocol12}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].name) == n && strncmp(s, map[i].name, n) == 0) {
            *p = map[i].p;
            return 0;
        }
    return -1;
}

int cli_parse_version(const char *s, struct cli_version *v)
{
    static const struct {
        const char *name;
        SSLProtocolVersion v;
    } map[] = {{"any", SSL_Version_Undetermined},
               {"ssl3-with-ssl2-hello", SSL_Version_3_0_With_2_0_Hello}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].name) == 0) {
            *v = (struct cli_version){0, map[i].v, 0, 0};
            return 0;
        }
    const char *dash = strchr(s, '-');
    struct cli_version r = {1, SSL_Version_Undetermined, 0, 0};
    if (dash ? parse_one(s, (size_t)(dash - s), &r.min) == 0 && parse_one(dash + 1, strlen(dash + 1), &r.max) == 0
             : parse_one(s, strlen(s), &r.min) == 0) {
        if (!dash)
            r.max = r.min;
        if (r.min <= r.max) {
            *v = r;
            return 0;
        }
    }
    fprintf(stderr, "bad --version %s (ssl2, ssl3, tls1.0, tls1.1, tls1.2, a range MIN-MAX such as "
                    "tls1.0-tls1.2, any, ssl3-with-ssl2-hello)\n", s);
    return -1;
}

SSLErr cli_set_version(SSLContext *ctx, const struct cli_version *v)
{
    if (!v->range)
        return SSLSetProtocolVersion(ctx, v->v);
    return SSLXSetProtocolVersionRange(ctx, v->min, v->max);
}

int cli_parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535) {
        fprintf(stderr, "bad port %s\n", s);
        return -1;
    }
    *port = (int)v;
    return 0;
}

int cli_ca_load(struct cli_ca *ca, const char *path)
{
    char *data;
    size_t len, pos = 0;
    ca->n = 0;
    ca->certs = NULL;
    if (cli_read_file(path, &data, &len) != 0)
        return -1;
    for (;;) {
        uint8 *der;
        uint32 dlen;
        SSLErr e = SSLXPEMDecode(data, len, &pos, "CERTIFICATE", &der, &dlen);
        if (e == X509DataNotFoundErr)
            break;
        SSLBuffer *nc = e == SSLNoErr ? realloc(ca->certs, (size_t)(ca->n + 1) * sizeof *nc) : NULL;
        if (!nc) {
            fprintf(stderr, "cannot load --ca %s: %s\n", path,
                    SSLXErrorName(e == SSLNoErr ? SSLMemoryErr : e));
            if (e == SSLNoErr)
                free(der);
            free(data);
            cli_ca_free(ca);
            return -1;
        }
        ca->certs = nc;
        ca->certs[ca->n].data = der;
        ca->certs[ca->n].length = dlen;
        ca->n++;
    }
    free(data);
    if (ca->n == 0) {
        fprintf(stderr, "no CERTIFICATE in --ca %s\n", path);
        return -1;
    }
    return 0;
}

void cli_ca_free(struct cli_ca *ca)
{
    for (int i = 0; i < ca->n; i++)
        free(ca->certs[i].data);
    free(ca->certs);
    ca->certs = NULL;
    ca->n = 0;
}

static int cli_same(SSLBuffer a, SSLBuffer b)
{
    return a.length == b.length && memcmp(a.data, b.data, a.length) == 0;
}

SSLErr cli_ca_check(int certCount, SSLBuffer *derCerts, void *ref)
{
    struct cli_ca *ca = ref;
    char name[256];
    if (certCount < 1) {
        fprintf(stderr, "peer sent no certificate\n");
        return X509CertChainIncompleteErr;
    }
    int64_t now = (int64_t)time(NULL);
    for (int i = 0; i < certCount; i++) {
        int64_t nb, na;
        SSLErr e = SSLXCertificateValidity(derCerts[i], &nb, &na);
        if (e == SSLNoErr && (now < nb || now > na))
            e = X509CertExpiredErr;
        if (e == SSLNoErr && i + 1 < certCount)
            e = SSLXCertificateIssuedBy(derCerts[i], derCerts[i + 1]);
        if (e != SSLNoErr) {
            if (SSLXCertificateSubject(derCerts[i], name, sizeof name) != SSLNoErr)
                strcpy(name, "?");
            fprintf(stderr, "peer certificate %d (\"%s\") refused: %s\n", i, name, SSLXErrorName(e));
            return e;
        }
    }
    SSLBuffer last = derCerts[certCount - 1];
    for (int j = 0; j < ca->n; j++)
        if (cli_same(last, ca->certs[j]) || SSLXCertificateIssuedBy(last, ca->certs[j]) == SSLNoErr)
            return SSLNoErr;
    if (SSLXCertificateIssuer(last, name, sizeof name) != SSLNoErr)
        strcpy(name, "?");
    fprintf(stderr, "peer chain does not end at a --ca certificate (last issuer \"%s\")\n", name);
    return X509CertChainInvalidErr;
}

void cli_print_connection(FILE *out, SSLContext *ctx, const char *extra)
{
    SSLProtocolVersion v = SSL_Version_Undetermined;
    uint16 suite = 0;
    int resumed = 0, chain = 0;
    char peer[256] = "";
    (void)SSLGetProtocolVersion(ctx, &v);
    (void)SSLGetNegotiatedCipher(ctx, &suite);
    (void)SSLXGetResumed(ctx, &resumed);
    if (SSLGetPeerCertificateChainLength(ctx, &chain) == SSLNoErr && chain > 0) {
        SSLBuffer leaf = {0, NULL};
        if (SSLGetPeerCertificate(ctx, 0, &leaf) == SSLNoErr) {
            if (SSLXCertificateSubject(leaf, peer, sizeof peer) != SSLNoErr)
                strcpy(peer, "?");
            free(leaf.data); /* the context's Free callback: the default is free() */
        }
    }
    const char *name = SSLXCipherSuiteName(suite);
    SSLXProtocol p = kSSLProtocolUnknown;
    (void)SSLXGetNegotiatedProtocolVersion(ctx, &p);
    static const char *const names[] = {[kSSLProtocol2] = "2.0", [kSSLProtocol3] = "3.0",
                                        [kTLSProtocol1] = "TLS1.0", [kTLSProtocol11] = "TLS1.1",
                                        [kTLSProtocol12] = "TLS1.2"};
    const char *vs = p >= kSSLProtocol2 && p <= kTLSProtocol12 ? names[p]
                     : v == SSL_Version_2_0                    ? "2.0"
                     : v == SSL_Version_3_0                    ? "3.0"
                                                               : "?";
    char tls[600] = "";
    if (p >= kTLSProtocol1) {
        int ems = 0;
        char sni[256] = "", alpn[256] = "", gbuf[8];
        uint16 group = 0;
        (void)SSLXGetExtendedMasterSecret(ctx, &ems);
        (void)SSLXGetServerName(ctx, sni, sizeof sni);
        (void)SSLXGetALPN(ctx, alpn, sizeof alpn);
        (void)SSLXGetNegotiatedGroup(ctx, &group);
        const char *gname = group ? cli_group_name(group) : "-";
        if (!gname) {
            snprintf(gbuf, sizeof gbuf, "0x%04x", group);
            gname = gbuf;
        }
        int via = 0;
        (void)SSLXGetResumedVia(ctx, &via);
        snprintf(tls, sizeof tls, " ems=%s sni=%s alpn=%s group=%s via=%s", ems ? "yes" : "no",
                 sni[0] ? sni : "-", alpn[0] ? alpn : "-", gname,
                 via == 2 ? "ticket" : via == 1 ? "id" : "-");
    }
    fprintf(out, "version=%s cipher=0x%04x %s resumed=%s peer=\"%s\"%s%s%s\n", vs, suite,
            name ? name : "unknown", resumed ? "yes" : "no", peer, tls, extra ? " " : "",
            extra ? extra : "");
    fflush(out);
}
