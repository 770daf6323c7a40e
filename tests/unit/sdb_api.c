/*
 * sdb_api.c - unit tests of the LMDB session cache (sessiondb.h): add/get/delete/replace/miss,
 * expiry with a fake clock, eviction by entry budget, byte budget and full map, purge, stats,
 * file modes, corrupt and foreign records (written with raw LMDB), verify/repair, custom
 * allocator, fork-child close, and the record decoder on every truncation and byte change.
 * Single-threaded; concurrency and crashes are in sdb_threads.c, sdb_procs.c and sdb_crash.c.
 */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "sdb_util.h"
#include "../../sessiondb/src/sdb.h" /* the record codec, tested directly */

/* The callbacks have exactly the SSLRef callback shapes (compile-time check). */
static const SSLAddSessionFunc add_shape = SDBAddSession;
static const SSLGetSessionFunc get_shape = SDBGetSession;
static const SSLDeleteSessionFunc del_shape = SDBDeleteSession;

static char dir[256];
static SDBCache *cache;
static struct sdbt_clock clk;

static void open_with(SDBOptions *o)
{
    o->time = sdbt_clock_fn;
    o->timeRef = &clk;
    cr_assert_eq(SDBOpen(&cache, dir, o), SSLNoErr);
}

static void setup(void)
{
    SDBOptions o;
    sdbt_tempdir(dir, sizeof dir);
    atomic_store(&clk.now, 1000000);
    SDBDefaultOptions(&o);
    open_with(&o);
}

static void teardown(void)
{
    SDBClose(cache);
    cache = NULL;
    sdbt_rmdir(dir);
}

static SSLBuffer str(const char *s)
{
    return (SSLBuffer){(uint32)strlen(s), (uint8 *)s};
}

static void expect_value(const char *key, const char *want)
{
    SSLBuffer out = {123, (uint8 *)1};
    cr_assert_eq(get_shape(str(key), &out, cache), SSLNoErr, "get %s", key);
    cr_assert_eq(out.length, strlen(want));
    cr_assert_arr_eq(out.data, want, out.length);
    free(out.data); /* default allocator is malloc: free() must work */
}

static void expect_miss(const char *key)
{
    SSLBuffer out = {123, (uint8 *)1};
    cr_assert_eq(SDBGetSession(str(key), &out, cache), SSLNoMatchingSessionKeyErr, "miss %s", key);
    cr_assert_null(out.data);
    cr_assert_eq(out.length, 0);
}

static SDBStats stats(void)
{
    SDBStats s;
    cr_assert_eq(SDBGetStats(cache, &s), SSLNoErr);
    return s;
}

static void expect_consistent(uint64_t entries)
{
    SDBVerifyReport r;
    cr_assert_eq(SDBVerify(cache, &r, 0), SSLNoErr);
    cr_assert_eq(r.entries, entries);
    cr_assert_eq(r.valid, entries);
    cr_assert_eq(r.indexed, entries);
    cr_assert_eq(r.corrupt + r.dangling + r.unindexed, 0);
}

TestSuite(sdb_api, .init = setup, .fini = teardown);

Test(sdb_api, add_get_roundtrip)
{
    cr_assert_eq(add_shape(str("session-1"), str("master secret and more"), cache), SSLNoErr);
    expect_value("session-1", "master secret and more");
    expect_consistent(1);
    SDBStats s = stats();
    cr_assert_eq(s.entries, 1);
    cr_assert_eq(s.hits, 1);
    cr_assert_eq(s.misses, 0);
    cr_assert_eq(s.bytes, 9 + 24 + 22 + 64);
}

Test(sdb_api, binary_key_and_empty_value)
{
    uint8 k[32];
    for (int i = 0; i < 32; i++)
        k[i] = (uint8)(i * 37);
    SSLBuffer key = {32, k}, out;
    cr_assert_eq(SDBAddSession(key, (SSLBuffer){0, NULL}, cache), SSLNoErr);
    cr_assert_eq(SDBGetSession(key, &out, cache), SSLNoErr);
    cr_assert_eq(out.length, 0);
    cr_assert_not_null(out.data);
    cr_assert_eq(SDBFreeBuffer(cache, &out), SSLNoErr);
    cr_assert_null(out.data);
    k[31] ^= 1;
    cr_assert_eq(SDBGetSession(key, &out, cache), SSLNoMatchingSessionKeyErr);
}

