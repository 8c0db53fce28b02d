/*
 * Unit tests of deprovisioning, verify and usage (lib/provision) with the mock transport:
 * paginated versions, delete markers and multipart uploads, the ListObjectsV2 fallback,
 * BucketNotEmpty races, resume, dry runs, the usage math, drift detection, request bytes
 * against botocore's golden requests, allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/common.h"
#include "crypto/crypto.h"
#include "provfixture.h"
#include "provision/provisioner.h"
#include "testalloc.h"
#include "testutil.h"

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static prov_fixture fx;
static skycrate_provisioner *prov;

/* An active record of u42 for PROV_BUCKET in eu-west-1 (the client may be in another region). */
static void write_record_skipped(const char *state, const char *skipped, const char *extra)
{
    skycrate_user_store *store = NULL;
    char json[2048];
    snprintf(json, sizeof(json),
             "{\"userId\":\"u42\",\"bucket\":\"" PROV_BUCKET "\",\"region\":\"eu-west-1\","
             "\"endpoint\":\"https://s3.eu-west-1.amazonaws.com\",\"mode\":\"aws\","
             "\"failureMode\":\"strict\",\"state\":\"%s\",\"stepsPlanned\":[\"create\","
             "\"public-access-block\",\"encryption\",\"ownership-controls\",\"cors\","
             "\"tls-policy\",\"lifecycle\",\"tags\"],\"stepsDone\":[\"create\","
             "\"public-access-block\",\"encryption\",\"ownership-controls\",\"cors\","
             "\"tls-policy\",\"lifecycle\",\"tags\"],\"stepsSkipped\":[%s]%s}",
             state, skipped ? skipped : "", extra ? extra : "");
    unlink(fx.store_path);
    ck_assert_sky_ok(skycrate_user_store_new_file(&store, fx.store_path, 0));
    ck_assert_sky_ok(skycrate_user_store_put(store, "u42", json, NULL));
    skycrate_user_store_unref(store);
}

static void write_record(const char *state, const char *extra)
{
    write_record_skipped(state, NULL, extra);
}

static void make_provisioner(void)
{
    skycrate_provisioner_free(prov);
    skycrate_provisioner_config *cfg = prov_config(&fx);
    prov_golden_profile(cfg);
    prov = prov_new(&fx, cfg);
    skycrate_provisioner_config_free(cfg);
}

static void setup(void)
{
    ck_assert_int_eq(skycrate_global_init(&testalloc), 1);
    /* The client is in us-east-1: requests must follow the record's region. */
    prov_fixture_init(&fx, "us-east-1", NULL, 1);
    prov = NULL;
    make_provisioner();
    write_record("active", NULL);
}

static void teardown(void)
{
    skycrate_provisioner_free(prov);
    prov_fixture_dispose(&fx);
    skycrate_global_cleanup();
    ck_assert_int_eq(testalloc_outstanding(), 0);
}

static const char *error_doc(const char *code)
{
    static char doc[256];
    snprintf(doc, sizeof(doc), "<Error><Code>%s</Code><Message>%s here</Message></Error>", code,
             code);
    return doc;
}

/* ---- the listings of the golden deprovisioning ---- */

static const char uploads_1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult " NS
    "><Bucket>" PROV_BUCKET "</Bucket><EncodingType>url</EncodingType>"
    "<IsTruncated>true</IsTruncated><NextKeyMarker>big%20file.bin</NextKeyMarker>"
    "<NextUploadIdMarker>VXBsb2FkIElE.~-_+/=</NextUploadIdMarker><Upload>"
    "<Key>big%20file%2B.bin</Key><UploadId>VXBsb2FkIElE.~-_+/=</UploadId>"
    "<Initiated>2024-11-20T10:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>";
static const char uploads_2[] =
    "<ListMultipartUploadsResult " NS "><EncodingType>url</EncodingType>"
    "<IsTruncated>false</IsTruncated><Upload><Key>other.bin</Key><UploadId>U2</UploadId>"
    "</Upload></ListMultipartUploadsResult>";
static const char uploads_none[] = "<ListMultipartUploadsResult " NS "><IsTruncated>false"
                                   "</IsTruncated></ListMultipartUploadsResult>";
static const char versions_1[] =
    "<ListVersionsResult " NS "><EncodingType>url</EncodingType><Name>" PROV_BUCKET "</Name>"
    "<IsTruncated>true</IsTruncated><NextKeyMarker>photos/a%20b%2Bc.jpg</NextKeyMarker>"
    "<NextVersionIdMarker>3HL4kqtJlcpXroDTDmJ+rmSpXd3d/bIbr</NextVersionIdMarker>"
    "<Version><Key>photos/a%20b%26c.jpg</Key><VersionId>3HL4kqtJlcpXroDTDmJ+rmSpXd3d/bIbr"
    "</VersionId><IsLatest>true</IsLatest><Size>100</Size><StorageClass>STANDARD</StorageClass>"
    "</Version><DeleteMarker><Key>%3Codd%3E%20%22key%22</Key><VersionId>null</VersionId>"
    "<IsLatest>true</IsLatest></DeleteMarker><Version><Key>caf%C3%A9/%E6%97%A5%E6%9C%AC.txt"
    "</Key><VersionId>v3</VersionId><IsLatest>false</IsLatest><Size>20</Size></Version>"
    "</ListVersionsResult>";
static const char versions_2[] =
    "<ListVersionsResult " NS "><EncodingType>url</EncodingType><IsTruncated>false"
    "</IsTruncated><Version><Key>z.txt</Key><VersionId>v9</VersionId><Size>5</Size></Version>"
    "</ListVersionsResult>";
static const char versions_none[] =
    "<ListVersionsResult " NS "><IsTruncated>false</IsTruncated></ListVersionsResult>";
static const char deleted_ok[] = "<DeleteResult " NS "></DeleteResult>";

static void push(int status, const char *body)
{
    mock_push_str(fx.mock, status, "x-amz-request-id: R\r\n", body);
}

/* Every request of a complete, paginated deprovisioning, in order. */
static void script_full_deprovision(void)
{
    push(200, uploads_1);
    push(204, "");
    push(200, uploads_2);
    push(204, "");
    push(200, versions_1);
    push(200, deleted_ok);
    push(200, versions_2);
    push(200, deleted_ok);
    push(204, ""); /* DeleteBucket */
    push(404, ""); /* HeadBucket: gone */
}

