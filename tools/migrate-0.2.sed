# Renames from libskycrate 0.1 to 0.2 (the one-time API reshape; CHANGELOG.md lists them).
# Apply to a program's sources: sed -i -f tools/migrate-0.2.sed FILE...
# Signature changes that sed cannot make are listed in CHANGELOG.md under 0.2.0.
s/\bskycrate_presign_upload_parts\b/skycrate_presigner_sign_parts/g
s/\bskycrate_presign_url\b/skycrate_presigner_sign_url/g
s/\bskycrate_presign_post\b/skycrate_presigner_sign_post/g
s/\bskycrate_presign\b/skycrate_presigner_sign/g
s/\bskycrate_presigned_json\b/skycrate_presigned_to_json/g
s/\bskycrate_post_form_json\b/skycrate_post_form_to_json/g
s/\bskycrate_record_state_name\b/skycrate_state_name/g
s/\bskycrate_record_state\b/skycrate_state/g
s/\bskycrate_provision_record\b/skycrate_record/g
s/\bskycrate_provision_record_/skycrate_record_/g
s/\bskycrate_provision_step_name\b/skycrate_step_name/g
s/\bskycrate_provision_step\b/skycrate_step/g
s/\bskycrate_provision_mode\b/skycrate_failure_mode/g
s/\bSKYCRATE_PROVISION_STRICT\b/SKYCRATE_FAILURE_MODE_STRICT/g
s/\bSKYCRATE_PROVISION_COMPATIBLE\b/SKYCRATE_FAILURE_MODE_COMPATIBLE/g
s/\bskycrate_provisioner_config_set_mode\b/skycrate_provisioner_config_set_failure_mode/g
s/\bskycrate_object_ownership\b/skycrate_ownership/g
s/\bSKYCRATE_RECORD_\(PROVISIONING\|ACTIVE\|FAILED\|DEPROVISIONING\|DELETED\)\b/SKYCRATE_STATE_\1/g
s/\bSKYCRATE_VERIFY_\(NOT_CHECKED\|MATCH\|DRIFT\|MISSING\|UNSUPPORTED\|ERROR\)\b/SKYCRATE_VERIFY_STATUS_\1/g
s/\bSKYCRATE_LOG_\(NONE\|ERROR\|WARN\|INFO\|DEBUG\|TRACE\)\b/SKYCRATE_LOG_LEVEL_\1/g
s/\bSKYCRATE_PROVISION_JSON_PRETTY\b/SKYCRATE_JSON_PRETTY/g
s/\bskycrate_store_value_set\b/skycrate_user_store_value_set/g
s/\bskycrate_store_value\b/skycrate_user_store_value/g
