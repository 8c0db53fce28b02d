"""The C library through ctypes: loading it, the prototypes of every function the binding
calls, and the conventions every call follows (0 or a negative code, the thread's last error).

Only pointers, integers and NUL-terminated strings cross the boundary: no struct is passed by
value and no function takes varargs. Handles are opaque ``c_void_p`` values owned by the
wrapper objects of the other modules.
"""

import ctypes
import ctypes.util
import os

# The release whose ABI this binding is written against. Before 1.0 every minor release may
# break (docs/abi.md), so the minor must match too.
ABI_MAJOR, ABI_MINOR = 0, 2
SONAME = "libskycrate.so.%d.%d" % (ABI_MAJOR, ABI_MINOR)
PG_SONAME = "libskycrate-pg.so.%d.%d" % (ABI_MAJOR, ABI_MINOR)

c_int, c_uint, c_char_p, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_char_p, ctypes.c_void_p
c_size_t, c_int64, c_uint32, c_uint64 = ctypes.c_size_t, ctypes.c_int64, ctypes.c_uint32, ctypes.c_uint64
P = ctypes.POINTER


class ErrorStruct(ctypes.Structure):
    """skycrate_error (skycrate/errors.h): read through a pointer, never passed by value."""

    _fields_ = [("age", c_int), ("code", c_int), ("message", c_char_p)]


class ResponseInfoStruct(ctypes.Structure):
    """skycrate_response_info (skycrate/client.h), version 1."""

    _fields_ = [
        ("age", c_int),
        ("http_status", c_int),
        ("s3_code", c_char_p),
        ("s3_message", c_char_p),
        ("request_id", c_char_p),
        ("host_id", c_char_p),
        ("region", c_char_p),
        ("string_to_sign", c_char_p),
        ("canonical_request", c_char_p),
        ("attempts", c_uint),
    ]


# Callback types (skycrate/credentials.h, store.h, log.h).
CREDENTIALS_GET_FN = ctypes.CFUNCTYPE(c_int, P(c_void_p), c_void_p)
FREE_FN = ctypes.CFUNCTYPE(None, c_void_p)
STORE_GET_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p, c_uint32, c_void_p)
STORE_PUT_FN = ctypes.CFUNCTYPE(c_int, c_char_p, c_char_p, c_char_p, c_uint32, c_void_p)
STORE_REMOVE_FN = ctypes.CFUNCTYPE(c_int, c_char_p, c_char_p, c_uint32, c_void_p)
LOG_FN = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_void_p)
# skycrate/transfer.h and common.h: progress(done, total, user_data), read(&n, buf, cap, user_data).
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_uint64, c_uint64, c_void_p)
READ_FN = ctypes.CFUNCTYPE(c_int, P(c_size_t), c_void_p, c_size_t, c_void_p)


class CredentialsProviderCallbacks(ctypes.Structure):
    """skycrate_credentials_provider_callbacks, version 1 (copied by the library)."""

    _fields_ = [
        ("version", c_uint),
        ("get", CREDENTIALS_GET_FN),
        ("free", FREE_FN),
        ("user_data", c_void_p),
        ("name", c_char_p),
    ]


class UserStoreCallbacks(ctypes.Structure):
    """skycrate_user_store_callbacks, version 1 (copied by the library)."""

    _fields_ = [
        ("version", c_uint),
        ("get", STORE_GET_FN),
        ("put", STORE_PUT_FN),
        ("remove", STORE_REMOVE_FN),
        ("free", FREE_FN),
        ("user_data", c_void_p),
    ]


