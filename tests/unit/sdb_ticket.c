/*
 * sdb_ticket.c - the session-ticket key ring (SDBTicketKey, SDBMCTicketKey): one key per period,
 * the current one seals, the previous ticketKeep ones and the next one open, older ones and unknown
 * names are refused; 8 processes racing on one LMDB cache through 30 periods all get the same key
 * per period; 2 machines x 3 processes racing through memcached (real daemons) converge on one key
 * per period, a machine joining later takes the cluster's keys, and with memcached down a machine
 * still gets a key of its own.
 */
#include "sdb_mcd.h"
#include "sdb_util.h"
#include "sslref/sessiondb_mc.h"
#include <sys/mman.h>
#include <sys/stat.h>

#define ROTATE 100
#define KEY_A "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static char tmp[256];

static SDBCache *open_cache(const char *dir, struct sdbt_clock *clk)
{
    SDBOptions o;
    SDBCache *c;
    char why[512];
    SDBDefaultOptions(&o);
    o.time = sdbt_clock_fn;
    o.timeRef = clk;
    o.ticketRotate = ROTATE;
    o.ticketKeep = 2;
    cr_assert_eq(SDBOpenDetail(&c, dir, &o, why, sizeof why), SSLNoErr, "%s", why);
    return c;
}

static void setup(void) { sdbt_tempdir(tmp, sizeof tmp); }
static void teardown(void)
{
    char d[300];
    for (int i = 0; i < 4; i++) {
        snprintf(d, sizeof d, "%s/m%d", tmp, i);
        sdbt_rmdir(d);
    }
    sdbt_rmdir(tmp);
}

Test(sdb_ticket, ring, .init = setup, .fini = teardown)
{
    struct sdbt_clock clk = {1000 * ROTATE + 5};
    char dir[300];
    snprintf(dir, sizeof dir, "%s/m0", tmp);
    SDBCache *c = open_cache(dir, &clk);
    uint8 n1[16], k1[32], n2[16], k2[32], n[16], k[32];
    cr_assert_eq(SDBTicketKey(c, 1, n1, k1), SSLNoErr);
    cr_assert_eq(n1[7], (uint8)1000 % 256);         /* the name starts with the period */
    clk.now += ROTATE - 10;                         /* same period: same key */
    cr_assert_eq(SDBTicketKey(c, 1, n2, k2), SSLNoErr);
    cr_assert(memcmp(n1, n2, 16) == 0 && memcmp(k1, k2, 32) == 0);
    memcpy(n, n1, 16);
    cr_assert_eq(SDBTicketKey(c, 0, n, k), SSLNoErr);
    cr_assert(memcmp(k, k1, 32) == 0);
    clk.now += 10;                                  /* next period: a new key */
    cr_assert_eq(SDBTicketKey(c, 1, n2, k2), SSLNoErr);
    cr_assert(memcmp(n1, n2, 16) != 0 && memcmp(k1, k2, 32) != 0);
    /* the previous key still opens, for 2 more periods, then not */
    for (int age = 1; age <= 3; age++) {
        memcpy(n, n1, 16);
        memset(k, 0, 32);
        SSLErr e = SDBTicketKey(c, 0, n, k);
        if (age <= 2) {
            cr_assert_eq(e, SSLNoErr, "age %d", age);
            cr_assert(memcmp(k, k1, 32) == 0);
        } else {
            cr_assert_eq(e, SSLNoMatchingSessionKeyErr, "age %d", age);
        }
        clk.now += ROTATE;
        cr_assert_eq(SDBTicketKey(c, 1, n2, k2), SSLNoErr);   /* rotates, prunes */
    }
    /* a name of the current period with other random bytes, and one from the future */
    cr_assert_eq(SDBTicketKey(c, 1, n2, k2), SSLNoErr);
    memcpy(n, n2, 16);
    n[15] ^= 1;
    cr_assert_eq(SDBTicketKey(c, 0, n, k), SSLNoMatchingSessionKeyErr);
    memcpy(n, n2, 16);
    n[7] += 5;
    cr_assert_eq(SDBTicketKey(c, 0, n, k), SSLNoMatchingSessionKeyErr);
    cr_assert_eq(SDBTicketKey(NULL, 1, n, k), SSLBadParameterErr);
    cr_assert_eq(SDBTicketKey(c, 1, NULL, k), SSLBadParameterErr);
    /* a reopened cache (another process) sees the same ring */
    SDBClose(c);
    c = open_cache(dir, &clk);
    cr_assert_eq(SDBTicketKey(c, 1, n, k), SSLNoErr);
    cr_assert(memcmp(n, n2, 16) == 0 && memcmp(k, k2, 32) == 0);
    SDBClose(c);
}