START_TEST(deprovision_deletes_everything_page_by_page)
{
    script_full_deprovision();
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_int_eq(skycrate_deprovision_report_dry_run(rep), 0);
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 3);
    ck_assert_uint_eq(skycrate_deprovision_report_delete_markers(rep), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_uploads(rep), 2);
    ck_assert_uint_eq(skycrate_deprovision_report_bytes(rep), 125);
    const skycrate_record *rec = skycrate_deprovision_report_record(rep);
    ck_assert_int_eq(skycrate_record_state(rec), SKYCRATE_STATE_DELETED);
    char *json = NULL;
    ck_assert_sky_ok(skycrate_deprovision_report_to_json(&json, rep, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"dryRun\":false,\"versions\":3,\"deleteMarkers\":1,"
                                       "\"uploads\":2,\"bytes\":125,\"record\":{"));
    skycrate_free(json);
    skycrate_deprovision_report_free(rep);

    const char *golden[] = {"list-uploads",  "list-uploads-next",  "abort-upload",
                            "list-versions", "list-versions-next", "delete-objects",
                            "delete-bucket", "head-bucket"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(golden); i++)
        golden_check(fx.mock, golden[i]);
    /* The second page went in its own DeleteObjects, with Content-MD5. */
    const mock_req *second = mock_request(fx.mock, 7);
    ck_assert_str_eq(second->method, "POST");
    ck_assert_str_eq((const char *)second->body,
                     "<Delete " NS "><Object><Key>z.txt</Key><VersionId>v9</VersionId></Object>"
                     "<Quiet>true</Quiet></Delete>");
    ck_assert_ptr_nonnull(mock_request_header(second, "Content-MD5"));

    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deleted");
    ck_assert_str_ne(prov_str(r, "deletedAt"), "");
    json_t *d = json_object_get(r, "deprovision");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "versions")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "bytes")), 125);
    json_decref(r);

    /* Again: already deleted, nothing sent. */
    size_t sent = mock_request_count(fx.mock);
    ck_assert_sky_ok(skycrate_provisioner_deprovision(NULL, prov, "u42", 0));
    ck_assert_uint_eq(mock_request_count(fx.mock), sent);
}
END_TEST

START_TEST(a_dry_run_counts_and_changes_nothing)
{
    push(200, uploads_1);
    push(200, uploads_2);
    push(200, versions_1);
    push(200, versions_2);
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(
        skycrate_provisioner_deprovision(&rep, prov, "u42", SKYCRATE_DEPROVISION_DRY_RUN));
    ck_assert_int_eq(skycrate_deprovision_report_dry_run(rep), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 3);
    ck_assert_uint_eq(skycrate_deprovision_report_delete_markers(rep), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_uploads(rep), 2);
    ck_assert_uint_eq(skycrate_deprovision_report_bytes(rep), 125);
    ck_assert_int_eq(skycrate_record_state(skycrate_deprovision_report_record(rep)),
                     SKYCRATE_STATE_ACTIVE);
    skycrate_deprovision_report_free(rep);
    ck_assert_uint_eq(mock_request_count(fx.mock), 4);
    ck_assert_uint_eq(mock_count(fx.mock, "GET", ""), 4);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "active");
    ck_assert_ptr_null(json_object_get(r, "deprovision"));
    json_decref(r);
}
END_TEST

START_TEST(bucket_not_empty_starts_another_round)
{
    push(200, uploads_none);
    push(200, versions_2);
    push(200, deleted_ok);
    push(409, error_doc("BucketNotEmpty"));
    push(200, uploads_none);
    push(200, versions_2); /* written meanwhile */
    push(200, deleted_ok);
    push(204, "");
    push(404, "");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 2);
    skycrate_deprovision_report_free(rep);
    ck_assert_uint_eq(mock_count(fx.mock, "DELETE", ".com/"), 2);
}
END_TEST

START_TEST(without_version_listing_objects_are_listed)
{
    push(501, error_doc("NotImplemented")); /* no multipart listing */
    /* ?versions answered with a plain listing, as some servers do for unknown subresources */
    push(200, "<ListBucketResult " NS "><Name>b</Name><IsTruncated>false</IsTruncated>"
              "</ListBucketResult>");
    push(200, "<ListBucketResult " NS "><EncodingType>url</EncodingType><IsTruncated>true"
              "</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
              "wm36Hy4vbOwM=</NextContinuationToken><Contents><Key>a.txt</Key><Size>1</Size>"
              "</Contents><Contents><Key>b/c.txt</Key><Size>2</Size></Contents>"
              "</ListBucketResult>");
    push(200, deleted_ok);
    push(200, "<ListBucketResult " NS "><IsTruncated>false</IsTruncated></ListBucketResult>");
    push(204, "");
    push(404, "");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 2);
    ck_assert_uint_eq(skycrate_deprovision_report_bytes(rep), 3);
    skycrate_deprovision_report_free(rep);
    golden_check(fx.mock, "list-objects");
    golden_check(fx.mock, "list-objects-next");
    golden_check(fx.mock, "delete-objects-unversioned");
}
END_TEST

START_TEST(a_failed_deprovisioning_resumes)
{
    push(200, uploads_2);
    push(204, "");
    push(200, versions_2);
    push(403, error_doc("AccessDenied"));
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, prov, "u42", 0), SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "deprovisioning user 'u42'"));
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deprovisioning");
    ck_assert_ptr_nonnull(strstr(prov_str(r, "error"), "AccessDenied"));
    json_decref(r);
    /* Provisioning waits for it. */
    ck_assert_int_eq(skycrate_provisioner_provision(NULL, prov, "u42"), SKYCRATE_ECONFLICT);

    push(200, uploads_none);
    push(200, versions_2);
    push(200, deleted_ok);
    push(204, "");
    push(404, "");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    /* Counts add up over both calls. */
    ck_assert_uint_eq(skycrate_deprovision_report_uploads(rep), 1);
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 1);
    ck_assert_str_eq(skycrate_record_error(skycrate_deprovision_report_record(rep)), "");
    skycrate_deprovision_report_free(rep);
}
END_TEST

START_TEST(keys_that_could_not_be_deleted_are_an_error)
{
    push(200, uploads_none);
    push(200, versions_2);
    push(200, "<DeleteResult " NS "><Error><Key>z.txt</Key><VersionId>v9</VersionId>"
              "<Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>");
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, prov, "u42", 0), SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "'z.txt': AccessDenied"));
}
END_TEST

START_TEST(a_bucket_already_gone_is_recorded)
{
    push(404, error_doc("NoSuchBucket"));
    push(404, "");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_int_eq(skycrate_record_state(skycrate_deprovision_report_record(rep)),
                     SKYCRATE_STATE_DELETED);
    skycrate_deprovision_report_free(rep);
    ck_assert_uint_eq(mock_request_count(fx.mock), 2);
}
END_TEST

START_TEST(the_bucket_must_answer_404_in_the_end)
{
    push(200, uploads_none);
    push(200, versions_none);
    push(204, "");
    push(200, ""); /* still visible for a moment */
    push(404, "");
    ck_assert_sky_ok(skycrate_provisioner_deprovision(NULL, prov, "u42", 0));
    ck_assert_uint_eq(mock_count(fx.mock, "HEAD", ""), 2);

    write_record("active", NULL);
    prov->tuning.confirm_attempts = 2;
    push(200, uploads_none);
    push(200, versions_none);
    push(204, "");
    push(200, "");
    push(200, "");
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, prov, "u42", 0), SKYCRATE_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "still exists"));
}
END_TEST