# name: (restype, argtypes). Functions returning int follow the 0-or-negative-code rule.
PROTOTYPES = {
    # common, errors, log
    "skycrate_global_init": (c_int, [c_void_p]),
    "skycrate_version": (c_uint, []),
    "skycrate_version_string": (c_char_p, []),
    "skycrate_free": (None, [c_void_p]),
    "skycrate_strerror": (c_char_p, [c_int]),
    "skycrate_error_last": (P(ErrorStruct), []),
    "skycrate_error_clear": (None, []),
    "skycrate_error_set_str": (None, [c_int, c_char_p]),
    "skycrate_log_set": (None, [c_int, LOG_FN, c_void_p]),
    # credentials
    "skycrate_credentials_new": (c_int, [P(c_void_p), c_char_p, c_char_p, c_char_p, c_int64]),
    "skycrate_credentials_unref": (None, [c_void_p]),
    "skycrate_credentials_access_key_id": (c_char_p, [c_void_p]),
    "skycrate_credentials_secret_access_key": (c_char_p, [c_void_p]),
    "skycrate_credentials_session_token": (c_char_p, [c_void_p]),
    "skycrate_credentials_expiration": (c_int64, [c_void_p]),
    "skycrate_credentials_provider_callbacks_init": (c_int, [P(CredentialsProviderCallbacks), c_uint]),
    "skycrate_credentials_provider_new": (c_int, [P(c_void_p), P(CredentialsProviderCallbacks)]),
    "skycrate_credentials_provider_new_static": (c_int, [P(c_void_p), c_void_p]),
    "skycrate_credentials_provider_new_env": (c_int, [P(c_void_p)]),
    "skycrate_credentials_provider_new_chain": (c_int, [P(c_void_p), P(c_void_p), c_size_t]),
    "skycrate_credentials_provider_new_cached": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_credentials_provider_new_default": (c_int, [P(c_void_p), c_char_p]),
    "skycrate_credentials_provider_get": (c_int, [P(c_void_p), c_void_p]),
    "skycrate_credentials_provider_name": (c_char_p, [c_void_p]),
    "skycrate_credentials_provider_unref": (None, [c_void_p]),
    # client
    "skycrate_client_config_new": (c_int, [P(c_void_p)]),
    "skycrate_client_config_free": (None, [c_void_p]),
    "skycrate_client_config_set_region": (c_int, [c_void_p, c_char_p]),
    "skycrate_client_config_set_endpoint": (c_int, [c_void_p, c_char_p]),
    "skycrate_client_config_set_allow_http": (c_int, [c_void_p, c_int]),
    "skycrate_client_config_set_addressing": (c_int, [c_void_p, c_int]),
    "skycrate_client_config_set_timeouts": (c_int, [c_void_p, c_uint32, c_uint32]),
    "skycrate_client_config_set_retry": (c_int, [c_void_p, c_uint32, c_uint32, c_uint32]),
    "skycrate_client_config_set_user_agent_suffix": (c_int, [c_void_p, c_char_p]),
    "skycrate_client_config_set_ca": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_client_config_set_credentials_provider": (c_int, [c_void_p, c_void_p]),
    "skycrate_client_new": (c_int, [P(c_void_p), c_void_p]),
    "skycrate_client_free": (None, [c_void_p]),
    "skycrate_client_last_response": (P(ResponseInfoStruct), [c_void_p]),
    "skycrate_client_region": (c_char_p, [c_void_p]),
    "skycrate_client_clock_offset": (c_int64, [c_void_p]),
    "skycrate_client_set_clock_offset": (c_int, [c_void_p, c_int64]),
    # objects and buckets
    "skycrate_object_put": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, c_size_t, c_char_p]),
    "skycrate_object_put_file": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, c_char_p]),
    "skycrate_object_get": (c_int, [P(c_void_p), P(c_size_t), c_void_p, c_char_p, c_char_p]),
    "skycrate_object_get_file": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p]),
    "skycrate_object_head": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p]),
    "skycrate_object_delete": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_object_list": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, c_uint]),
    "skycrate_object_page_count": (c_size_t, [c_void_p]),
    "skycrate_object_page_entry": (c_void_p, [c_void_p, c_size_t]),
    "skycrate_object_page_next_token": (c_char_p, [c_void_p]),
    "skycrate_object_page_free": (None, [c_void_p]),
    "skycrate_object_info_key": (c_char_p, [c_void_p]),
    "skycrate_object_info_etag": (c_char_p, [c_void_p]),
    "skycrate_object_info_size": (c_uint64, [c_void_p]),
    "skycrate_object_info_last_modified": (c_int64, [c_void_p]),
    "skycrate_object_info_content_type": (c_char_p, [c_void_p]),
    "skycrate_object_info_version_id": (c_char_p, [c_void_p]),
    "skycrate_object_info_storage_class": (c_char_p, [c_void_p]),
    "skycrate_object_info_free": (None, [c_void_p]),
    "skycrate_bucket_create": (c_int, [c_void_p, c_char_p]),
    "skycrate_bucket_head": (c_int, [c_void_p, c_char_p]),
    "skycrate_bucket_delete": (c_int, [c_void_p, c_char_p]),
    "skycrate_multipart_create": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p]),
    "skycrate_multipart_complete": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, P(c_uint32), P(c_char_p), c_size_t]),
    "skycrate_multipart_abort": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p]),
    # presigner
    "skycrate_presigner_new": (c_int, [P(c_void_p), c_void_p]),
    "skycrate_presigner_free": (None, [c_void_p]),
    "skycrate_presigner_region": (c_char_p, [c_void_p]),
    "skycrate_presign_request_new": (c_int, [P(c_void_p), c_char_p, c_char_p, c_char_p]),
    "skycrate_presign_request_free": (None, [c_void_p]),
    "skycrate_presign_request_set_expires": (c_int, [c_void_p, c_int64]),
    "skycrate_presign_request_set_time": (c_int, [c_void_p, c_int64]),
    "skycrate_presign_request_add_header": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_presign_request_add_query": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_presign_request_set_upload_part": (c_int, [c_void_p, c_char_p, c_uint32]),
    "skycrate_presigner_sign": (c_int, [P(c_void_p), c_void_p, c_void_p]),
    "skycrate_presigner_sign_url": (c_int, [c_char_p, c_size_t, P(c_size_t), c_void_p, c_void_p]),
    "skycrate_presigner_sign_parts": (c_int, [P(c_void_p), c_size_t, c_void_p, c_char_p, c_char_p, c_char_p, c_uint32, c_int64]),
    "skycrate_presigned_free": (None, [c_void_p]),
    "skycrate_presigned_method": (c_char_p, [c_void_p]),
    "skycrate_presigned_bucket": (c_char_p, [c_void_p]),
    "skycrate_presigned_key": (c_char_p, [c_void_p]),
    "skycrate_presigned_url": (c_char_p, [c_void_p]),
    "skycrate_presigned_header_count": (c_size_t, [c_void_p]),
    "skycrate_presigned_header": (c_int, [P(c_char_p), P(c_char_p), c_void_p, c_size_t]),
    "skycrate_presigned_expires_at": (c_int64, [c_void_p]),
    "skycrate_presigned_expires_in": (c_int64, [c_void_p]),
    "skycrate_presigned_clamped": (c_int, [c_void_p]),
    "skycrate_presigned_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_presigned_explain": (c_int, [P(c_char_p), P(c_char_p), c_void_p]),
    "skycrate_upload_key": (c_int, [P(c_void_p), c_char_p, c_char_p, c_char_p]),
    "skycrate_post_policy_new": (c_int, [P(c_void_p), c_char_p]),
    "skycrate_post_policy_free": (None, [c_void_p]),
    "skycrate_post_policy_set_key": (c_int, [c_void_p, c_char_p]),
    "skycrate_post_policy_set_key_prefix": (c_int, [c_void_p, c_char_p]),
    "skycrate_post_policy_set_content_length_range": (c_int, [c_void_p, c_uint64, c_uint64]),
    "skycrate_post_policy_set_content_type": (c_int, [c_void_p, c_char_p]),
    "skycrate_post_policy_set_content_type_prefix": (c_int, [c_void_p, c_char_p]),
    "skycrate_post_policy_set_success_action_status": (c_int, [c_void_p, c_int]),
    "skycrate_post_policy_add_field": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_post_policy_set_expires": (c_int, [c_void_p, c_int64]),
    "skycrate_post_policy_set_time": (c_int, [c_void_p, c_int64]),
    "skycrate_presigner_sign_post": (c_int, [P(c_void_p), c_void_p, c_void_p]),
    "skycrate_post_form_free": (None, [c_void_p]),
    "skycrate_post_form_url": (c_char_p, [c_void_p]),
    "skycrate_post_form_field_count": (c_size_t, [c_void_p]),
    "skycrate_post_form_field": (c_int, [P(c_char_p), P(c_char_p), c_void_p, c_size_t]),
    "skycrate_post_form_expires_at": (c_int64, [c_void_p]),
    "skycrate_post_form_expires_in": (c_int64, [c_void_p]),
    "skycrate_post_form_clamped": (c_int, [c_void_p]),
    "skycrate_post_form_policy": (c_char_p, [c_void_p]),
    # user stores
    "skycrate_user_store_callbacks_init": (c_int, [P(UserStoreCallbacks), c_uint]),
    "skycrate_user_store_new": (c_int, [P(c_void_p), P(UserStoreCallbacks)]),
    "skycrate_user_store_new_file": (c_int, [P(c_void_p), c_char_p, c_uint32]),
    "skycrate_user_store_unref": (None, [c_void_p]),
    "skycrate_user_store_value_set": (c_int, [c_void_p, c_char_p, c_size_t]),
    "skycrate_user_store_get": (c_int, [P(c_void_p), c_void_p, c_char_p]),
    "skycrate_user_store_put": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p]),
    "skycrate_user_store_remove": (c_int, [c_void_p, c_char_p, c_char_p]),
    # provisioner
    "skycrate_provisioner_config_new": (c_int, [P(c_void_p)]),
    "skycrate_provisioner_config_free": (None, [c_void_p]),
    "skycrate_provisioner_config_set_store": (c_int, [c_void_p, c_void_p]),
    "skycrate_provisioner_config_set_bucket_prefix": (c_int, [c_void_p, c_char_p]),
    "skycrate_provisioner_config_set_failure_mode": (c_int, [c_void_p, c_int]),
    "skycrate_provisioner_config_set_dev_mode": (c_int, [c_void_p, c_int]),
    "skycrate_provisioner_config_set_public_access_block": (c_int, [c_void_p, c_uint32]),
    "skycrate_provisioner_config_set_encryption": (c_int, [c_void_p, c_int, c_char_p, c_int]),
    "skycrate_provisioner_config_set_object_ownership": (c_int, [c_void_p, c_int]),
    "skycrate_provisioner_config_add_cors_origin": (c_int, [c_void_p, c_char_p]),
    "skycrate_provisioner_config_set_cors_max_age": (c_int, [c_void_p, c_uint32]),
    "skycrate_provisioner_config_set_cors_methods": (c_int, [c_void_p, c_uint32]),
    "skycrate_provisioner_config_set_cors_allowed_headers": (c_int, [c_void_p, P(c_char_p), c_size_t]),
    "skycrate_provisioner_config_set_cors_expose_headers": (c_int, [c_void_p, P(c_char_p), c_size_t]),
    "skycrate_provisioner_config_set_tls_only_policy": (c_int, [c_void_p, c_int]),
    "skycrate_provisioner_config_set_abort_multipart_days": (c_int, [c_void_p, c_uint32]),
    "skycrate_provisioner_config_set_tagging": (c_int, [c_void_p, c_int]),
    "skycrate_provisioner_config_set_application": (c_int, [c_void_p, c_char_p]),
    "skycrate_provisioner_config_add_tag": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_provisioner_config_set_concurrency": (c_int, [c_void_p, c_uint]),
    "skycrate_provisioner_new": (c_int, [P(c_void_p), c_void_p, c_void_p]),
    "skycrate_provisioner_free": (None, [c_void_p]),
    "skycrate_provisioner_provision": (c_int, [P(c_void_p), c_void_p, c_char_p]),
    "skycrate_provisioner_deprovision": (c_int, [P(c_void_p), c_void_p, c_char_p, c_uint32]),
    "skycrate_provisioner_verify": (c_int, [P(c_void_p), c_void_p, c_char_p]),
    "skycrate_provisioner_usage": (c_int, [P(c_void_p), c_void_p, c_char_p]),
    "skycrate_provisioner_show": (c_int, [P(c_void_p), c_void_p, c_char_p]),
    "skycrate_step_name": (c_char_p, [c_int]),
    "skycrate_state_name": (c_char_p, [c_int]),
    "skycrate_record_user_id": (c_char_p, [c_void_p]),
    "skycrate_record_bucket": (c_char_p, [c_void_p]),
    "skycrate_record_region": (c_char_p, [c_void_p]),
    "skycrate_record_endpoint": (c_char_p, [c_void_p]),
    "skycrate_record_mode": (c_char_p, [c_void_p]),
    "skycrate_record_state": (c_int, [c_void_p]),
    "skycrate_record_step": (c_int, [c_void_p, c_int]),
    "skycrate_record_step_note": (c_char_p, [c_void_p, c_int]),
    "skycrate_record_error": (c_char_p, [c_void_p]),
    "skycrate_record_created_at": (c_int64, [c_void_p]),
    "skycrate_record_updated_at": (c_int64, [c_void_p]),
    "skycrate_record_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_record_free": (None, [c_void_p]),
    "skycrate_verify_report_ok": (c_int, [c_void_p]),
    "skycrate_verify_report_bucket_exists": (c_int, [c_void_p]),
    "skycrate_verify_report_region": (c_char_p, [c_void_p]),
    "skycrate_verify_report_step": (c_int, [c_void_p, c_int]),
    "skycrate_verify_report_step_detail": (c_char_p, [c_void_p, c_int]),
    "skycrate_verify_report_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_verify_report_free": (None, [c_void_p]),
    "skycrate_usage_report_objects": (c_uint64, [c_void_p]),
    "skycrate_usage_report_bytes": (c_uint64, [c_void_p]),
    "skycrate_usage_report_class_count": (c_size_t, [c_void_p]),
    "skycrate_usage_report_class_name": (c_char_p, [c_void_p, c_size_t]),
    "skycrate_usage_report_class_objects": (c_uint64, [c_void_p, c_size_t]),
    "skycrate_usage_report_class_bytes": (c_uint64, [c_void_p, c_size_t]),
    "skycrate_usage_report_versions_listed": (c_int, [c_void_p]),
    "skycrate_usage_report_noncurrent_objects": (c_uint64, [c_void_p]),
    "skycrate_usage_report_noncurrent_bytes": (c_uint64, [c_void_p]),
    "skycrate_usage_report_delete_markers": (c_uint64, [c_void_p]),
    "skycrate_usage_report_upload_count": (c_uint64, [c_void_p]),
    "skycrate_usage_report_upload_parts": (c_uint64, [c_void_p]),
    "skycrate_usage_report_upload_bytes": (c_uint64, [c_void_p]),
    "skycrate_usage_report_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_usage_report_free": (None, [c_void_p]),
    "skycrate_deprovision_report_dry_run": (c_int, [c_void_p]),
    "skycrate_deprovision_report_versions": (c_uint64, [c_void_p]),
    "skycrate_deprovision_report_delete_markers": (c_uint64, [c_void_p]),
    "skycrate_deprovision_report_uploads": (c_uint64, [c_void_p]),
    "skycrate_deprovision_report_bytes": (c_uint64, [c_void_p]),
    "skycrate_deprovision_report_record": (c_void_p, [c_void_p]),
    "skycrate_deprovision_report_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_deprovision_report_free": (None, [c_void_p]),
    # transfers
    "skycrate_transfer_options_new": (c_int, [P(c_void_p)]),
    "skycrate_transfer_options_free": (None, [c_void_p]),
    "skycrate_transfer_options_set_part_size": (c_int, [c_void_p, c_uint64]),
    "skycrate_transfer_options_set_multipart_threshold": (c_int, [c_void_p, c_uint64]),
    "skycrate_transfer_options_set_concurrency": (c_int, [c_void_p, c_uint]),
    "skycrate_transfer_options_set_checksum": (c_int, [c_void_p, c_int]),
    "skycrate_transfer_options_set_content_type": (c_int, [c_void_p, c_char_p]),
    "skycrate_transfer_options_set_upload_id": (c_int, [c_void_p, c_char_p]),
    "skycrate_transfer_options_set_progress": (c_int, [c_void_p, PROGRESS_FN, c_void_p]),
    "skycrate_transfer_options_set_progress_interval": (c_int, [c_void_p, c_uint32]),
    "skycrate_transfer_upload_file": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, c_void_p]),
    "skycrate_transfer_upload_fd": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_int, c_void_p]),
    "skycrate_transfer_upload_stream": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_void_p, c_uint64, READ_FN, c_void_p]),
    "skycrate_transfer_download_file": (c_int, [P(c_void_p), c_void_p, c_char_p, c_char_p, c_char_p, c_void_p]),
    "skycrate_transfer_result_etag": (c_char_p, [c_void_p]),
    "skycrate_transfer_result_size": (c_uint64, [c_void_p]),
    "skycrate_transfer_result_part_count": (c_uint32, [c_void_p]),
    "skycrate_transfer_result_parts_reused": (c_uint32, [c_void_p]),
    "skycrate_transfer_result_upload_id": (c_char_p, [c_void_p]),
    "skycrate_transfer_result_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
    "skycrate_transfer_result_free": (None, [c_void_p]),
    # the 403 doctor
    "skycrate_verdict_name": (c_char_p, [c_int]),
    "skycrate_doctor_new": (c_int, [P(c_void_p), c_void_p]),
    "skycrate_doctor_free": (None, [c_void_p]),
    "skycrate_doctor_case_new": (c_int, [P(c_void_p)]),
    "skycrate_doctor_case_free": (None, [c_void_p]),
    "skycrate_doctor_case_set_contract_json": (c_int, [c_void_p, c_char_p]),
    "skycrate_doctor_case_set_sent": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_doctor_case_add_sent_header": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_doctor_case_set_origin": (c_int, [c_void_p, c_char_p]),
    "skycrate_doctor_case_set_answer": (c_int, [c_void_p, c_int, c_int, c_char_p, c_size_t]),
    "skycrate_doctor_case_add_answer_header": (c_int, [c_void_p, c_int, c_char_p, c_char_p]),
    "skycrate_doctor_case_set_bucket": (c_int, [c_void_p, c_char_p, c_char_p]),
    "skycrate_doctor_case_set_time": (c_int, [c_void_p, c_int64]),
    "skycrate_doctor_diagnose": (c_int, [P(c_void_p), c_void_p, c_void_p]),
    "skycrate_doctor_replay": (c_int, [P(c_void_p), c_void_p, c_void_p, c_void_p]),
    "skycrate_diagnosis_free": (None, [c_void_p]),
    "skycrate_diagnosis_verdict": (c_int, [c_void_p]),
    "skycrate_diagnosis_subject": (c_char_p, [c_void_p]),
    "skycrate_diagnosis_expected": (c_char_p, [c_void_p]),
    "skycrate_diagnosis_actual": (c_char_p, [c_void_p]),
    "skycrate_diagnosis_seconds": (c_int64, [c_void_p]),
    "skycrate_diagnosis_status": (c_int, [P(c_char_p), c_void_p]),
    "skycrate_diagnosis_message": (c_char_p, [c_void_p]),
    "skycrate_diagnosis_to_json": (c_int, [P(c_void_p), c_void_p, c_uint32]),
}

