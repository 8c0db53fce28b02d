/*
 * One live handle of every kind (handles.h).
 */
#include "handles.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "http/http.h"
#include "mocktransport.h"
#include "provfixture.h"
#include "store/store.h"
#include "transfer/transfer.h"

#define OK(expr) ck_assert_msg((expr) == 0, "%s: %s", #expr, skycrate_error_last()->message)

#define HANDLE_NAME(upper, lower) #lower,
static const char *const names[HK_COUNT] = {HANDLE_KINDS(HANDLE_NAME)};
#undef HANDLE_NAME

const char *handle_kind_name(handle_kind kind)
{
    return kind < HK_COUNT ? names[kind] : "?";
}

uint32_t handle_magic(const void *h)
{
    uint32_t magic;
    memcpy(&magic, h, sizeof(magic));
    return magic;
}

int handles_read_fn(size_t *nread_out, void *buf, size_t capacity, void *user_data)
{
    (void)buf, (void)capacity, (void)user_data;
    *nread_out = 0;
    return SKYCRATE_EUSER;
}

int handles_write_fn(const void *data, size_t length, void *user_data)
{
    (void)data, (void)length, (void)user_data;
    return SKYCRATE_EUSER;
}

int handles_get_fn(skycrate_credentials **out, void *user_data)
{
    (void)out, (void)user_data;
    return SKYCRATE_ENOTFOUND;
}

void handles_log_fn(skycrate_log_level level, const char *message, void *user_data)
{
    (void)level, (void)message, (void)user_data;
}

int handles_progress_fn(uint64_t done, uint64_t total, void *user_data)
{
    (void)done, (void)total, (void)user_data;
    return 0;
}

/* The request and the value sink are made by the library on its stack and stamped before a
 * callback gets them; these stand in for them. */
static struct skycrate_http_request request;
static struct skycrate_http_response response;
static skycrate_user_store_value value;
static mock_transport *mock;