START_TEST(a_key_xml_cannot_carry_is_deleted_alone)
{
    push(200, uploads_none);
    push(200, "<ListVersionsResult " NS "><EncodingType>url</EncodingType><IsTruncated>false"
              "</IsTruncated><Version><Key>bell%07key</Key><VersionId>v1</VersionId><Size>1"
              "</Size></Version><Version><Key>fine</Key><VersionId>v2</VersionId><Size>1</Size>"
              "</Version></ListVersionsResult>");
    push(204, ""); /* DeleteObject of the odd key */
    push(200, deleted_ok);
    push(204, "");
    push(404, "");
    ck_assert_sky_ok(skycrate_provisioner_deprovision(NULL, prov, "u42", 0));
    const mock_req *single = mock_request(fx.mock, 2);
    ck_assert_str_eq(single->method, "DELETE");
    ck_assert_str_eq(single->url,
                     "https://" PROV_BUCKET ".s3.eu-west-1.amazonaws.com/bell%07key?versionId=v1");
    ck_assert_str_eq((const char *)mock_request(fx.mock, 3)->body,
                     "<Delete " NS "><Object><Key>fine</Key><VersionId>v2</VersionId></Object>"
                     "<Quiet>true</Quiet></Delete>");
}
END_TEST

/* Replaces the mock with one of `lanes` lanes, and the provisioner with one using them all. */
static void use_lanes(unsigned int lanes)
{
    mock_free(fx.mock);
    fx.mock = mock_new();
    mock_set_concurrency(fx.mock, lanes);
    prov_fixture_client(&fx, "eu-west-1", NULL);
    make_provisioner();
}

START_TEST(uploads_are_aborted_on_every_lane)
{
    use_lanes(4);
    char page[4096] = "<ListMultipartUploadsResult " NS "><IsTruncated>false</IsTruncated>";
    for (int i = 0; i < 9; i++) {
        char up[128];
        snprintf(up, sizeof(up), "<Upload><Key>k%d</Key><UploadId>u%d</UploadId></Upload>", i, i);
        strcat(page, up);
    }
    strcat(page, "</ListMultipartUploadsResult>");
    mock_route(fx.mock, "GET", "uploads=", 200, "", page);
    for (int i = 0; i < 9; i++) {
        char part[32];
        snprintf(part, sizeof(part), "/k%d?uploadId=u%d", i, i);
        mock_route(fx.mock, "DELETE", part, i == 4 ? 404 : 204, "",
                   i == 4 ? error_doc("NoSuchUpload") : "");
    }
    mock_route(fx.mock, "GET", "versions=", 200, "", versions_none);
    mock_route(fx.mock, "DELETE", ".com/", 204, "", "");
    mock_route(fx.mock, "HEAD", "", 404, "", "");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_uint_eq(skycrate_deprovision_report_uploads(rep), 9);
    skycrate_deprovision_report_free(rep);
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
}
END_TEST

/* A ListVersionsResult of versions k<first> .. k<first + n - 1> of 10 bytes each (malloc'd). */
static char *versions_page(int first, int n, bool last)
{
    size_t cap = 512 + (size_t)n * 128;
    char *page = malloc(cap);
    ck_assert_ptr_nonnull(page);
    int len = snprintf(page, cap, "<ListVersionsResult " NS "><IsTruncated>%s</IsTruncated>",
                       last ? "false" : "true");
    if (!last)
        len += snprintf(page + len, cap - (size_t)len,
                        "<NextKeyMarker>k%d</NextKeyMarker><NextVersionIdMarker>v%d"
                        "</NextVersionIdMarker>",
                        first + n - 1, first + n - 1);
    for (int i = first; i < first + n; i++)
        len += snprintf(page + len, cap - (size_t)len,
                        "<Version><Key>k%d</Key><VersionId>v%d</VersionId><Size>10</Size>"
                        "</Version>",
                        i, i);
    snprintf(page + len, cap - (size_t)len, "</ListVersionsResult>");
    return page;
}

/* Checks the DeleteObjects requests: each names at most 1000 versions with their Content-MD5,
 * and together they name k0 .. k<total - 1> once each. Returns how many there were. */
static size_t check_deletes(int total)
{
    char *seen = calloc((size_t)total, 1);
    ck_assert_ptr_nonnull(seen);
    size_t deletes = 0;
    for (size_t i = 0; i < mock_request_count(fx.mock); i++) {
        const mock_req *r = mock_request(fx.mock, i);
        if (strcmp(r->method, "POST") || !strstr(r->url, "?delete"))
            continue;
        deletes++;
        char md5[25];
        skycrate__content_md5(md5, r->body, r->body_length);
        ck_assert_str_eq(mock_request_header(r, "Content-MD5"), md5);
        int objects = 0;
        for (const char *k = (const char *)r->body; (k = strstr(k, "<Key>k")) != NULL; k++) {
            int n = atoi(k + 6);
            ck_assert_int_lt(n, total);
            ck_assert_msg(!seen[n], "k%d deleted twice", n);
            seen[n] = 1;
            objects++;
        }
        ck_assert_int_le(objects, 1000);
    }
    for (int n = 0; n < total; n++)
        ck_assert_msg(seen[n], "k%d was not deleted", n);
    free(seen);
    return deletes;
}

START_TEST(deletes_run_one_batch_per_lane_at_once)
{
    use_lanes(2);
    char *pages[] = {versions_page(0, 1000, false), versions_page(1000, 1000, false),
                     versions_page(2000, 1500, true)};
    push(200, uploads_none);
    push(200, pages[0]);
    push(200, pages[1]);
    mock_route(fx.mock, "POST", "?delete", 200, "", deleted_ok);
    mock_route(fx.mock, "POST", "?delete", 200, "", deleted_ok);
    push(200, pages[2]); /* listed once the first two batches are deleted */
    mock_route(fx.mock, "POST", "?delete", 200, "", deleted_ok);
    mock_route(fx.mock, "POST", "?delete", 200, "", deleted_ok);
    push(204, "");
    push(404, "");
    mock_gather(fx.mock, "?delete", 2); /* both lanes' DeleteObjects in flight at once */
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    ck_assert_uint_eq(mock_gathered_max(fx.mock), 2);
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 3500);
    ck_assert_uint_eq(skycrate_deprovision_report_bytes(rep), 35000);
    skycrate_deprovision_report_free(rep);
    /* The third page was listed after the first window (two pages) was deleted, and went in
     * two batches of 1000 and 500. */
    ck_assert_str_eq(mock_request(fx.mock, 5)->method, "GET");
    ck_assert_ptr_nonnull(strstr(mock_request(fx.mock, 5)->url, "key-marker=k1999"));
    ck_assert_uint_eq(check_deletes(3500), 4);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deleted");
    json_decref(r);
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(pages); i++)
        free(pages[i]);
}
END_TEST