PG_PROTOTYPES = {
    "skycrate_user_store_new_postgresql": (c_int, [P(c_void_p), c_char_p, c_char_p]),
}


def _declare(lib, prototypes):
    for name, (restype, argtypes) in prototypes.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def _candidates():
    override = os.environ.get("SKYCRATE_LIBRARY")
    if override:
        return [override]
    found = ctypes.util.find_library("skycrate")
    return [SONAME] + ([found] if found and found != SONAME else [])


def _load():
    errors = []
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            errors.append(str(e))
            continue
        version = lib.skycrate_version()
        major, minor = version >> 16, (version >> 8) & 0xFF
        if (major, minor) != (ABI_MAJOR, ABI_MINOR):
            raise ImportError(
                "%s is libskycrate %d.%d; this binding needs %d.%d"
                % (candidate, major, minor, ABI_MAJOR, ABI_MINOR)
            )
        _declare(lib, PROTOTYPES)
        return lib
    raise ImportError(
        "libskycrate %d.%d not found (%s); install it, or set SKYCRATE_LIBRARY to its path"
        % (ABI_MAJOR, ABI_MINOR, "; ".join(errors))
    )


lib = _load()
if lib.skycrate_global_init(None) < 0:
    raise ImportError("skycrate_global_init failed: %s" % lib.skycrate_error_last().contents.message)

