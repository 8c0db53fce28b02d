/*
 * verify's browser check: what a browser meets, asked of the server itself. A CORS preflight
 * (OPTIONS with Origin and Access-Control-Request-Method/-Headers) from each origin of the
 * profile for each method of the rule, then a presigned PUT and a presigned DELETE of a
 * reserved key, sent as a client sends them. A refusal is drift, told in the 403 doctor's
 * words.
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "doctor/doctor.h"
#include "provision/reports.h"
#include "provision/steps.h"

static int note(skycrate_verify_report *r, skycrate_verify_status status, const char *fmt, ...)
    SKYCRATE_PRINTF(3, 4);

static int note(skycrate_verify_report *r, skycrate_verify_status status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    r->browser.status = status;
    skycrate__buf_clear(&r->browser.detail);
    return skycrate__buf_puts(&r->browser.detail, text);
}

static int presign(skycrate_presigned **out, const skycrate_presigner *ps, const char *method,
                   const char *bucket)
{
    skycrate_presign_request *req = NULL;
    int error = skycrate_presign_request_new(&req, method, bucket, SKYCRATE__BROWSER_PROBE_KEY);
    if (error == 0 && strcmp(method, "PUT") == 0)
        error = skycrate_presign_request_add_header(req, "Content-Type", "text/plain");
    if (error == 0)
        error = skycrate_presigner_sign(out, ps, req);
    skycrate_presign_request_free(req);
    return error;
}

/* 1 when every preflight was allowed, 0 (with a drift note) when one was refused. */
static int preflights(skycrate_verify_report *r, skycrate_provisioner *p, const char *url)
{
    const char *methods[6];
    skycrate__cors_methods(methods, p->profile.cors_methods);
    skycrate__doctor_answer a = {0};
    int error = 0, allowed = 1;
    for (size_t o = 0; allowed && error == 0 && o < p->profile.cors_origins.count; o++)
        for (size_t m = 0; allowed && error == 0 && methods[m]; m++) {
            const char *origin = p->profile.cors_origins.items[o];
            bool put = strcmp(methods[m], "PUT") == 0;
            skycrate__kv headers[3] = {{"Origin", origin},
                                       {"Access-Control-Request-Method", methods[m]},
                                       {"Access-Control-Request-Headers", "content-type"}};
            if ((error = skycrate__doctor_send(&a, p->client, "OPTIONS", url, headers,
                                               put ? 3 : 2)) < 0)
                break;
            if (a.status / 100 != 2 ||
                !skycrate__doctor_headers_get(&a.headers, "Access-Control-Allow-Origin")) {
                allowed = 0;
                error = note(r, SKYCRATE_VERIFY_STATUS_DRIFT,
                             "the CORS preflight from %s for %s was refused (HTTP %d)", origin,
                             methods[m], a.status);
            }
        }
    skycrate__doctor_answer_dispose(&a);
    return error < 0 ? error : allowed;
}

/* Sends the presigned request as a client does: 1 when the server takes it, 0 (drift, in the
 * doctor's words) when it refuses it. */
static int accepted(skycrate_verify_report *r, skycrate_provisioner *p,
                    const skycrate_doctor *doctor, const skycrate_presigned *contract)
{
    skycrate__kv headers[8];
    size_t n = 0;
    for (size_t i = 0; i < skycrate_presigned_header_count(contract) && n < 8; i++)
        skycrate_presigned_header(&headers[n].name, &headers[n].value, contract, i), n++;
    skycrate__doctor_answer a = {0};
    skycrate_doctor_case *dc = NULL;
    skycrate_diagnosis *d = NULL;
    int error = skycrate__doctor_send(&a, p->client, skycrate_presigned_method(contract),
                                      skycrate_presigned_url(contract), headers, n);
    if (error == 0 && a.status / 100 == 2) {
        error = 1;
        goto done;
    }
    if (error == 0)
        error = skycrate_doctor_case_new(&dc);
    if (error == 0)
        error = skycrate_doctor_case_set_contract(dc, contract);
    if (error == 0)
        error = skycrate_doctor_case_set_answer(dc, 0, a.status, a.body.ptr, a.body.len);
    const char *date = skycrate__doctor_headers_get(&a.headers, "Date");
    if (error == 0 && date)
        error = skycrate_doctor_case_add_answer_header(dc, 0, "Date", date);
    if (error == 0)
        error = skycrate_doctor_diagnose(&d, doctor, dc);
    if (error == 0)
        error = note(r, SKYCRATE_VERIFY_STATUS_DRIFT, "a presigned %s of %s was refused: %s (%s)",
                     skycrate_presigned_method(contract), SKYCRATE__BROWSER_PROBE_KEY,
                     skycrate_diagnosis_message(d),
                     skycrate_verdict_name(skycrate_diagnosis_verdict(d)));
done:
    skycrate_diagnosis_free(d);
    skycrate_doctor_case_free(dc);
    skycrate__doctor_answer_dispose(&a);
    return error;
}

int skycrate__verify_browser(skycrate_verify_report *r, skycrate_provisioner *p, const char *bucket)
{
    if (p->profile.cors_origins.count == 0)
        return note(r, SKYCRATE_VERIFY_STATUS_NOT_CHECKED,
                    "no origin in the profile: no browser is expected");
    skycrate_presigner *ps = NULL;
    skycrate_doctor *doctor = NULL;
    skycrate_presigned *put = NULL, *del = NULL;
    int error = skycrate_presigner_new(&ps, p->client);
    if (error == 0)
        error = skycrate_doctor_new(&doctor, p->client);
    if (error == 0)
        error = presign(&put, ps, "PUT", bucket);
    if (error == 0)
        error = presign(&del, ps, "DELETE", bucket);
    if (error == 0 && (error = preflights(r, p, skycrate_presigned_url(put))) == 1 &&
        (error = accepted(r, p, doctor, put)) == 1 && (error = accepted(r, p, doctor, del)) == 1)
        error = note(r, SKYCRATE_VERIFY_STATUS_MATCH,
                     "preflights from %zu origin(s) allowed; a presigned PUT and DELETE of %s "
                     "accepted",
                     p->profile.cors_origins.count, SKYCRATE__BROWSER_PROBE_KEY);
    skycrate_presigned_free(del);
    skycrate_presigned_free(put);
    skycrate_doctor_free(doctor);
    skycrate_presigner_free(ps);
    return error < 0 ? error : 0;
}