START_TEST(a_failed_batch_keeps_what_the_others_deleted)
{
    use_lanes(3);
    char *pages[] = {versions_page(0, 1000, false), versions_page(1000, 1000, false),
                     versions_page(2000, 1000, true)};
    push(200, uploads_none);
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(pages); i++)
        push(200, pages[i]);
    mock_route(fx.mock, "POST", "?delete", 200, "", deleted_ok);
    mock_route(fx.mock, "POST", "?delete", 403, "", error_doc("AccessDenied"));
    mock_route(fx.mock, "POST", "?delete", 200, "", deleted_ok);
    mock_gather(fx.mock, "?delete", 3); /* all three answered only once all were sent */
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, prov, "u42", 0), SKYCRATE_EACCESS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "AccessDenied"));
    ck_assert_uint_eq(mock_gathered_max(fx.mock), 3);
    json_t *r = prov_record(&fx, "u42");
    ck_assert_str_eq(prov_str(r, "state"), "deprovisioning");
    ck_assert_ptr_nonnull(strstr(prov_str(r, "error"), "AccessDenied"));
    json_t *d = json_object_get(r, "deprovision");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "versions")), 2000);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "bytes")), 20000);
    json_decref(r);

    /* Resumed: the listing finds what is left. */
    char *rest = versions_page(1000, 1000, true);
    push(200, uploads_none);
    push(200, rest);
    push(200, deleted_ok);
    push(204, "");
    push(404, "");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_uint_eq(skycrate_deprovision_report_versions(rep), 3000);
    skycrate_deprovision_report_free(rep);
    free(rest);
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(pages); i++)
        free(pages[i]);
}
END_TEST

START_TEST(records_without_a_bucket_need_no_requests)
{
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, prov, "nobody", 0), SKYCRATE_ENOTFOUND);
    write_record("failed", ",\"rolledBack\":true");
    skycrate_deprovision_report *rep = NULL;
    ck_assert_sky_ok(skycrate_provisioner_deprovision(&rep, prov, "u42", 0));
    ck_assert_int_eq(skycrate_record_state(skycrate_deprovision_report_record(rep)),
                     SKYCRATE_STATE_DELETED);
    skycrate_deprovision_report_free(rep);
    ck_assert_uint_eq(mock_request_count(fx.mock), 0);
    skycrate_usage_report *u = NULL;
    ck_assert_int_eq(skycrate_provisioner_usage(&u, prov, "u42"), SKYCRATE_ENOTFOUND);
    skycrate_verify_report *v = NULL;
    ck_assert_int_eq(skycrate_provisioner_verify(&v, prov, "u42"), SKYCRATE_ENOTFOUND);
}
END_TEST

START_TEST(a_record_of_another_endpoint_is_refused)
{
    prov_fixture_client(&fx, "eu-west-1", "http://127.0.0.1:7480");
    make_provisioner();
    ck_assert_int_eq(skycrate_provisioner_deprovision(NULL, prov, "u42", 0), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "https://s3.eu-west-1"));
    ck_assert_uint_eq(mock_request_count(fx.mock), 0);
}
END_TEST

/* ---- usage ---- */

START_TEST(usage_adds_up_per_storage_class)
{
    /* A server without ListObjectVersions: current objects from ListObjectsV2, and it says so. */
    push(501, "<Error><Code>NotImplemented</Code></Error>");
    push(200, "<ListBucketResult " NS "><EncodingType>url</EncodingType><IsTruncated>true"
              "</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
              "wm36Hy4vbOwM=</NextContinuationToken>"
              "<Contents><Key>a</Key><Size>10</Size></Contents>"
              "<Contents><Key>b</Key><Size>5000000000</Size><StorageClass>GLACIER</StorageClass>"
              "</Contents><Contents><Key>c%20d</Key><Size>7</Size><StorageClass>STANDARD"
              "</StorageClass></Contents></ListBucketResult>");
    push(200, "<ListBucketResult " NS "><IsTruncated>false</IsTruncated>"
              "<Contents><Key>e</Key><Size>3</Size><StorageClass>STANDARD_IA</StorageClass>"
              "</Contents><Contents><Key>f</Key><Size>0</Size><StorageClass>GLACIER"
              "</StorageClass></Contents></ListBucketResult>");
    push(200, uploads_none);
    skycrate_usage_report *u = NULL;
    ck_assert_sky_ok(skycrate_provisioner_usage(&u, prov, "u42"));
    ck_assert_uint_eq(skycrate_usage_report_objects(u), 5);
    ck_assert_uint_eq(skycrate_usage_report_bytes(u), 5000000020ull);
    ck_assert_uint_eq(skycrate_usage_report_class_count(u), 3);
    ck_assert_str_eq(skycrate_usage_report_class_name(u, 0), "GLACIER");
    ck_assert_uint_eq(skycrate_usage_report_class_objects(u, 0), 2);
    ck_assert_uint_eq(skycrate_usage_report_class_bytes(u, 0), 5000000000ull);
    ck_assert_str_eq(skycrate_usage_report_class_name(u, 1), "STANDARD");
    ck_assert_uint_eq(skycrate_usage_report_class_objects(u, 1), 2);
    ck_assert_uint_eq(skycrate_usage_report_class_bytes(u, 1), 17);
    ck_assert_str_eq(skycrate_usage_report_class_name(u, 2), "STANDARD_IA");
    ck_assert_ptr_null(skycrate_usage_report_class_name(u, 3));
    ck_assert_uint_eq(skycrate_usage_report_class_bytes(u, 3), 0);
    ck_assert_int_eq(skycrate_usage_report_versions_listed(u), 0);
    ck_assert_uint_eq(skycrate_usage_report_upload_count(u), 0);
    char *json = NULL;
    ck_assert_sky_ok(skycrate_usage_report_to_json(&json, u, 0));
    ck_assert_str_eq(
        json, "{\"userId\":\"u42\",\"bucket\":\"" PROV_BUCKET "\",\"mode\":\"aws\","
              "\"checked\":true,\"objects\":5,\"bytes\":5000000020,\"storageClasses\":{\"GLACIER\":"
              "{\"objects\":2,\"bytes\":5000000000},\"STANDARD\":{\"objects\":2,"
              "\"bytes\":17},\"STANDARD_IA\":{\"objects\":1,\"bytes\":3}},"
              "\"versionsListed\":false,\"noncurrent\":{\"objects\":0,\"bytes\":0},"
              "\"deleteMarkers\":0,\"unfinishedUploads\":{\"uploads\":0,\"parts\":0,"
              "\"bytes\":0}}");
    skycrate_free(json);
    skycrate_usage_report_free(u);
    golden_check(fx.mock, "list-objects");
    golden_check(fx.mock, "list-objects-next");
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
}
END_TEST

