/*
 * test_session_faults.c - the session callbacks failing at the k-th call, for every k, on either side,
 * over a full connection followed by a resumption attempt (handshake, data both ways, close). The
 * spec makes their errors harmless: a failed Add or Delete is ignored, a failed Get means a full
 * handshake. So every connection must complete; only whether the second one resumes may change.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include "pair.h"

struct failing_cache {
    struct pair_cache *inner;
    int calls, fail_at, failed;
    SSLErr err;
};

static SSLErr fail_now(struct failing_cache *f)
{
    if (++f->calls != f->fail_at)
        return SSLNoErr;
    f->failed = 1;
    return f->err;
}

static SSLErr f_add(SSLBuffer key, SSLBuffer data, void *ref)
{
    struct failing_cache *f = ref;
    SSLErr e = fail_now(f);
    return e != SSLNoErr ? e : pair_cache_add(key, data, f->inner);
}

static SSLErr f_get(SSLBuffer key, SSLBuffer *data, void *ref)
{
    struct failing_cache *f = ref;
    SSLErr e = fail_now(f);
    return e != SSLNoErr ? e : pair_cache_get(key, data, f->inner);
}

static SSLErr f_delete(SSLBuffer key, void *ref)
{
    struct failing_cache *f = ref;
    SSLErr e = fail_now(f);
    return e != SSLNoErr ? e : pair_cache_delete(key, f->inner);
}

struct sf_param {
    int side;
    SSLErr err;
};

ParameterizedTestParameters(session_faults, every_k)
{
    static struct sf_param ps[] = {
        {PAIR_CLIENT, SSLMemoryErr}, {PAIR_SERVER, SSLMemoryErr},
        {PAIR_CLIENT, SSLIOErr},     {PAIR_SERVER, SSLIOErr},
        {PAIR_CLIENT, SSLUnknownErr}, {PAIR_SERVER, SSLNoMatchingSessionKeyErr},
    };
    return cr_make_param_array(struct sf_param, ps, sizeof ps / sizeof ps[0]);
}

/* Returns how many session calls the faulty side made (0 fail_at: none fails). */
static int run(const struct sf_param *sp, int fail_at, int *failed, int *resumed)
{
    struct pair_cache cache[2];
    pair_cache_init(&cache[0]);
    pair_cache_init(&cache[1]);
    struct failing_cache f = {&cache[sp->side], 0, fail_at, 0, sp->err};
    struct pair_config c;
    pair_config_init(&c);
    c.cache[0] = &cache[0];
    c.cache[1] = &cache[1];
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 900 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        SSLContext *ctx = p.s[sp->side].ctx;
        cr_assert_eq(SSLSetAddSessionFunc(ctx, f_add), SSLNoErr);
        cr_assert_eq(SSLSetGetSessionFunc(ctx, f_get), SSLNoErr);
        cr_assert_eq(SSLSetDeleteSessionFunc(ctx, f_delete), SSLNoErr);
        cr_assert_eq(SSLSetSessionRef(ctx, &f), SSLNoErr);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "side %d fails call %d with %s: connection %d: %s / %s", sp->side,
                     fail_at, SSLXErrorName(sp->err), conn, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        for (int from = 0; from < 2; from++)
            cr_expect_eq(pair_exchange(&p, from, "session faults", 14), SSLNoErr);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, conn ? PAIR_SERVER : PAIR_CLIENT, &ce),
                     SSLConnectionClosedGraceful);
        cr_expect_eq(ce, SSLNoErr);
        int res[2] = {-1, -1};
        for (int side = 0; side < 2; side++)
            cr_expect_eq(SSLXGetResumed(p.s[side].ctx, &res[side]), SSLNoErr);
        cr_expect_eq(res[0], res[1], "both sides agree on resumption");
        if (conn)
            *resumed = res[0];
        pair_free(&p);
        cr_expect_eq(pair_live_blocks(&p), 0, "no leak (call %d)", fail_at);
    }
    pair_cache_clear(&cache[0]);
    pair_cache_clear(&cache[1]);
    *failed = f.failed;
    return f.calls;
}

ParameterizedTest(struct sf_param *sp, session_faults, every_k, .timeout = 60)
{
    int failed = 0, resumed = -1;
    int total = run(sp, 0, &failed, &resumed);
    cr_assert_eq(resumed, 1, "control: no fault, the second connection resumes");
    cr_assert_geq(total, 2, "side %d made %d session calls", sp->side, total);
    int fell_back = 0;
    for (int k = 1; k <= total; k++) {
        run(sp, k, &failed, &resumed);
        cr_expect(failed, "call %d failed", k);
        fell_back += resumed == 0;
    }
    /* some failure (a lost Add or a failed Get) must have cost the resumption: the fault was real */
    cr_expect_geq(fell_back, 1, "side %d: no failed call changed anything", sp->side);
}