Test(sdb_api, replace_keeps_one_entry)
{
    cr_assert_eq(SDBAddSession(str("k"), str("first value"), cache), SSLNoErr);
    cr_assert_eq(SDBAddSession(str("k"), str("second"), cache), SSLNoErr);
    expect_value("k", "second");
    SDBStats s = stats();
    cr_assert_eq(s.entries, 1);
    cr_assert_eq(s.bytes, 1 + 24 + 6 + 64);
    expect_consistent(1);
}

Test(sdb_api, miss_and_delete)
{
    expect_miss("nothing");
    cr_assert_eq(del_shape(str("nothing"), cache), SSLNoMatchingSessionKeyErr);
    cr_assert_eq(SDBAddSession(str("a"), str("A"), cache), SSLNoErr);
    cr_assert_eq(SDBAddSession(str("b"), str("B"), cache), SSLNoErr);
    cr_assert_eq(SDBDeleteSession(str("a"), cache), SSLNoErr);
    expect_miss("a");
    expect_value("b", "B");
    cr_assert_eq(SDBDeleteSession(str("a"), cache), SSLNoMatchingSessionKeyErr);
    SDBStats s = stats();
    cr_assert_eq(s.entries, 1);
    cr_assert_eq(s.hits, 1);
    cr_assert_eq(s.misses, 2);
    cr_assert_eq(s.bytes, 1 + 24 + 1 + 64);
    expect_consistent(1);
}

Test(sdb_api, bad_parameters)
{
    uint8 big[SDB_MAX_KEY + 1] = {0};
    SSLBuffer out;
    SDBCache *c2;
    cr_assert_eq(SDBAddSession(str("k"), str("v"), NULL), SSLBadParameterErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){0, big}, str("v"), cache), SSLBadParameterErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){SDB_MAX_KEY + 1, big}, str("v"), cache),
                 SSLBadParameterErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){SDB_MAX_KEY, big}, str("v"), cache), SSLNoErr);
    cr_assert_eq(SDBAddSession(str("k"), (SSLBuffer){SDB_MAX_VALUE + 1, big}, cache),
                 SSLBadParameterErr);
    cr_assert_eq(SDBAddSession(str("k"), (SSLBuffer){4, NULL}, cache), SSLBadParameterErr);
    cr_assert_eq(SDBGetSession(str("k"), NULL, cache), SSLBadParameterErr);
    cr_assert_eq(SDBGetSession((SSLBuffer){0, NULL}, &out, cache), SSLBadParameterErr);
    cr_assert_eq(SDBDeleteSession(str("k"), NULL), SSLBadParameterErr);
    c2 = (SDBCache *)&out; /* a stale value: a failed open must clear it */
    cr_assert_eq(SDBOpen(&c2, NULL, NULL), SSLBadParameterErr);
    cr_assert_null(c2);
    cr_assert_eq(SDBOpen(NULL, dir, NULL), SSLBadParameterErr);
    SDBOptions o;
    SDBDefaultOptions(&o);
    o.mapSize = 0;
    cr_assert_eq(SDBOpen(&c2, "/tmp/sdb-never-made", &o), SSLBadParameterErr);
}

Test(sdb_api, expiry_is_a_miss_and_removes)
{
    SDBOptions o;
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.lifetime = 10;
    open_with(&o);
    cr_assert_eq(SDBAddSession(str("k"), str("v"), cache), SSLNoErr);
    cr_assert_eq(SDBAddSession(str("k2"), str("v2"), cache), SSLNoErr);
    atomic_store(&clk.now, 1000009);
    expect_value("k", "v");
    atomic_store(&clk.now, 1000010);
    expect_miss("k");
    SDBStats s = stats();
    cr_assert_eq(s.entries, 1, "the expired entry read by get is removed");
    cr_assert_eq(s.expired, 1);
    cr_assert_eq(SDBDeleteSession(str("k2"), cache), SSLNoMatchingSessionKeyErr,
                 "an expired entry counts as absent for delete too");
    s = stats();
    cr_assert_eq(s.entries, 0);
    cr_assert_eq(s.expired, 2);
    cr_assert_eq(s.bytes, 0);
    /* a replace renews the lifetime */
    cr_assert_eq(SDBAddSession(str("r"), str("1"), cache), SSLNoErr);
    atomic_store(&clk.now, 1000015);
    cr_assert_eq(SDBAddSession(str("r"), str("2"), cache), SSLNoErr);
    atomic_store(&clk.now, 1000024);
    expect_value("r", "2");
    expect_consistent(1);
}