START_TEST(usage_counts_versions_markers_and_unfinished_uploads)
{
    /* Versions over two pages: current ones by storage class, noncurrent ones and delete
     * markers beside them; then the parts of an unfinished upload over two pages. */
    push(200, "<ListVersionsResult " NS "><EncodingType>url</EncodingType><IsTruncated>true"
              "</IsTruncated><NextKeyMarker>photos/a%20b%2Bc.jpg</NextKeyMarker>"
              "<NextVersionIdMarker>3HL4kqtJlcpXroDTDmJ+rmSpXd3d/bIbr</NextVersionIdMarker>"
              "<Version><Key>a</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest>"
              "<Size>10</Size></Version>"
              "<Version><Key>a</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>"
              "<Size>4</Size></Version>"
              "<DeleteMarker><Key>b</Key><VersionId>m1</VersionId><IsLatest>true</IsLatest>"
              "</DeleteMarker></ListVersionsResult>");
    push(200, "<ListVersionsResult " NS "><IsTruncated>false</IsTruncated>"
              "<Version><Key>b</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>"
              "<Size>7</Size></Version>"
              "<Version><Key>c</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest>"
              "<Size>5000000000</Size><StorageClass>GLACIER</StorageClass></Version>"
              "</ListVersionsResult>");
    push(200, "<ListMultipartUploadsResult " NS "><EncodingType>url</EncodingType>"
              "<IsTruncated>false</IsTruncated><Upload><Key>big%20file%2B.bin</Key>"
              "<UploadId>VXBsb2FkIElE.~-_+/=</UploadId></Upload></ListMultipartUploadsResult>");
    push(200, "<ListPartsResult " NS "><IsTruncated>true</IsTruncated>"
              "<NextPartNumberMarker>2</NextPartNumberMarker>"
              "<Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag><Size>5242880</Size></Part>"
              "<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag><Size>5242880</Size></Part>"
              "</ListPartsResult>");
    push(200, "<ListPartsResult " NS "><IsTruncated>false</IsTruncated>"
              "<Part><PartNumber>3</PartNumber><ETag>\"c\"</ETag><Size>17</Size></Part>"
              "</ListPartsResult>");
    skycrate_usage_report *u = NULL;
    ck_assert_sky_ok(skycrate_provisioner_usage(&u, prov, "u42"));
    ck_assert_int_eq(skycrate_usage_report_versions_listed(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_objects(u), 2);
    ck_assert_uint_eq(skycrate_usage_report_bytes(u), 5000000010ull);
    ck_assert_uint_eq(skycrate_usage_report_class_count(u), 2);
    ck_assert_uint_eq(skycrate_usage_report_noncurrent_objects(u), 2);
    ck_assert_uint_eq(skycrate_usage_report_noncurrent_bytes(u), 11);
    ck_assert_uint_eq(skycrate_usage_report_delete_markers(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_upload_count(u), 1);
    ck_assert_uint_eq(skycrate_usage_report_upload_parts(u), 3);
    ck_assert_uint_eq(skycrate_usage_report_upload_bytes(u), 2 * 5242880 + 17);
    char *json = NULL;
    ck_assert_sky_ok(skycrate_usage_report_to_json(&json, u, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"versionsListed\":true,\"noncurrent\":{\"objects\":2,"
                                       "\"bytes\":11},\"deleteMarkers\":1,\"unfinishedUploads\":"
                                       "{\"uploads\":1,\"parts\":3,\"bytes\":10485777}}"));
    skycrate_free(json);
    skycrate_usage_report_free(u);
    golden_check(fx.mock, "list-versions");
    golden_check(fx.mock, "list-versions-next");
    golden_check(fx.mock, "list-uploads");
    golden_check(fx.mock, "list-parts");
    golden_check(fx.mock, "list-parts-next");
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
}
END_TEST

/* ---- verify ---- */

static const char pab_ok[] =
    "<PublicAccessBlockConfiguration " NS "><BlockPublicAcls>true</BlockPublicAcls>"
    "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>"
    "<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
static const char enc_ok[] =
    "<ServerSideEncryptionConfiguration " NS "><Rule><ApplyServerSideEncryptionByDefault>"
    "<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>"
    "<BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>";
static const char own_ok[] = "<OwnershipControls " NS "><Rule><ObjectOwnership>"
                             "BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>";
static const char cors_ok[] =
    "<CORSConfiguration " NS "><CORSRule><AllowedHeader>Content-Type</AllowedHeader>"
    "<AllowedHeader>content-md5</AllowedHeader><AllowedHeader>content-disposition"
    "</AllowedHeader><AllowedHeader>cache-control</AllowedHeader><AllowedHeader>x-amz-*"
    "</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
    "<AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>http://localhost:3000</AllowedOrigin>"
    "<AllowedOrigin>https://app.example.com</AllowedOrigin><ExposeHeader>ETag</ExposeHeader>"
    "<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>";
static const char policy_ok[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Other\",\"Effect\":\"Allow\","
    "\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
    "\"Principal\":{\"AWS\":[\"*\"]},\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3::"
    ":" PROV_BUCKET "\",\"arn:aws:s3:::" PROV_BUCKET
    "/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":false}}}]}";
static const char lifecycle_ok[] =
    "<LifecycleConfiguration " NS "><Rule><ID>other</ID><Filter><Prefix>logs/</Prefix></Filter>"
    "<Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7"
    "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule><Rule><ID>x</ID>"
    "<Prefix></Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload>"
    "<DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
    "</LifecycleConfiguration>";
static const char tags_ok[] = "<Tagging " NS "><TagSet><Tag><Key>extra</Key><Value>1</Value></Tag>"
                              "<Tag><Key>team</Key><Value>web + mobile @ 2024</Value></Tag>"
                              "<Tag><Key>skycrate:application</Key><Value>photos</Value></Tag>"
                              "<Tag><Key>skycrate:owner</Key><Value>u42</Value></Tag></TagSet>"
                              "</Tagging>";

static const char *verify_policy = policy_ok;

/* The browser check: a preflight per origin (2) and method (3), a presigned PUT and DELETE. */
#define BROWSER_REQUESTS 8
static void route_browser(void)
{
    for (int i = 0; i < 6; i++)
        mock_route(fx.mock, "OPTIONS", ".skycrate/browser-probe", 200,
                   "Access-Control-Allow-Origin: http://localhost:3000\r\n", "");
    mock_route(fx.mock, "PUT", ".skycrate/browser-probe", 200, "ETag: \"x\"\r\n", "");
    mock_route(fx.mock, "DELETE", ".skycrate/browser-probe", 204, "", "");
}

static void route_verify(const char *pab, const char *enc, const char *cors, const char *tags)
{
    route_browser();
    mock_route(fx.mock, "HEAD", "", 200, "x-amz-bucket-region: eu-west-1\r\n", "");
    mock_route(fx.mock, "GET", "?publicAccessBlock", 200, "", pab);
    mock_route(fx.mock, "GET", "?encryption", 200, "", enc);
    mock_route(fx.mock, "GET", "?ownershipControls", 200, "", own_ok);
    mock_route(fx.mock, "GET", "?cors", 200, "", cors);
    mock_route(fx.mock, "GET", "?policy", 200, "", verify_policy);
    mock_route(fx.mock, "GET", "?lifecycle", 200, "", lifecycle_ok);
    if (tags)
        mock_route(fx.mock, "GET", "?tagging", 200, "", tags);
}

