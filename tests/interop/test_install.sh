#!/bin/bash
# `cmake --install` puts the libraries, public headers and sslref.pc under a prefix, and a C program
# using only the public API builds against them with pkg-config and runs (an in-memory handshake).
# Usage: test_install.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
for h in ssl.h sslerrors.h cryptype.h sslx.h; do
  test -f "$TMP/prefix/include/sslref/$h" || { echo "missing header $h"; exit 1; }
done
PC=$(find "$TMP/prefix" -name sslref.pc)
test -n "$PC" || { echo "no sslref.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$PC")
cat > "$TMP/hello.c" <<'C'
#include <sslref/sslx.h>
#include <stdio.h>
#include <string.h>
/* Two contexts joined by two in-memory pipes; a full handshake at the default range and one message. */
struct pipe { unsigned char b[65536]; unsigned r, w; };
static struct pipe c2s, s2c;
static SSLErr rd(SSLBuffer d, uint32 *n, void *ref) {
    struct pipe *p = ref == (void *)1 ? &s2c : &c2s; unsigned k = p->w - p->r;
    if (k > d.length) k = d.length; memcpy(d.data, p->b + p->r, k); p->r += k; *n = k;
    return k ? SSLNoErr : SSLWouldBlockErr; }
static SSLErr wr(SSLBuffer d, uint32 *n, void *ref) {
    struct pipe *p = ref == (void *)1 ? &c2s : &s2c;
    memcpy(p->b + p->w, d.data, d.length); p->w += d.length; *n = d.length; return SSLNoErr; }
static char *slurp(const char *path, size_t *n) {
    static char buf[2][16384]; static int i; FILE *f = fopen(path, "rb");
    if (!f) return NULL; *n = fread(buf[i], 1, sizeof buf[i], f); fclose(f); return buf[i++]; }
int main(int argc, char **argv) {
    (void)argc; size_t n; SSLContext *c, *s; SSLRSAPrivateKey *key;
    char *k = slurp(argv[1], &n); if (!k || SSLXRSAPrivateKeyFromPEM(k, n, &key)) return 2;
    char *crt = slurp(argv[2], &n);
    SSLXNewContext(&c); SSLXNewContext(&s);
    SSLSetProtocolSide(s, SSL_ServerSide);
    SSLSetPrivateKey(s, key); if (SSLXAddCertificatesPEM(s, crt, n)) return 3;
    SSLSetReadFunc(c, rd); SSLSetWriteFunc(c, wr); SSLSetIORef(c, (void *)1);
    SSLSetReadFunc(s, rd); SSLSetWriteFunc(s, wr); SSLSetIORef(s, (void *)2);
    SSLErr ec = SSLWouldBlockErr, es = SSLWouldBlockErr;
    for (int i = 0; i < 10 && (ec || es); i++) { if (ec) ec = SSLHandshake(c); if (es) es = SSLHandshake(s); }
    if (ec || es) { printf("handshake: %s / %s\n", SSLXErrorName(ec), SSLXErrorName(es)); return 4; }
    uint32 len = 5; SSLWrite("hello", &len, c); char got[8]; len = sizeof got;
    if (SSLRead(got, &len, s) || len == 0) return 5;
    uint16 suite; SSLGetNegotiatedCipher(c, &suite); SSLXProtocol v; SSLXGetNegotiatedProtocolVersion(c, &v);
    printf("%s %s\n", v == kTLSProtocol12 ? "ok" : "not-TLS-1.2", SSLXCipherSuiteName(suite));
    SSLXFreeContext(c); SSLXFreeContext(s); return 0; }
C
cc -std=c11 -o "$TMP/hello" "$TMP/hello.c" $(pkg-config --cflags --libs --static sslref)
out=$("$TMP/hello" "$ROOT/tests/data/server-key-pkcs8.pem" "$ROOT/tests/data/server-selfsigned.pem")
echo "$out"
[ "${out%% *}" = ok ]
echo "1 passed, 0 failed"
