/* Reader/writer: bounds, sticky errors, sub-readers, length prefixes (core/src/base/buf.c). */
#include <criterion/criterion.h>
#include <string.h>
#include "base/buf.h"

Test(buf, reads_in_bounds)
{
    const uint8_t m[] = {1, 0, 2, 0, 0, 3, 0, 0, 0, 4};
    struct rd r;
    rd_init(&r, m, sizeof m);
    cr_expect_eq(rd_u8(&r), 1);
    cr_expect_eq(rd_u16(&r), 2);
    cr_expect_eq(rd_u24(&r), 3);
    cr_expect_eq(rd_u32(&r), 4);
    cr_expect(rd_done(&r));
}

Test(buf, overrun_is_sticky)
{
    const uint8_t m[] = {1, 2};
    struct rd r;
    rd_init(&r, m, sizeof m);
    cr_expect_eq(rd_u24(&r), 0);
    cr_expect_eq(rd_u8(&r), 0, "reads after a failure return 0");
    cr_expect(!rd_done(&r));
}

Test(buf, sub_reader_bounded_and_shares_error)
{
    const uint8_t m[] = {3, 'a', 'b', 'c', 9};
    struct rd r, s;
    rd_init(&r, m, sizeof m);
    s = rd_sub8(&r);
    cr_expect_eq(rd_left(&s), 3);
    cr_expect_eq(rd_u16(&s), ('a' << 8) | 'b');
    cr_expect_eq(rd_u16(&s), 0, "cannot read past the sub-reader");
    cr_expect(!rd_ok(&r), "the parent sees the sub-reader's failure");
}

Test(buf, lying_length_fails)
{
    const uint8_t m[] = {0, 5, 'a'};
    struct rd r;
    rd_init(&r, m, sizeof m);
    struct rd s = rd_sub16(&r);
    cr_expect_eq(rd_left(&s), 0);
    cr_expect(!rd_done(&r));
}

Test(buf, every_truncation_fails)
{
    const uint8_t m[] = {0, 4, 1, 2, 3, 4, 7};
    for (size_t n = 0; n < sizeof m; n++) {
        struct rd r;
        rd_init(&r, m, n);
        struct rd s = rd_sub16(&r);
        rd_u32(&s);
        rd_done(&s);
        rd_u8(&r);
        cr_expect(!rd_done(&r), "truncated to %zu must fail", n);
    }
    struct rd r;
    rd_init(&r, m, sizeof m);
    struct rd s = rd_sub16(&r);
    rd_u32(&s);
    cr_expect(rd_done(&s));
    cr_expect_eq(rd_u8(&r), 7);
    cr_expect(rd_done(&r));
}

Test(buf, writer_prefixes_and_overflow)
{
    uint8_t out[8];
    struct wr w;
    wr_init(&w, out, sizeof out);
    size_t m = wr_open(&w, 2);
    wr_u8(&w, 0xaa);
    wr_u16(&w, 0xbbcc);
    wr_close(&w, m, 2);
    cr_expect(wr_ok(&w));
    const uint8_t want[] = {0, 3, 0xaa, 0xbb, 0xcc};
    cr_expect_eq(w.len, sizeof want);
    cr_expect(memcmp(out, want, sizeof want) == 0);
    wr_u32(&w, 1);
    cr_expect(!wr_ok(&w), "writing past capacity fails");
}

Test(buf, prefix_too_small_fails)
{
    uint8_t out[300];
    struct wr w;
    wr_init(&w, out, sizeof out);
    size_t m = wr_open(&w, 1);
    uint8_t z[256] = {0};
    wr_bytes(&w, z, sizeof z);
    wr_close(&w, m, 1);
    cr_expect(!wr_ok(&w));
}