START_TEST(verify_reads_everything_back)
{
    mock_set_concurrency(fx.mock, 4);
    prov_fixture_client(&fx, "us-east-1", NULL);
    make_provisioner();
    route_verify(pab_ok, enc_ok, cors_ok, tags_ok);
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    for (int s = 0; s < 8; s++)
        ck_assert_msg(skycrate_verify_report_step(v, (skycrate_step)s) ==
                          SKYCRATE_VERIFY_STATUS_MATCH,
                      "%s: %s", skycrate_step_name((skycrate_step)s),
                      skycrate_verify_report_step_detail(v, (skycrate_step)s));
    ck_assert_int_eq(skycrate_verify_report_ok(v), 1);
    ck_assert_int_eq(skycrate_verify_report_bucket_exists(v), 1);
    ck_assert_str_eq(skycrate_verify_report_region(v), "eu-west-1");
    char *json = NULL;
    ck_assert_sky_ok(skycrate_verify_report_to_json(&json, v, 0));
    ck_assert_ptr_nonnull(strstr(json, "\"ok\":true,\"checked\":true,\"exists\":true,"
                                       "\"region\":\"eu-west-1\",\"steps\":{\"create\":"
                                       "{\"status\":\"match\""));
    ck_assert_ptr_nonnull(strstr(json, "\"browser\":{\"status\":\"match\",\"detail\":"
                                       "\"preflights from 2 origin(s) allowed; a presigned PUT "
                                       "and DELETE of .skycrate/browser-probe accepted\"}"));
    skycrate_free(json);
    /* Each origin asked for each method of the rule, as a browser asks. */
    ck_assert_uint_eq(mock_count(fx.mock, "OPTIONS", ".skycrate/browser-probe"), 6);
    size_t preflights = 0;
    for (size_t i = 0; i < mock_request_count(fx.mock); i++) {
        const mock_req *q = mock_request(fx.mock, i);
        if (strcmp(q->method, "OPTIONS") != 0)
            continue;
        preflights++;
        ck_assert_ptr_nonnull(mock_request_header(q, "Origin"));
        const char *m = mock_request_header(q, "Access-Control-Request-Method");
        ck_assert_msg(m && (!strcmp(m, "PUT") || !strcmp(m, "GET") || !strcmp(m, "HEAD")), "%s",
                      m ? m : "none");
        ck_assert_ptr_null(strstr(q->url, "X-Amz-Signature=\n"));
    }
    ck_assert_uint_eq(preflights, 6);
    skycrate_verify_report_free(v);
    ck_assert_uint_eq(mock_pending(fx.mock), 0);
    const char *golden[] = {"head-bucket",    "get-public-access-block",
                            "get-encryption", "get-ownership-controls",
                            "get-cors",       "get-policy",
                            "get-lifecycle",  "get-tags"};
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(golden); i++)
        golden_check(fx.mock, golden[i]);
}
END_TEST

START_TEST(verify_reports_drift)
{
    char pab_false[512];
    snprintf(pab_false, sizeof(pab_false),
             "<PublicAccessBlockConfiguration " NS "><BlockPublicAcls>false</BlockPublicAcls>"
             "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true"
             "</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"
             "</PublicAccessBlockConfiguration>");
    char cors[sizeof(cors_ok)];
    memcpy(cors, cors_ok, sizeof(cors));
    memcpy(strstr(cors, "localhost:3000"), "localhost:4000", 14);
    route_verify(pab_false,
                 "<ListBucketResult " NS "><Name>b</Name><IsTruncated>false</IsTruncated>"
                 "</ListBucketResult>",
                 cors, NULL);
    mock_route(fx.mock, "GET", "?tagging", 404, "", error_doc("NoSuchTagSet"));
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    ck_assert_int_eq(skycrate_verify_report_ok(v), 0);
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     SKYCRATE_VERIFY_STATUS_DRIFT);
    ck_assert_str_eq(skycrate_verify_report_step_detail(v, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     "BlockPublicAcls is false; the profile wants true");
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_ENCRYPTION),
                     SKYCRATE_VERIFY_STATUS_UNSUPPORTED);
    ck_assert_str_eq(skycrate_verify_report_step_detail(v, SKYCRATE_STEP_ENCRYPTION),
                     "the server answered <ListBucketResult>, not "
                     "<ServerSideEncryptionConfiguration>");
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_CORS),
                     SKYCRATE_VERIFY_STATUS_DRIFT);
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_TAGS),
                     SKYCRATE_VERIFY_STATUS_MISSING);
    ck_assert_str_eq(skycrate_verify_report_step_detail(v, SKYCRATE_STEP_TAGS),
                     "HTTP 404 NoSuchTagSet: NoSuchTagSet here");
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_LIFECYCLE),
                     SKYCRATE_VERIFY_STATUS_MATCH);
    char *json = NULL;
    ck_assert_sky_ok(skycrate_verify_report_to_json(&json, v, SKYCRATE_JSON_PRETTY));
    ck_assert_ptr_nonnull(strstr(json, "\"ok\": false"));
    ck_assert_ptr_nonnull(strstr(json, "\"status\": \"unsupported\""));
    skycrate_free(json);
    skycrate_verify_report_free(v);
}
END_TEST

START_TEST(verify_accepts_radosgw_public_access_block_root)
{
    char pab[sizeof(pab_ok) + 32];
    snprintf(pab, sizeof(pab),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><BlockPublicAccessBlockConfiguration>"
             "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
             "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true"
             "</RestrictPublicBuckets></BlockPublicAccessBlockConfiguration>");
    route_verify(pab, enc_ok, cors_ok, tags_ok);
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_PUBLIC_ACCESS_BLOCK),
                     SKYCRATE_VERIFY_STATUS_MATCH);
    skycrate_verify_report_free(v);
}
END_TEST

/* The TLS-only policy must deny everyone everything without TLS, on the bucket and its objects. */
START_TEST(verify_checks_what_the_tls_policy_covers)
{
#define DENY(principal, action, resource, secure)                                                  \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":" principal     \
    ",\"Action\":" action ",\"Resource\":" resource                                                \
    ",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":" secure "}}}]}"