Test(sdb_api, adds_remove_expired_in_passing)
{
    SDBOptions o;
    char kb[32];
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.lifetime = 5;
    open_with(&o);
    for (unsigned i = 0; i < 10; i++)
        cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 0, i), str("x"), cache), SSLNoErr);
    atomic_store(&clk.now, 1000100);
    cr_assert_eq(SDBAddSession(str("new"), str("y"), cache), SSLNoErr);
    SDBStats s = stats();
    cr_assert_eq(s.entries, 7, "each add removes up to 4 expired entries");
    cr_assert_eq(s.expired, 4);
    cr_assert_eq(s.evictions, 0);
}

Test(sdb_api, purge_removes_only_expired)
{
    SDBOptions o;
    char kb[32];
    uint64_t removed = 99;
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.lifetime = 10;
    open_with(&o);
    for (unsigned i = 0; i < 20; i++) {
        if (i == 10)
            atomic_store(&clk.now, 1000005);
        cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 0, i), str("x"), cache), SSLNoErr);
    }
    atomic_store(&clk.now, 1000012);
    cr_assert_eq(SDBPurge(cache, &removed), SSLNoErr);
    cr_assert_eq(removed, 10);
    cr_assert_eq(stats().entries, 10);
    cr_assert_eq(stats().expired, 10);
    expect_miss("k0-3");
    expect_value("k0-13", "x");
    cr_assert_eq(SDBPurge(cache, &removed), SSLNoErr);
    cr_assert_eq(removed, 0);
    atomic_store(&clk.now, 1000015);
    cr_assert_eq(SDBPurge(cache, &removed), SSLNoErr);
    cr_assert_eq(removed, 10);
    expect_consistent(0);
}

Test(sdb_api, eviction_by_entry_budget_takes_oldest)
{
    SDBOptions o;
    char kb[32];
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.maxEntries = 100;
    open_with(&o);
    for (unsigned i = 0; i < 150; i++) {
        atomic_fetch_add(&clk.now, 1);
        cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 0, i), str("value"), cache), SSLNoErr);
    }
    SDBStats s = stats();
    cr_assert_eq(s.entries, 100);
    cr_assert_eq(s.evictions, 50);
    for (unsigned i = 0; i < 150; i++) {
        SSLBuffer out;
        SSLErr e = SDBGetSession(sdbt_key(kb, sizeof kb, 0, i), &out, cache);
        cr_assert_eq(e, i < 50 ? SSLNoMatchingSessionKeyErr : SSLNoErr, "key %u", i);
        if (e == SSLNoErr)
            free(out.data);
    }
    expect_consistent(100);
}

Test(sdb_api, eviction_by_byte_budget)
{
    SDBOptions o;
    char kb[32];
    uint8 val[200];
    memset(val, 0x5a, sizeof val);
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.maxBytes = 50 * (6 + 24 + 200 + 64);
    open_with(&o);
    for (unsigned i = 100; i < 400; i++) {
        atomic_fetch_add(&clk.now, 1);
        cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 1, i), (SSLBuffer){200, val}, cache),
                     SSLNoErr);
        cr_assert_leq(stats().bytes, o.maxBytes);
    }
    SDBStats s = stats();
    cr_assert_eq(s.entries, 50);
    cr_assert_eq(s.evictions, 250);
    SSLBuffer out;
    cr_assert_eq(SDBGetSession(sdbt_key(kb, sizeof kb, 1, 399), &out, cache), SSLNoErr);
    free(out.data);
    cr_assert_eq(SDBGetSession(sdbt_key(kb, sizeof kb, 1, 349), &out, cache),
                 SSLNoMatchingSessionKeyErr);
    expect_consistent(50);
}