/* ---- racing processes ---- */

#define PERIODS 30
#define MAXPROC 8

struct race {
    atomic_int ready, go;
    uint8 name[MAXPROC][PERIODS][16];
    uint8 key[MAXPROC][PERIODS][32];
    int err[MAXPROC];
};

/* Child @p i: wait for the start, then ask for the sealing key of each period in turn (the
 * clock is the shared period counter: all children move through the periods together). */
static void racer(struct race *r, int i, int nproc, const char *dir, const char *servers,
                  const char *keyfile)
{
    struct sdbt_clock clk = {0};
    SDBCache *c = NULL;
    SDBMemcached *m = NULL;
    SDBOptions o;
    char why[512];
    SDBDefaultOptions(&o);
    o.time = sdbt_clock_fn;
    o.timeRef = &clk;
    o.ticketRotate = ROTATE;
    if (SDBOpenDetail(&c, dir, &o, why, sizeof why) != SSLNoErr)
        _exit(10);
    if (servers) {
        SDBMemcachedOptions mo;
        SDBMemcachedDefaultOptions(&mo);
        mo.servers = servers;
        mo.keyFile = keyfile;
        mo.timeoutMs = 500;
        if (SDBMemcachedOpen(&m, c, &mo, why, sizeof why) != SSLNoErr)
            _exit(11);
    }
    atomic_fetch_add(&r->ready, 1);
    for (int p = 0; p < PERIODS; p++) {
        while (atomic_load(&r->go) < p + 1)
            usleep(20);                  /* all children leave the line together */
        atomic_store(&clk.now, (unsigned)(p * ROTATE + 1 + (unsigned)i));
        SSLErr e = m ? SDBMCTicketKey(m, 1, r->name[i][p], r->key[i][p])
                     : SDBTicketKey(c, 1, r->name[i][p], r->key[i][p]);
        if (e != SSLNoErr)
            r->err[i] = e;
        atomic_fetch_add(&r->ready, 1);
    }
    (void)nproc;
    SDBMemcachedClose(m);
    SDBClose(c);
    _exit(0);
}

/* Run @p nproc racers; racer i uses directory dirs[i % ndirs]. */
static struct race *run_race(int nproc, char dirs[][300], int ndirs, const char *servers,
                             const char *keyfile)
{
    struct race *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                          -1, 0);
    cr_assert(r != MAP_FAILED);
    memset(r, 0, sizeof *r);
    pid_t pids[MAXPROC];
    for (int i = 0; i < nproc; i++) {
        pids[i] = fork();
        cr_assert(pids[i] >= 0);
        if (pids[i] == 0)
            racer(r, i, nproc, dirs[i % ndirs], servers, keyfile);
    }
    for (int p = 0; p < PERIODS; p++) {
        double t0 = mono();
        while (atomic_load(&r->ready) < nproc * (p + 1))
            cr_assert(mono() - t0 < 20, "racers stuck in period %d", p);
        atomic_store(&r->go, p + 1);
    }
    for (int i = 0; i < nproc; i++) {
        int st;
        cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "racer %d: status %d", i, st);
        cr_assert_eq(r->err[i], 0, "racer %d: %d", i, r->err[i]);
    }
    return r;
}

static void check_one_key_per_period(struct race *r, int nproc)
{
    for (int p = 0; p < PERIODS; p++) {
        for (int i = 1; i < nproc; i++) {
            cr_assert(memcmp(r->name[i][p], r->name[0][p], 16) == 0 &&
                          memcmp(r->key[i][p], r->key[0][p], 32) == 0,
                      "period %d: racer %d got another key than racer 0", p, i);
        }
        if (p)
            cr_assert(memcmp(r->key[0][p], r->key[0][p - 1], 32) != 0);
    }
}