#define ARN "\"arn:aws:s3:::" PROV_BUCKET
    static const struct {
        const char *policy;
        skycrate_verify_status want;
        const char *detail;
    } cases[] = {
        {DENY("\"*\"", "\"s3:*\"", "[" ARN "\"," ARN "/*\"]", "\"false\""),
         SKYCRATE_VERIFY_STATUS_MATCH, ""},
        {DENY("\"*\"", "\"*\"", "\"*\"", "[\"false\"]"), SKYCRATE_VERIFY_STATUS_MATCH, ""},
        /* Two statements may cover the two resources. */
        {"{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
         "\"Resource\":" ARN
         "\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},{\"Effect\":\"Deny\","
         "\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":" ARN "/*\",\"Condition\":{\"Bool\":"
         "{\"aws:SecureTransport\":false}}}]}",
         SKYCRATE_VERIFY_STATUS_MATCH, ""},
        {DENY("\"*\"", "\"s3:*\"", "[" ARN "\"]", "false"), SKYCRATE_VERIFY_STATUS_DRIFT,
         "the statement denying requests without TLS does not cover arn:aws:s3:::" PROV_BUCKET
         "/*"},
        {DENY("\"*\"", "\"s3:*\"", ARN "/*\"", "false"), SKYCRATE_VERIFY_STATUS_DRIFT,
         "the statement denying requests without TLS does not cover arn:aws:s3:::" PROV_BUCKET},
        {DENY("\"*\"", "\"s3:*\"", "\"arn:aws:s3:::other-bucket/*\"", "false"),
         SKYCRATE_VERIFY_STATUS_DRIFT,
         "the statement denying requests without TLS does not cover arn:aws:s3:::" PROV_BUCKET},
        {DENY("{\"AWS\":\"arn:aws:iam::123456789012:root\"}", "\"s3:*\"", "\"*\"", "false"),
         SKYCRATE_VERIFY_STATUS_DRIFT, "no statement denies every request without TLS"},
        {DENY("\"*\"", "\"s3:PutObject\"", "\"*\"", "false"), SKYCRATE_VERIFY_STATUS_DRIFT,
         "no statement denies every request without TLS"},
        {DENY("\"*\"", "\"s3:*\"", "\"*\"", "true"), SKYCRATE_VERIFY_STATUS_DRIFT,
         "no statement denies every request without TLS"},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
         "\"Resource\":"
         "\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}",
         SKYCRATE_VERIFY_STATUS_DRIFT, "no statement denies every request without TLS"},
        {"{}", SKYCRATE_VERIFY_STATUS_DRIFT, "no statement denies every request without TLS"},
        {"[]", SKYCRATE_VERIFY_STATUS_UNSUPPORTED, "the answer is not a JSON policy"},
    };
#undef DENY
#undef ARN
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(cases); i++) {
        verify_policy = cases[i].policy;
        route_verify(pab_ok, enc_ok, cors_ok, tags_ok);
        skycrate_verify_report *v = NULL;
        ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
        skycrate_verify_status got = skycrate_verify_report_step(v, SKYCRATE_STEP_TLS_POLICY);
        const char *detail = skycrate_verify_report_step_detail(v, SKYCRATE_STEP_TLS_POLICY);
        ck_assert_msg(got == cases[i].want, "case %zu: %d %s", i, got, detail);
        ck_assert_msg(!strncmp(detail, cases[i].detail, strlen(cases[i].detail)), "case %zu: %s", i,
                      detail);
        ck_assert_int_eq(skycrate_verify_report_ok(v),
                         cases[i].want == SKYCRATE_VERIFY_STATUS_MATCH);
        skycrate_verify_report_free(v);
        ck_assert_uint_eq(mock_pending(fx.mock), 0);
    }
    verify_policy = policy_ok;
}
END_TEST

/* A bucket whose CORS rule refuses an origin is drift. */
START_TEST(verify_browser_check_reports_a_refused_preflight)
{
    /* The first preflight is refused, as S3 refuses an origin its rule does not name. */
    mock_route(fx.mock, "OPTIONS", ".skycrate/browser-probe", 403, "",
               prov_error_doc("AccessDenied"));
    route_verify(pab_ok, enc_ok, cors_ok, tags_ok);
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    const char *detail = NULL;
    ck_assert_int_eq(skycrate_verify_report_browser(&detail, v), SKYCRATE_VERIFY_STATUS_DRIFT);
    ck_assert_msg(strstr(detail, "the CORS preflight from ") &&
                      strstr(detail, "refused (HTTP 403)"),
                  "%s", detail);
    ck_assert_int_eq(skycrate_verify_report_ok(v), 0);
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_CORS),
                     SKYCRATE_VERIFY_STATUS_MATCH);
    skycrate_verify_report_free(v);
    /* The check stops at the first refusal: the other preflights, the PUT and the DELETE. */
    ck_assert_uint_eq(mock_discard_unused(fx.mock), 8);
}
END_TEST

/* The preflights pass, the upload is refused: the doctor's verdict says why. */
START_TEST(verify_browser_check_reports_a_refused_upload)
{
    skycrate_verify_report *v = NULL;
    const char *detail = NULL;
    mock_route(fx.mock, "PUT", ".skycrate/browser-probe", 403, "", prov_error_doc("AccessDenied"));
    route_verify(pab_ok, enc_ok, cors_ok, tags_ok);
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    ck_assert_int_eq(skycrate_verify_report_browser(&detail, v), SKYCRATE_VERIFY_STATUS_DRIFT);
    ck_assert_msg(strstr(detail, "a presigned PUT of .skycrate/browser-probe was refused: ") &&
                      strstr(detail, "(access-denied)"),
                  "%s", detail);
    skycrate_verify_report_free(v);
    ck_assert_uint_eq(mock_discard_unused(fx.mock), 2); /* route_browser's PUT and the DELETE */
}
END_TEST

START_TEST(verify_of_a_missing_bucket_or_skipped_steps)
{
    mock_route(fx.mock, "HEAD", "", 404, "", "");
    skycrate_verify_report *v = NULL;
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    ck_assert_int_eq(skycrate_verify_report_ok(v), 0);
    ck_assert_int_eq(skycrate_verify_report_bucket_exists(v), 0);
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_CREATE),
                     SKYCRATE_VERIFY_STATUS_MISSING);
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_CORS),
                     SKYCRATE_VERIFY_STATUS_NOT_CHECKED);
    skycrate_verify_report_free(v);
    ck_assert_uint_eq(mock_request_count(fx.mock), 1);

    write_record_skipped("active",
                         "{\"step\":\"encryption\",\"note\":\"HTTP 400 InvalidArgument\"}", NULL);
    route_verify(pab_ok, enc_ok, cors_ok, tags_ok);
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_ENCRYPTION),
                     SKYCRATE_VERIFY_STATUS_NOT_CHECKED);
    ck_assert_str_eq(skycrate_verify_report_step_detail(v, SKYCRATE_STEP_ENCRYPTION),
                     "skipped when provisioning: HTTP 400 InvalidArgument");
    ck_assert_int_eq(skycrate_verify_report_ok(v), 1);
    skycrate_verify_report_free(v);
    ck_assert_uint_eq(mock_count(fx.mock, "GET", "?encryption"), 0);

    /* A bucket in another region than the record says. */
    mock_route(fx.mock, "HEAD", "", 200, "x-amz-bucket-region: eu-central-1\r\n", "");
    mock_route(fx.mock, "GET", "?publicAccessBlock", 200, "", pab_ok);
    mock_route(fx.mock, "GET", "?ownershipControls", 200, "", own_ok);
    mock_route(fx.mock, "GET", "?cors", 200, "", cors_ok);
    mock_route(fx.mock, "GET", "?policy", 200, "", verify_policy);
    mock_route(fx.mock, "GET", "?lifecycle", 200, "", lifecycle_ok);
    mock_route(fx.mock, "GET", "?tagging", 200, "", tags_ok);
    route_browser();
    ck_assert_sky_ok(skycrate_provisioner_verify(&v, prov, "u42"));
    ck_assert_int_eq(skycrate_verify_report_step(v, SKYCRATE_STEP_CREATE),
                     SKYCRATE_VERIFY_STATUS_DRIFT);
    ck_assert_str_eq(skycrate_verify_report_step_detail(v, SKYCRATE_STEP_CREATE),
                     "the bucket is in eu-central-1; the record says eu-west-1");
    ck_assert_int_eq(skycrate_verify_report_ok(v), 0);
    skycrate_verify_report_free(v);
    ck_assert_uint_eq(mock_discard_unused(fx.mock), 1); /* the encryption answer: never asked for */
}
END_TEST