/* With the byte budget as large as the map, the map fills first: adds evict and still succeed. */
Test(sdb_api, full_map_evicts_instead_of_failing)
{
    SDBOptions o;
    char kb[32];
    uint8 val[1500];
    memset(val, 0xa5, sizeof val);
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.mapSize = 1 << 20;
    o.maxBytes = o.mapSize * 4;
    open_with(&o);
    for (unsigned i = 0; i < 3000; i++) {
        atomic_fetch_add(&clk.now, 1);
        cr_assert_eq(SDBAddSession(sdbt_key(kb, sizeof kb, 2, i), (SSLBuffer){sizeof val, val},
                                   cache),
                     SSLNoErr, "add %u", i);
    }
    SDBStats s = stats();
    cr_assert_gt(s.evictions, 2000);
    cr_assert_eq(s.entries + s.evictions, 3000);
    cr_assert_leq(s.mapUsed, s.mapSize);
    SSLBuffer out;
    cr_assert_eq(SDBGetSession(sdbt_key(kb, sizeof kb, 2, 2999), &out, cache), SSLNoErr);
    cr_assert_eq(out.length, sizeof val);
    free(out.data);
    expect_consistent(s.entries);
    /* a value that cannot fit even in an empty map fails cleanly */
    uint8 *huge = calloc(1, SDB_MAX_VALUE);
    cr_assert_eq(SDBAddSession(str("huge"), (SSLBuffer){SDB_MAX_VALUE, huge}, cache), SSLMemoryErr);
    cr_assert_eq(stats().entries, s.entries, "a refused add evicts nothing");
    free(huge);
    cr_assert_eq(SDBAddSession(str("after"), str("ok"), cache), SSLNoErr);
    expect_value("after", "ok");
}

