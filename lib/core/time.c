/*
 * Clock and time formats. All conversions are UTC and locale-independent.
 * SPDX-License-Identifier: MIT
 */
#include "core/time.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "skycrate/errors.h"

static int64_t (*override_fn)(void *);
static void *override_user_data;

void skycrate__clock_override(int64_t (*now_ms)(void *user_data), void *user_data)
{
    override_fn = now_ms;
    override_user_data = user_data;
}

int64_t skycrate__now_ms(void)
{
    if (override_fn)
        return override_fn(override_user_data);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t skycrate__monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct skycrate__clock {
    atomic_int_least64_t offset;
    atomic_int refcount;
};

int skycrate__clock_new(skycrate__clock **out)
{
    skycrate__clock *c = skycrate__calloc(1, sizeof(*c));
    *out = c;
    if (c == NULL)
        return SKYCRATE_ENOMEM;
    atomic_init(&c->offset, 0);
    atomic_init(&c->refcount, 1);
    return 0;
}

skycrate__clock *skycrate__clock_ref(skycrate__clock *clock)
{
    atomic_fetch_add_explicit(&clock->refcount, 1, memory_order_relaxed);
    return clock;
}

void skycrate__clock_unref(skycrate__clock *clock)
{
    if (clock && atomic_fetch_sub_explicit(&clock->refcount, 1, memory_order_acq_rel) == 1)
        skycrate__free(clock);
}

/* Relaxed: the offset is one value on its own, ordered with nothing else. */
int64_t skycrate__clock_offset(const skycrate__clock *clock)
{
    return atomic_load_explicit(&((skycrate__clock *)clock)->offset, memory_order_relaxed);
}

void skycrate__clock_set_offset(skycrate__clock *clock, int64_t seconds)
{
    atomic_store_explicit(&clock->offset, seconds, memory_order_relaxed);
}

int64_t skycrate__clock_now(const skycrate__clock *clock)
{
    return skycrate__now_ms() / 1000 + skycrate__clock_offset(clock);
}

void skycrate__sleep_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Days since the epoch for a civil date (Howard Hinnant's algorithm): no timegm, no TZ. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

typedef struct {
    int year;
    unsigned mon, day, hour, min, sec;
} civil;

static civil split(int64_t t)
{
    civil c;
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t rem = t - days * 86400;
    civil_from_days(days, &c.year, &c.mon, &c.day);
    c.hour = (unsigned)(rem / 3600);
    c.min = (unsigned)(rem / 60 % 60);
    c.sec = (unsigned)(rem % 60);
    return c;
}

static char *put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

void skycrate__format_iso8601(char out[21], int64_t t)
{
    civil c = split(t);
    char *p = put_digits(out, (unsigned)c.year, 4);
    *p++ = '-';
    p = put_digits(p, c.mon, 2);
    *p++ = '-';
    p = put_digits(p, c.day, 2);
    *p++ = 'T';
    p = put_digits(p, c.hour, 2);
    *p++ = ':';
    p = put_digits(p, c.min, 2);
    *p++ = ':';
    p = put_digits(p, c.sec, 2);
    *p++ = 'Z';
    *p = '\0';
}

/* The basic format: the extended one without its '-' and ':'. */
void skycrate__format_amz_date(char out[17], int64_t t)
{
    char iso[21];
    skycrate__format_iso8601(iso, t);
    size_t n = 0;
    for (const char *s = iso; *s; s++)
        if (*s != '-' && *s != ':')
            out[n++] = *s;
    out[n] = '\0';
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int compose(int64_t *out, unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                   unsigned s)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return SKYCRATE_EPARSE;
    *out = days_from_civil((int64_t)y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

int skycrate__parse_amz_date(int64_t *out, const char *s)
{
    unsigned y, mo, d, h, mi, se;
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || digits(s, 4, &y) ||
        digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
        digits(s + 11, 2, &mi) || digits(s + 13, 2, &se))
        return SKYCRATE_EPARSE;
    return compose(out, y, mo, d, h, mi, se);
}

int skycrate__parse_iso8601(int64_t *out, const char *s)
{
    unsigned y, mo, d, h, mi, se;
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
        digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return SKYCRATE_EPARSE;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return SKYCRATE_EPARSE;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        unsigned oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return SKYCRATE_EPARSE;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return SKYCRATE_EPARSE;
    }
    if (*p != '\0')
        return SKYCRATE_EPARSE;
    int64_t t;
    if (compose(&t, y, mo, d, h, mi, se) < 0)
        return SKYCRATE_EPARSE;
    *out = t - offset;
    return 0;
}

int skycrate__parse_http_date(int64_t *out, const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned d, y, h, mi, se;
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0 ||
        digits(s + 5, 2, &d) || digits(s + 12, 4, &y) || digits(s + 17, 2, &h) ||
        digits(s + 20, 2, &mi) || digits(s + 23, 2, &se))
        return SKYCRATE_EPARSE;
    const char *m = NULL;
    for (int i = 0; i < 12; i++)
        if (!strncmp(months + 3 * i, s + 8, 3))
            m = months + 3 * i;
    if (!m)
        return SKYCRATE_EPARSE;
    return compose(out, y, (unsigned)((m - months) / 3 + 1), d, h, mi, se);
}