_pg = None


def pg():
    """libskycrate-pg, loaded on first use: SKYCRATE_PG_LIBRARY, the file beside
    SKYCRATE_LIBRARY's, or the SONAME through the dynamic loader."""
    global _pg
    if _pg is None:
        override = os.environ.get("SKYCRATE_PG_LIBRARY")
        main = os.environ.get("SKYCRATE_LIBRARY")
        candidates = [override] if override else []
        if main and not override:
            candidates.append(os.path.join(os.path.dirname(main), PG_SONAME))
        candidates.append(PG_SONAME)
        errors = []
        for candidate in candidates:
            try:
                handle = ctypes.CDLL(candidate)
            except OSError as e:
                errors.append(str(e))
                continue
            _declare(handle, PG_PROTOTYPES)
            _pg = handle
            break
        else:
            raise OSError(
                "libskycrate-pg not found (%s): the PostgreSQL store is a separate library; "
                "set SKYCRATE_PG_LIBRARY to its path" % "; ".join(errors)
            )
    return _pg


def text(value):
    """A C string argument: str as UTF-8, None as NULL."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def string(value):
    """A C string result: UTF-8 to str, NULL to None."""
    return None if value is None else value.decode("utf-8", "replace")


def take_string(ptr):
    """A string the library allocated (``char **out``): copied, then freed with skycrate_free."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.skycrate_free(ptr)