Test(sdb_api, file_modes)
{
    struct stat st;
    char path[300];
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/sdb.lock", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);

    /* a new directory is created 0700 */
    SDBCache *c2;
    snprintf(path, sizeof path, "%s/sub", dir);
    cr_assert_eq(SDBOpen(&c2, path, NULL), SSLNoErr);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    SDBClose(c2);
    /* a directory others can read is refused; loose files are narrowed to 0600 */
    cr_assert_eq(chmod(path, 0755), 0);
    cr_assert_eq(SDBOpen(&c2, path, NULL), SSLBadParameterErr);
    cr_assert_null(c2);
    cr_assert_eq(chmod(path, 0700), 0);
    char file[400];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    cr_assert_eq(chmod(file, 0644), 0);
    cr_assert_eq(SDBOpen(&c2, path, NULL), SSLNoErr);
    cr_assert_eq(stat(file, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    SDBClose(c2);
    sdbt_rmdir(path);
}

/* SDBOpenDetail into @p why; the handle must stay NULL. */
static SSLErr open_why(const char *path, const SDBOptions *o, char *why, size_t n)
{
    SDBCache *c2 = (SDBCache *)1;
    SSLErr e = SDBOpenDetail(&c2, path, o, why, n);
    cr_assert_null(c2);
    return e;
}

#define EXPECT_IN(why, text) cr_expect(strstr(why, text), "\"%s\" not in \"%s\"", text, why)

/* A refused open says why and how to fix it (issue 13, point 5), in the caller's buffer. */
Test(sdb_api, open_says_why_and_how_to_fix)
{
    char path[300], want[400], why[512];
    SDBOptions o;

    /* success: an empty message */
    SDBCache *c2;
    snprintf(path, sizeof path, "%s/ok", dir);
    strcpy(why, "junk");
    cr_assert_eq(SDBOpenDetail(&c2, path, NULL, why, sizeof why), SSLNoErr);
    cr_assert_str_empty(why);
    SDBClose(c2);
    sdbt_rmdir(path);

    /* wrong mode: what it exposes and the command that fixes it */
    snprintf(path, sizeof path, "%s/open", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    cr_assert_eq(chmod(path, 0755), 0);
    cr_assert_eq(open_why(path, NULL, why, sizeof why), SSLBadParameterErr);
    EXPECT_IN(why, path);
    EXPECT_IN(why, "mode 0755 lets other users read master secrets");
    snprintf(want, sizeof want, "chmod 700 %s", path);
    EXPECT_IN(why, want);
    cr_assert_eq(chmod(path, 0750), 0);
    cr_assert_eq(open_why(path, NULL, why, sizeof why), SSLBadParameterErr);
    EXPECT_IN(why, "mode 0750 lets the group read master secrets");
    EXPECT_IN(why, want);
    cr_assert_eq(chmod(path, 0700), 0);

    /* wrong owner (root can make one; others meet it at /) */
    const char *foreign = path;
    if (geteuid() == 0)
        cr_assert_eq(chown(path, 65534, 65534), 0);
    else
        foreign = "/";
    struct stat st;
    cr_assert_eq(stat(foreign, &st), 0);
    cr_assert_eq(open_why(foreign, NULL, why, sizeof why), SSLBadParameterErr);
    snprintf(want, sizeof want, "owned by uid %u, not by uid %u", (unsigned)st.st_uid,
             (unsigned)geteuid());
    EXPECT_IN(why, want);
    EXPECT_IN(why, "use a directory of your own");
    cr_assert_eq(rmdir(path), 0);

    /* not a directory */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(open_why(path, NULL, why, sizeof why), SSLBadParameterErr);
    EXPECT_IN(why, "not a directory; remove it or choose another path");
    cr_assert_eq(unlink(path), 0);

    /* missing: the directory is made, but not its parent */
    snprintf(path, sizeof path, "%s/no/such", dir);
    cr_assert_eq(open_why(path, NULL, why, sizeof why), SSLIOErr);
    EXPECT_IN(why, path);
    EXPECT_IN(why, "No such file or directory");
    EXPECT_IN(why, "parent is missing");

    /* bad options */
    SDBDefaultOptions(&o);
    o.mapSize = 4096;
    cr_assert_eq(open_why(dir, &o, why, sizeof why), SSLBadParameterErr);
    EXPECT_IN(why, "mapSize is below 1 MiB");

    /* a short buffer is truncated and terminated; no buffer at all is fine */
    snprintf(path, sizeof path, "%s/open", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_assert_eq(chmod(path, 0755), 0);
    memset(why, 'x', sizeof why);
    cr_assert_eq(open_why(path, NULL, why, 8), SSLBadParameterErr);
    cr_assert_eq(strlen(why), 7);
    cr_assert_eq(open_why(path, NULL, NULL, 0), SSLBadParameterErr);
    cr_assert_eq(SDBOpenDetail(NULL, path, NULL, why, sizeof why), SSLBadParameterErr);
    EXPECT_IN(why, "NULL");
    cr_assert_eq(rmdir(path), 0);
}

/* Put raw bytes under a key of the sessions table (or, with index set, the expiry table). */
static void raw_put(const char *table, MDB_val key, MDB_val val)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    SDBClose(cache);
    cache = NULL;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 3), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, (size_t)64 << 20), 0);
    cr_assert_eq(mdb_env_open(env, dir, 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, table, 0, &dbi), 0);
    cr_assert_eq(mdb_put(txn, dbi, &key, &val, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    SDBOptions o;
    SDBDefaultOptions(&o);
    open_with(&o);
}

static MDB_val mv(const void *p, size_t n)
{
    return (MDB_val){n, (void *)p};
}

Test(sdb_api, corrupt_and_foreign_records_are_misses)
{
    /* a valid record to copy: read it back with raw LMDB after closing */
    cr_assert_eq(SDBAddSession(str("good"), str("0123456789abcdef"), cache), SSLNoErr);
    cr_assert_eq(SDBAddSession(str("other"), str("keep me"), cache), SSLNoErr);
    SDBClose(cache);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val v;
    uint8 rec[24 + 16];
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 3), 0);
    cr_assert_eq(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "sessions", 0, &dbi), 0);
    MDB_val k = mv("good", 4);
    cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
    cr_assert_eq(v.mv_size, sizeof rec);
    memcpy(rec, v.mv_data, sizeof rec);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    SDBOptions o;
    SDBDefaultOptions(&o);
    open_with(&o);

    struct {
        const char *what;
        size_t len;
        int byte;    /* offset to flip, -1 none */
        size_t cut;  /* size to store */
    } cases[] = {
        {"empty", 0, -1, 0},          {"short header", 0, -1, 23},  {"header only", 0, -1, 24},
        {"truncated data", 0, -1, 39}, {"extra byte", 0, -1, 41},   {"bad magic", 0, 0, 40},
        {"bad version", 0, 4, 40},    {"bad flags", 0, 6, 40},      {"expiry changed", 0, 9, 40},
        {"length changed", 0, 16, 40}, {"checksum", 0, 21, 40},     {"data byte", 0, 30, 40},
        {"last byte", 0, 39, 40},
    };
    uint8 buf[64];
    uint64_t corrupt = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(buf, 0, sizeof buf);
        memcpy(buf, rec, sizeof rec);
        if (cases[i].byte >= 0)
            buf[cases[i].byte] ^= 0x40;
        raw_put("sessions", mv("good", 4), mv(buf, cases[i].cut));
        SSLBuffer out = {7, (uint8 *)1};
        cr_assert_eq(SDBGetSession(str("good"), &out, cache), SSLNoMatchingSessionKeyErr, "%s",
                     cases[i].what);
        cr_assert_null(out.data);
        corrupt++;
        cr_assert_eq(stats().corrupt, 1, "%s", cases[i].what); /* new handle each case */
        SDBVerifyReport r;
        cr_assert_eq(SDBVerify(cache, &r, 0), SSLNoErr);
        cr_assert_eq(r.corrupt, 0, "%s: corrupt record removed after the miss", cases[i].what);
        expect_value("other", "keep me");
    }
    /* foreign: a valid record moved under another key fails its checksum */
    raw_put("sessions", mv("moved", 5), mv(rec, sizeof rec));
    expect_miss("moved");
    /* the original record still reads back after all that */
    raw_put("sessions", mv("good", 4), mv(rec, sizeof rec));
    expect_value("good", "0123456789abcdef");
}