static const char listing[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                              "<Contents><Key>k</Key><ETag>\"e\"</ETag><Size>1</Size>"
                              "<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";

static void make_s3_side(void *h[HK_COUNT])
{
    mock = mock_new();
    skycrate_client_config *cfg = NULL;
    OK(skycrate_client_config_new(&cfg));
    OK(skycrate_client_config_set_region(cfg, "eu-west-1"));
    OK(skycrate_credentials_new((skycrate_credentials **)&h[HK_CREDENTIALS], "AKIDHANDLES",
                                "secret", NULL, 0));
    OK(skycrate_credentials_provider_new_static(
        (skycrate_credentials_provider **)&h[HK_CREDENTIALS_PROVIDER], h[HK_CREDENTIALS]));
    OK(skycrate_client_config_set_credentials_provider(cfg, h[HK_CREDENTIALS_PROVIDER]));
    h[HK_HTTP_TRANSPORT] = mock_transport_new(mock);
    OK(skycrate_client_config_set_transport(cfg, h[HK_HTTP_TRANSPORT]));
    OK(skycrate_client_new((skycrate_client **)&h[HK_CLIENT], cfg));
    h[HK_CLIENT_CONFIG] = cfg;

    mock_push_str(mock, 200, "ETag: \"e\"\r\nContent-Length: 1\r\n", "");
    OK(skycrate_object_head((skycrate_object_info **)&h[HK_OBJECT_INFO], h[HK_CLIENT], "bkt", "k"));
    mock_push_str(mock, 200, "Content-Type: application/xml\r\n", listing);
    OK(skycrate_object_list((skycrate_object_page **)&h[HK_OBJECT_PAGE], h[HK_CLIENT], "bkt", NULL,
                            NULL, 0));

    skycrate__http_response_init(&response);
    memset(&request, 0, sizeof(request));
    request.magic = SKYCRATE_MAGIC_HTTP_REQUEST;
    request.method = "GET";
    request.url = "https://bkt.s3.eu-west-1.amazonaws.com/k";
    h[HK_HTTP_REQUEST] = &request;
    h[HK_HTTP_RESPONSE] = &response;
}

static void make_presign_side(void *h[HK_COUNT])
{
    OK(skycrate_presigner_new((skycrate_presigner **)&h[HK_PRESIGNER], h[HK_CLIENT]));
    OK(skycrate_presign_request_new((skycrate_presign_request **)&h[HK_PRESIGN_REQUEST], "PUT",
                                    "bkt", "k"));
    OK(skycrate_presigner_sign((skycrate_presigned **)&h[HK_PRESIGNED], h[HK_PRESIGNER],
                               h[HK_PRESIGN_REQUEST]));
    OK(skycrate_post_policy_new((skycrate_post_policy **)&h[HK_POST_POLICY], "bkt"));
    OK(skycrate_post_policy_set_key(h[HK_POST_POLICY], "k"));
    OK(skycrate_presigner_sign_post((skycrate_post_form **)&h[HK_POST_FORM], h[HK_PRESIGNER],
                                    h[HK_POST_POLICY]));
    OK(skycrate_doctor_new((skycrate_doctor **)&h[HK_DOCTOR], h[HK_CLIENT]));
    OK(skycrate_doctor_case_new((skycrate_doctor_case **)&h[HK_DOCTOR_CASE]));
    OK(skycrate_doctor_case_set_contract(h[HK_DOCTOR_CASE], h[HK_PRESIGNED]));
    OK(skycrate_doctor_diagnose((skycrate_diagnosis **)&h[HK_DIAGNOSIS], h[HK_DOCTOR],
                                h[HK_DOCTOR_CASE]));
}

static void make_provision_side(void *h[HK_COUNT])
{
    h[HK_USER_STORE] = prov_memory_store();
    skycrate_provisioner_config *cfg = NULL;
    OK(skycrate_provisioner_config_new(&cfg));
    OK(skycrate_provisioner_config_set_dev_mode(cfg, 1));
    OK(skycrate_provisioner_config_set_store(cfg, h[HK_USER_STORE]));
    OK(skycrate_provisioner_new((skycrate_provisioner **)&h[HK_PROVISIONER], NULL, cfg));
    h[HK_PROVISIONER_CONFIG] = cfg;
    OK(skycrate_provisioner_provision((skycrate_record **)&h[HK_RECORD], h[HK_PROVISIONER], "u"));
    OK(skycrate_provisioner_verify((skycrate_verify_report **)&h[HK_VERIFY_REPORT],
                                   h[HK_PROVISIONER], "u"));
    OK(skycrate_provisioner_usage((skycrate_usage_report **)&h[HK_USAGE_REPORT], h[HK_PROVISIONER],
                                  "u"));
    OK(skycrate_provisioner_deprovision((skycrate_deprovision_report **)&h[HK_DEPROVISION_REPORT],
                                        h[HK_PROVISIONER], "u", SKYCRATE_DEPROVISION_DRY_RUN));
    memset(&value, 0, sizeof(value));
    value.magic = SKYCRATE_MAGIC_USER_STORE_VALUE;
    h[HK_USER_STORE_VALUE] = &value;
}

static void make_transfer_side(void *h[HK_COUNT])
{
    OK(skycrate_transfer_options_new((skycrate_transfer_options **)&h[HK_TRANSFER_OPTIONS]));
    OK(skycrate__transfer_result_new((skycrate_transfer_result **)&h[HK_TRANSFER_RESULT], "\"e\"",
                                     "id", 1, 0, 0));
}

void handles_make(void *h[HK_COUNT])
{
    memset(h, 0, HK_COUNT * sizeof(*h));
    make_s3_side(h);
    make_transfer_side(h);
    make_presign_side(h);
    make_provision_side(h);
    for (int k = 0; k < HK_COUNT; k++)
        ck_assert_msg(h[k] != NULL, "no handle of kind %s", names[k]);
}

void handles_release(void *h[HK_COUNT])
{
    skycrate_transfer_result_free(h[HK_TRANSFER_RESULT]);
    skycrate_transfer_options_free(h[HK_TRANSFER_OPTIONS]);
    skycrate_deprovision_report_free(h[HK_DEPROVISION_REPORT]);
    skycrate_usage_report_free(h[HK_USAGE_REPORT]);
    skycrate_verify_report_free(h[HK_VERIFY_REPORT]);
    skycrate_record_free(h[HK_RECORD]);
    skycrate_provisioner_free(h[HK_PROVISIONER]);
    skycrate_provisioner_config_free(h[HK_PROVISIONER_CONFIG]);
    skycrate_user_store_unref(h[HK_USER_STORE]);
    skycrate_diagnosis_free(h[HK_DIAGNOSIS]);
    skycrate_doctor_case_free(h[HK_DOCTOR_CASE]);
    skycrate_doctor_free(h[HK_DOCTOR]);
    skycrate_post_form_free(h[HK_POST_FORM]);
    skycrate_post_policy_free(h[HK_POST_POLICY]);
    skycrate_presigned_free(h[HK_PRESIGNED]);
    skycrate_presign_request_free(h[HK_PRESIGN_REQUEST]);
    skycrate_presigner_free(h[HK_PRESIGNER]);
    skycrate_object_page_free(h[HK_OBJECT_PAGE]);
    skycrate_object_info_free(h[HK_OBJECT_INFO]);
    skycrate_client_free(h[HK_CLIENT]);
    skycrate_client_config_free(h[HK_CLIENT_CONFIG]);
    skycrate_http_transport_unref(h[HK_HTTP_TRANSPORT]);
    skycrate_credentials_provider_unref(h[HK_CREDENTIALS_PROVIDER]);
    skycrate_credentials_unref(h[HK_CREDENTIALS]);
    skycrate__http_response_dispose(&response);
    skycrate__buf_dispose(&value.text);
    mock_free(mock);
    mock = NULL;
    memset(h, 0, HK_COUNT * sizeof(*h));
}
