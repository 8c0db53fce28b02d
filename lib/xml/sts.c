/*
 * Readers for STS response documents. The credentials carry secrets: they are copied out of
 * the tree (which wipes its texts when freed) and wiped again when the struct is disposed.
 * SPDX-License-Identifier: MIT
 */
#include "xml/sts.h"

#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "xml/xml.h"

int skycrate__sts_credentials_parse(skycrate__sts_credentials_doc *out, const char *xml, size_t len)
{
    static const char *const operations[] = {"AssumeRole", "AssumeRoleWithWebIdentity"};
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse(&root, xml, len)) < 0)
        goto done;

    const char *operation = NULL;
    char name[64];
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(operations) && !operation; i++) {
        snprintf(name, sizeof(name), "%sResponse", operations[i]);
        if (strcmp(root->name, name) == 0)
            operation = operations[i];
    }
    if (!operation) {
        error = skycrate__error_set(SKYCRATE_EPARSE,
                                    "expected an STS AssumeRole response, got <%.64s>", root->name);
        goto done;
    }
    snprintf(name, sizeof(name), "%sResult", operation);
    const skycrate__xml_node *creds =
        skycrate__xml_child(skycrate__xml_child(root, name), "Credentials");
    if (!creds) {
        error = skycrate__error_set(SKYCRATE_EPARSE, "STS <%s> has no <%s><Credentials>",
                                    root->name, name);
        goto done;
    }
    if ((error = skycrate__xml_child_required(&out->access_key_id, creds, "AccessKeyId")) < 0 ||
        (error = skycrate__xml_child_required(&out->secret_access_key, creds, "SecretAccessKey")) <
            0 ||
        (error = skycrate__xml_child_required(&out->session_token, creds, "SessionToken")) < 0)
        goto done;
    if (!skycrate__xml_child(creds, "Expiration")) {
        error = skycrate__error_set(SKYCRATE_EPARSE, "STS <Credentials> has no <Expiration>");
        goto done;
    }
    error = skycrate__xml_child_time(&out->expiration, creds, "Expiration");

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__sts_credentials_dispose(out);
    return error;
}

void skycrate__sts_credentials_dispose(skycrate__sts_credentials_doc *doc)
{
    if (!doc)
        return;
    skycrate__free(doc->access_key_id);
    skycrate__free_secret(doc->secret_access_key);
    skycrate__free_secret(doc->session_token);
    memset(doc, 0, sizeof(*doc));
}

int skycrate__sts_error_doc_parse(skycrate__sts_error_doc *out, const char *xml, size_t len)
{
    int error = 0;
    skycrate__xml_node *root = NULL;
    SKYCRATE_ASSERT_ARG(out);
    memset(out, 0, sizeof(*out));
    if ((error = skycrate__xml_parse(&root, xml, len)) < 0)
        goto done;
    const skycrate__xml_node *err = root;
    if (strcmp(root->name, "ErrorResponse") == 0) {
        err = skycrate__xml_child(root, "Error");
        if (!err) {
            error = skycrate__error_set(SKYCRATE_EPARSE, "STS <ErrorResponse> has no <Error>");
            goto done;
        }
    } else if (strcmp(root->name, "Error") != 0) {
        error = skycrate__error_set(
            SKYCRATE_EPARSE, "expected an STS <ErrorResponse> document, got <%.64s>", root->name);
        goto done;
    }
    if ((error = skycrate__xml_child_dup(&out->type, err, "Type")) < 0 ||
        (error = skycrate__xml_child_dup(&out->code, err, "Code")) < 0 ||
        (error = skycrate__xml_child_dup(&out->message, err, "Message")) < 0 ||
        (error = skycrate__xml_child_dup(&out->request_id, root, "RequestId")) < 0)
        goto done;
    if (!out->request_id && err != root)
        error = skycrate__xml_child_dup(&out->request_id, err, "RequestId");

done:
    skycrate__xml_free(root);
    if (error < 0)
        skycrate__sts_error_doc_dispose(out);
    return error;
}

void skycrate__sts_error_doc_dispose(skycrate__sts_error_doc *doc)
{
    if (!doc)
        return;
    skycrate__free(doc->type);
    skycrate__free(doc->code);
    skycrate__free(doc->message);
    skycrate__free(doc->request_id);
    memset(doc, 0, sizeof(*doc));
}