Test(sdb_api, verify_and_repair)
{
    cr_assert_eq(SDBAddSession(str("a"), str("1"), cache), SSLNoErr);
    cr_assert_eq(SDBAddSession(str("b"), str("2"), cache), SSLNoErr);
    expect_consistent(2);
    uint8 ik[9] = {0, 0, 0, 0, 0, 0, 0, 1, 'z'};
    raw_put("expiry", mv(ik, sizeof ik), mv("", 0));
    raw_put("sessions", mv("junk", 4), mv("not a record", 12));
    SDBVerifyReport r;
    cr_assert_eq(SDBVerify(cache, &r, 0), SSLNoErr);
    cr_assert_eq(r.entries, 3);
    cr_assert_eq(r.valid, 2);
    cr_assert_eq(r.corrupt, 1);
    cr_assert_eq(r.indexed, 3);
    cr_assert_eq(r.dangling, 1);
    cr_assert_eq(SDBVerify(cache, &r, 1), SSLNoErr);
    cr_assert_eq(r.corrupt, 1);
    expect_consistent(2);
    expect_value("a", "1");
    expect_value("b", "2");
}

struct counting_alloc {
    int allocs, frees;
};

static SSLErr c_alloc(SSLBuffer *b, void *ref)
{
    ((struct counting_alloc *)ref)->allocs++;
    b->data = malloc(b->length + 16);
    if (!b->data)
        return SSLMemoryErr;
    memset(b->data, 0xee, 16);
    b->data += 16; /* so that plain free() would crash */
    return SSLNoErr;
}

static SSLErr c_free(SSLBuffer *b, void *ref)
{
    ((struct counting_alloc *)ref)->frees++;
    if (b->data)
        free(b->data - 16);
    b->data = NULL;
    return SSLNoErr;
}

static SSLErr failing_alloc(SSLBuffer *b, void *ref)
{
    (void)ref;
    b->data = NULL;
    return SSLMemoryErr;
}

Test(sdb_api, custom_allocator)
{
    struct counting_alloc ca = {0, 0};
    SDBOptions o;
    SDBClose(cache);
    SDBDefaultOptions(&o);
    o.alloc = c_alloc;
    o.free = c_free;
    o.allocRef = &ca;
    open_with(&o);
    SSLBuffer out;
    cr_assert_eq(SDBAddSession(str("k"), str("value"), cache), SSLNoErr);
    cr_assert_eq(SDBGetSession(str("k"), &out, cache), SSLNoErr);
    cr_assert_eq(ca.allocs, 1);
    cr_assert_arr_eq(out.data, "value", 5);
    cr_assert_eq(SDBFreeBuffer(cache, &out), SSLNoErr);
    cr_assert_eq(ca.frees, 1);
    cr_assert_eq(SDBGetSession(str("none"), &out, cache), SSLNoMatchingSessionKeyErr);
    cr_assert_eq(ca.allocs, 1, "a miss allocates nothing");

    SDBClose(cache);
    o.alloc = failing_alloc;
    open_with(&o);
    cr_assert_eq(SDBGetSession(str("k"), &out, cache), SSLMemoryErr);
    cr_assert_null(out.data);
    o.alloc = c_alloc;
    o.free = NULL;
    SDBCache *c2;
    cr_assert_eq(SDBOpen(&c2, dir, &o), SSLBadParameterErr, "alloc without free is refused");
}

