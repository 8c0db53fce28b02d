/*
 * libFuzzer target: a 403 doctor's case, as a presign server's /api/s3/diagnose takes it from a
 * browser, then its diagnosis. The input's sections, separated by a line holding only `\x1e`:
 * the contract as JSON (or, when it starts with "http", a URL sent with PUT), the headers the
 * client sent ("Name: value" lines), the page's origin, the server's answer to the request
 * (status 403) and to its preflight (status 200), the bucket's CORS configuration and its
 * policy; the request was sent at a fixed time. A case the setters accept must diagnose to a
 * known verdict, render as JSON, and never show the doctor's secret key (unless the input holds
 * it: a server's answer may repeat anything). The doctor computes only: its client's transport
 * refuses to send. Build and run: fuzz/README.md.
 */
#include "fuzz_common.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SECTIONS 7

static int refuse(skycrate_http_request *req, skycrate_http_response *resp, uint32_t flags,
                  void *user_data)
{
    (void)req, (void)resp, (void)flags, (void)user_data;
    FUZZ_CHECK(!"the doctor sent a request");
    return SKYCRATE_ECONNECT;
}

/* A client on an https endpoint with static keys and a transport that never runs. */
static int make_doctor(skycrate_doctor **out)
{
    skycrate_credentials *creds = NULL;
    skycrate_credentials_provider *provider = NULL;
    skycrate_http_transport *transport = NULL;
    skycrate_client_config *cfg = NULL;
    skycrate_client *client = NULL;
    skycrate_http_transport_callbacks cb;
    int rc = skycrate_http_transport_callbacks_init(&cb, SKYCRATE_HTTP_TRANSPORT_CALLBACKS_VERSION);
    cb.perform = refuse;
    if (rc == 0)
        rc = skycrate_http_transport_new(&transport, &cb);
    if (rc == 0)
        rc = skycrate_credentials_new(&creds, "AKIDEXAMPLE", SECRET, NULL, 0);
    if (rc == 0)
        rc = skycrate_credentials_provider_new_static(&provider, creds);
    if (rc == 0)
        rc = skycrate_client_config_new(&cfg);
    if (rc == 0)
        rc = skycrate_client_config_set_region(cfg, "us-east-1");
    if (rc == 0)
        rc = skycrate_client_config_set_endpoint(cfg, "https://s3.example.com");
    if (rc == 0)
        rc = skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_PATH);
    if (rc == 0)
        rc = skycrate_client_config_set_credentials_provider(cfg, provider);
    if (rc == 0)
        rc = skycrate_client_config_set_transport(cfg, transport);
    if (rc == 0)
        rc = skycrate_client_new(&client, cfg);
    if (rc == 0)
        rc = skycrate_doctor_new(out, client);
    skycrate_client_free(client);
    skycrate_client_config_free(cfg);
    skycrate_credentials_provider_unref(provider);
    skycrate_credentials_unref(creds);
    skycrate_http_transport_unref(transport);
    return rc;
}

/* Splits a copy of the input at lines holding only \x1e; missing or empty sections are NULL
 * (not given). */
static void split(char *copy, char *sections[SECTIONS])
{
    for (int i = 0; i < SECTIONS; i++) {
        sections[i] = copy;
        char *sep = copy ? strstr(copy, "\n\x1e\n") : NULL;
        if (sep) {
            *sep = '\0';
            copy = sep + 3;
        } else {
            copy = NULL;
        }
        if (sections[i] && !*sections[i])
            sections[i] = NULL;
    }
}

/* The sent headers, one "Name: value" a line. */
static int add_headers(skycrate_doctor_case *c, char *lines)
{
    int rc = 0;
    for (char *line = lines; line && rc == 0;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            rc = skycrate_doctor_case_add_sent_header(c, line, colon + 1 + (colon[1] == ' '));
        }
        line = next;
    }
    return rc;
}

/* Sent a minute after the seed corpus's URLs were signed: the same verdicts on any day. */
#define SENT_AT 1767225660