/* ---- allocation failures ---- */

START_TEST(allocation_failures_are_enomem_and_leak_nothing)
{
    /* The record, read from the users file once, goes into a memory store for each round. */
    char *record = NULL;
    skycrate_user_store *file = NULL;
    ck_assert_sky_ok(skycrate_user_store_new_file(&file, fx.store_path, 0));
    ck_assert_sky_ok(skycrate_user_store_get(&record, file, "u42"));
    skycrate_user_store_unref(file);
    int failures = 0;
    for (long n = 1; n < 5000; n++) {
        mock_free(fx.mock);
        fx.mock = mock_new();
        mock_allow_unused(fx.mock); /* a failed allocation stops before the script ends */
        prov_fixture_client(&fx, "eu-west-1", NULL);
        skycrate_user_store *store = NULL;
        store = prov_memory_store();
        ck_assert_sky_ok(skycrate_user_store_put(store, "u42", record, NULL));
        skycrate_provisioner_config *cfg = prov_config(&fx);
        ck_assert_sky_ok(skycrate_provisioner_config_set_store(cfg, store));
        skycrate_provisioner_free(prov);
        prov = prov_new(&fx, cfg);
        skycrate_provisioner_config_free(cfg);
        script_full_deprovision();
        testalloc_fail_at(n);
        skycrate_deprovision_report *rep = NULL;
        int rc = skycrate_provisioner_deprovision(&rep, prov, "u42", 0);
        bool hit = testalloc_count() >= n;
        testalloc_fail_at(0);
        skycrate_deprovision_report_free(rep);
        skycrate_provisioner_free(prov);
        prov = NULL;
        skycrate_user_store_unref(store);
        ck_assert_msg(rc == 0 || rc == SKYCRATE_ENOMEM, "allocation %ld: %d %s", n, rc,
                      skycrate_error_last()->message);
        if (!hit) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        failures += rc == SKYCRATE_ENOMEM;
    }
    skycrate_free(record);
    ck_assert_int_gt(failures, 20);
}
END_TEST

START_TEST(verify_and_usage_under_allocation_failures)
{
    int failures = 0;
    for (long n = 1; n < 5000; n++) {
        mock_free(fx.mock);
        fx.mock = mock_new();
        mock_allow_unused(fx.mock); /* a failed allocation stops before the script ends */
        prov_fixture_client(&fx, "eu-west-1", NULL);
        make_provisioner();
        route_verify(pab_ok, enc_ok, cors_ok, tags_ok);
        mock_route(fx.mock, "GET", "versions=", 200, "",
                   "<ListVersionsResult " NS "><IsTruncated>false</IsTruncated><Version><Key>a"
                   "</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest><Size>3</Size>"
                   "<StorageClass>GLACIER</StorageClass></Version></ListVersionsResult>");
        mock_route(fx.mock, "GET", "uploads=", 200, "",
                   "<ListMultipartUploadsResult " NS "><IsTruncated>false</IsTruncated><Upload>"
                   "<Key>k</Key><UploadId>U</UploadId></Upload></ListMultipartUploadsResult>");
        mock_route(fx.mock, "GET", "uploadId=U", 200, "",
                   "<ListPartsResult " NS "><IsTruncated>false</IsTruncated><Part><PartNumber>1"
                   "</PartNumber><ETag>\"e\"</ETag><Size>9</Size></Part></ListPartsResult>");
        testalloc_fail_at(n);
        skycrate_verify_report *v = NULL;
        skycrate_usage_report *u = NULL;
        int rc = skycrate_provisioner_verify(&v, prov, "u42");
        if (rc == 0)
            rc = skycrate_provisioner_usage(&u, prov, "u42");
        bool hit = testalloc_count() >= n;
        testalloc_fail_at(0);
        ck_assert_msg(rc == 0 || rc == SKYCRATE_ENOMEM, "allocation %ld: %d %s", n, rc,
                      skycrate_error_last()->message);
        if (rc == 0) {
            char *j = NULL;
            skycrate_verify_report_to_json(&j, v, 0);
            ck_assert_msg(skycrate_verify_report_ok(v) == 1, "allocation %ld: %s", n, j);
            skycrate_free(j);
            ck_assert_uint_eq(skycrate_usage_report_bytes(u), 3);
            ck_assert_uint_eq(skycrate_usage_report_upload_bytes(u), 9);
        }
        skycrate_verify_report_free(v);
        skycrate_usage_report_free(u);
        if (!hit) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        failures += rc == SKYCRATE_ENOMEM;
    }
    ck_assert_int_gt(failures, 20);
}
END_TEST

static Suite *deprovision_suite(void)
{
    Suite *s = suite_create("deprovision");
    TCase *tc = tcase_create("deprovision");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, deprovision_deletes_everything_page_by_page);
    tcase_add_test(tc, a_dry_run_counts_and_changes_nothing);
    tcase_add_test(tc, bucket_not_empty_starts_another_round);
    tcase_add_test(tc, without_version_listing_objects_are_listed);
    tcase_add_test(tc, a_failed_deprovisioning_resumes);
    tcase_add_test(tc, keys_that_could_not_be_deleted_are_an_error);
    tcase_add_test(tc, a_bucket_already_gone_is_recorded);
    tcase_add_test(tc, the_bucket_must_answer_404_in_the_end);
    tcase_add_test(tc, a_key_xml_cannot_carry_is_deleted_alone);
    tcase_add_test(tc, uploads_are_aborted_on_every_lane);
    tcase_add_test(tc, deletes_run_one_batch_per_lane_at_once);
    tcase_add_test(tc, a_failed_batch_keeps_what_the_others_deleted);
    tcase_add_test(tc, records_without_a_bucket_need_no_requests);
    tcase_add_test(tc, a_record_of_another_endpoint_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("usage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, usage_adds_up_per_storage_class);
    tcase_add_test(tc, usage_counts_versions_markers_and_unfinished_uploads);
    suite_add_tcase(s, tc);

    tc = tcase_create("verify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, verify_reads_everything_back);
    tcase_add_test(tc, verify_reports_drift);
    tcase_add_test(tc, verify_accepts_radosgw_public_access_block_root);
    tcase_add_test(tc, verify_checks_what_the_tls_policy_covers);
    tcase_add_test(tc, verify_browser_check_reports_a_refused_preflight);
    tcase_add_test(tc, verify_browser_check_reports_a_refused_upload);
    tcase_add_test(tc, verify_of_a_missing_bucket_or_skipped_steps);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation failures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, allocation_failures_are_enomem_and_leak_nothing);
    tcase_add_test(tc, verify_and_usage_under_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(deprovision_suite)