Test(sdb_api, reopen_keeps_entries_and_stats)
{
    cr_assert_eq(SDBAddSession(str("persist"), str("yes"), cache), SSLNoErr);
    SDBClose(cache);
    SDBOptions o;
    SDBDefaultOptions(&o);
    open_with(&o);
    expect_value("persist", "yes");
    SDBStats s = stats();
    cr_assert_eq(s.entries, 1);
    cr_assert_eq(s.bytes, 7 + 24 + 3 + 64);
    cr_assert_eq(s.hits, 1, "hits and misses are per handle");
}

/* A child that inherited the handle may only close it; the parent's store is untouched. */
Test(sdb_api, fork_child_close_only_frees)
{
    cr_assert_eq(SDBAddSession(str("k"), str("v"), cache), SSLNoErr);
    expect_value("k", "v"); /* the parent now holds a reset read transaction in a slot */
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        SDBClose(cache);
        _exit(0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (int i = 0; i < 3; i++)
        expect_value("k", "v");
    cr_assert_eq(SDBAddSession(str("k2"), str("v2"), cache), SSLNoErr);
    expect_value("k2", "v2");
    int cleared = -1;
    cr_assert_eq(SDBReaderCheck(cache, &cleared), SSLNoErr);
    cr_assert_eq(cleared, 0);
}

/* The record decoder on generated negatives: every truncation, every extension and every
 * one-byte change of a valid record (three masks per byte) must be rejected, without a crash. */

Test(sdb_record, every_truncation_and_byte_change_is_rejected)
{
    uint8 data[40], rec[24 + 40 + 1], bad[24 + 40 + 1];
    struct sdb_rec out;
    MDB_val key = {5, "key-1"};
    for (int i = 0; i < 40; i++)
        data[i] = (uint8)(i * 7 + 1);
    size_t size = sdb_record_size(40);
    cr_assert_eq(size, 64);
    sdb_record_write(rec, &key, 0x0102030405060708ull, data, 40);
    MDB_val v = {size, rec};
    cr_assert(sdb_record_check(&key, &v, &out));
    cr_assert_eq(out.expiry, 0x0102030405060708ull);
    cr_assert_eq(out.length, 40);
    cr_assert_arr_eq(out.data, data, 40);
    for (size_t n = 0; n <= size + 1; n++) {
        memcpy(bad, rec, size);
        bad[size] = 0;
        MDB_val t = {n, bad};
        cr_assert_eq(sdb_record_check(&key, &t, &out), n == size, "size %zu", n);
    }
    const uint8 masks[3] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < size; i++)
        for (int m = 0; m < 3; m++) {
            memcpy(bad, rec, size);
            bad[i] ^= masks[m];
            MDB_val t = {size, bad};
            cr_assert(!sdb_record_check(&key, &t, &out), "byte %zu mask %02x", i, masks[m]);
        }
    uint8 kb[5];
    for (size_t i = 0; i < 5; i++) { /* the same record under a key one byte different */
        memcpy(kb, "key-1", 5);
        kb[i] ^= 0x20;
        MDB_val k2 = {5, kb};
        cr_assert(!sdb_record_check(&k2, &v, &out), "key byte %zu", i);
    }
    MDB_val shorter = {4, "key-"};
    cr_assert(!sdb_record_check(&shorter, &v, &out));
}

Test(sdb_record, index_key_round_trip)
{
    uint8 buf[8 + SDB_MAX_KEY];
    MDB_val key = {3, "abc"}, ikey, back;
    uint64_t e = 0;
    sdb_record_index_key(buf, 0x1122334455667788ull, &key, &ikey);
    cr_assert_eq(ikey.mv_size, 11);
    cr_assert_eq(buf[0], 0x11, "big-endian, so the index sorts by time");
    cr_assert(sdb_record_index_split(&ikey, &e, &back));
    cr_assert_eq(e, 0x1122334455667788ull);
    cr_assert_eq(back.mv_size, 3);
    cr_assert_arr_eq(back.mv_data, "abc", 3);
    MDB_val tooShort = {8, buf};
    cr_assert(!sdb_record_index_split(&tooShort, &e, &back));
}