Test(sdb_ticket, racing_processes_one_key_per_period, .init = setup, .fini = teardown)
{
    char dirs[1][300];
    snprintf(dirs[0], sizeof dirs[0], "%s/m0", tmp);
    struct race *r = run_race(MAXPROC, dirs, 1, NULL, NULL);
    check_one_key_per_period(r, MAXPROC);
    munmap(r, sizeof *r);
}

static struct daemon d1, d2;
static char keyfile[300];

static void setup_mc(void)
{
    setup();
    d1 = start_memcached();
    d2 = start_memcached();
    snprintf(keyfile, sizeof keyfile, "%s/cluster.key", tmp);
    FILE *f = fopen(keyfile, "w");
    cr_assert(f);
    fputs(KEY_A, f);
    fclose(f);
    chmod(keyfile, 0600);
}

static void teardown_mc(void)
{
    stop_daemon(&d1);
    stop_daemon(&d2);
    unlink(keyfile);
    teardown();
}

Test(sdb_ticket, racing_machines_converge_through_memcached, .init = setup_mc,
     .fini = teardown_mc)
{
    char dirs[2][300], servers[64];
    snprintf(dirs[0], sizeof dirs[0], "%s/m0", tmp);
    snprintf(dirs[1], sizeof dirs[1], "%s/m1", tmp);
    snprintf(servers, sizeof servers, "127.0.0.1:%d,127.0.0.1:%d", d1.port, d2.port);
    struct race *r = run_race(6, dirs, 2, servers, keyfile);   /* 2 machines x 3 processes */
    check_one_key_per_period(r, 6);
    /* a third machine, joining late, opens the last periods' tickets and seals with the
     * cluster's current key */
    char dir3[300], why[512];
    snprintf(dir3, sizeof dir3, "%s/m2", tmp);
    struct sdbt_clock clk = {(PERIODS - 1) * ROTATE + 50};
    SDBCache *c = open_cache(dir3, &clk);
    SDBMemcached *m;
    SDBMemcachedOptions mo;
    SDBMemcachedDefaultOptions(&mo);
    mo.servers = servers;
    mo.keyFile = keyfile;
    cr_assert_eq(SDBMemcachedOpen(&m, c, &mo, why, sizeof why), SSLNoErr, "%s", why);
    uint8 n[16], k[32];
    for (int p = PERIODS - 3; p < PERIODS; p++) {
        memcpy(n, r->name[0][p], 16);
        cr_assert_eq(SDBMCTicketKey(m, 0, n, k), SSLNoErr, "period %d", p);
        cr_assert(memcmp(k, r->key[0][p], 32) == 0);
    }
    memcpy(n, r->name[0][PERIODS - 4], 16);                  /* older than the ring */
    cr_assert_eq(SDBMCTicketKey(m, 0, n, k), SSLNoMatchingSessionKeyErr);
    cr_assert_eq(SDBMCTicketKey(m, 1, n, k), SSLNoErr);
    cr_assert(memcmp(n, r->name[0][PERIODS - 1], 16) == 0 &&
              memcmp(k, r->key[0][PERIODS - 1], 32) == 0);
    /* memcached down: the next period's key is this machine's own, and still works */
    stop_daemon(&d1);
    stop_daemon(&d2);
    atomic_store(&clk.now, PERIODS * ROTATE + 1);
    double t0 = mono();
    cr_assert_eq(SDBMCTicketKey(m, 1, n, k), SSLNoErr);
    cr_assert(mono() - t0 < 0.5);
    uint8 n2[16], k2[32];
    memcpy(n2, n, 16);
    cr_assert_eq(SDBMCTicketKey(m, 0, n2, k2), SSLNoErr);
    cr_assert(memcmp(k, k2, 32) == 0);
    SDBMemcachedClose(m);
    SDBClose(c);
    sdbt_rmdir(dir3);
    munmap(r, sizeof *r);
}