static int fill(skycrate_doctor_case *c, char *s[SECTIONS])
{
    int rc = skycrate_doctor_case_set_time(c, SENT_AT);
    if (rc == 0)
        rc = !s[0]                       ? 0
             : !strncmp(s[0], "http", 4) ? skycrate_doctor_case_set_sent(c, "PUT", s[0])
                                         : skycrate_doctor_case_set_contract_json(c, s[0]);
    if (rc == 0 && s[1])
        rc = add_headers(c, s[1]);
    if (rc == 0 && s[2])
        rc = skycrate_doctor_case_set_origin(c, s[2]);
    if (rc == 0 && s[3])
        rc = skycrate_doctor_case_set_answer(c, 0, 403, s[3], strlen(s[3]));
    if (rc == 0 && s[4])
        rc = skycrate_doctor_case_set_answer(c, 1, 200, s[4], strlen(s[4]));
    if (rc == 0 && (s[5] || s[6]))
        rc = skycrate_doctor_case_set_bucket(c, s[5], s[6]);
    return rc;
}

static int hex(char c)
{
    return c >= '0' && c <= '9'                     ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/* Whether the input itself holds the secret, as it is or percent-encoded (a server's answer
 * may repeat whatever it was sent): then the diagnosis may show it without having leaked it. */
static bool input_tells_secret(const char *data, size_t size)
{
    char *plain = malloc(size + 1);
    FUZZ_CHECK(plain != NULL);
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
        int hi = i + 2 < size ? hex(data[i + 1]) : -1, lo = i + 2 < size ? hex(data[i + 2]) : -1;
        if (data[i] == '%' && hi >= 0 && lo >= 0) {
            plain[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            plain[n++] = data[i];
        }
    }
    bool told =
        memmem(data, size, SECRET, strlen(SECRET)) || memmem(plain, n, SECRET, strlen(SECRET));
    free(plain);
    return told;
}

static void check_diagnosis(const skycrate_diagnosis *d, bool told)
{
    skycrate_verdict v = skycrate_diagnosis_verdict(d);
    FUZZ_CHECK(v >= SKYCRATE_VERDICT_OK && v <= SKYCRATE_VERDICT_NO_SUCH_BUCKET);
    FUZZ_CHECK(v == SKYCRATE_VERDICT_UNKNOWN || strcmp(skycrate_verdict_name(v), "unknown"));
    FUZZ_CHECK(told || !strstr(skycrate_diagnosis_message(d), SECRET));
    FUZZ_CHECK(told || !strstr(skycrate_diagnosis_expected(d), SECRET));
    FUZZ_CHECK(told || !strstr(skycrate_diagnosis_actual(d), SECRET));
}

static int diagnose(skycrate_doctor *doctor, skycrate_doctor_case *c, bool told)
{
    skycrate_diagnosis *d = NULL;
    char *json = NULL;
    int rc = skycrate_doctor_diagnose(&d, doctor, c);
    FUZZ_CHECK(rc == 0 || rc == SKYCRATE_EINVAL || rc == SKYCRATE_ENOMEM);
    FUZZ_CHECK((rc == 0) == (d != NULL));
    if (rc == 0) {
        check_diagnosis(d, told);
        rc = skycrate_diagnosis_to_json(&json, d, SKYCRATE_JSON_PRETTY);
        FUZZ_CHECK(rc == 0 || rc == SKYCRATE_ENOMEM);
        FUZZ_CHECK(rc < 0 || told || !strstr(json, SECRET));
    }
    skycrate_free(json);
    skycrate_diagnosis_free(d);
    return rc;
}

static int run(const char *data, size_t size)
{
    char *copy = malloc(size + 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0'; /* the setters take C strings: the input up to its first NUL */
    char *sections[SECTIONS];
    split(copy, sections);
    skycrate_doctor *doctor = NULL;
    skycrate_doctor_case *c = NULL;
    int rc = make_doctor(&doctor);
    if (rc == 0)
        rc = skycrate_doctor_case_new(&c);
    if (rc == 0)
        rc = fill(c, sections);
    if (rc == 0)
        rc = diagnose(doctor, c, input_tells_secret(data, size));
    skycrate_doctor_case_free(c);
    skycrate_doctor_free(doctor);
    free(copy);
    /* A case the setters or the doctor refuse is an input refused: EPARSE for fuzz_run(). */
    return rc == SKYCRATE_EINVAL ? SKYCRATE_EPARSE : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_run(run, (const char *)data, size, fuzz_pick_failure(data, size));
    return 0;
}
