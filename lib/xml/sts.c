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

/* Parses `xml` and fills `out` (zeroed first) from its root with `read`; on failure `dispose`
 * leaves `out` zeroed with nothing allocated. */
static int read_doc(void *out, size_t size, const char *xml, size_t len,
                    int (*read)(void *out, const skycrate__xml_node *root),
                    void (*dispose)(void *out))
{
    skycrate__xml_node *root = NULL;
    memset(out, 0, size);
    int error = skycrate__xml_parse(&root, xml, len);
    if (error == 0)
        error = read(out, root);
    skycrate__xml_free(root);
    if (error < 0)
        dispose(out);
    return error;
}

/* <{operation}Response><{operation}Result><Credentials> of an AssumeRole answer; NULL, with
 * SKYCRATE_EPARSE recorded, for another root or none. */
static const skycrate__xml_node *credentials_node(const skycrate__xml_node *root)
{
    static const char *const operations[] = {"AssumeRole", "AssumeRoleWithWebIdentity"};
    const char *operation = NULL;
    char name[64];
    for (size_t i = 0; i < SKYCRATE_ARRAY_SIZE(operations) && !operation; i++) {
        snprintf(name, sizeof(name), "%sResponse", operations[i]);
        if (strcmp(root->name, name) == 0)
            operation = operations[i];
    }
    if (!operation) {
        skycrate__error_set(SKYCRATE_EPARSE, "expected an STS AssumeRole response, got <%.64s>",
                            root->name);
        return NULL;
    }
    snprintf(name, sizeof(name), "%sResult", operation);
    const skycrate__xml_node *creds =
        skycrate__xml_child(skycrate__xml_child(root, name), "Credentials");
    if (!creds)
        skycrate__error_set(SKYCRATE_EPARSE, "STS <%s> has no <%s><Credentials>", root->name, name);
    return creds;
}

static int read_credentials(void *doc, const skycrate__xml_node *root)
{
    skycrate__sts_credentials_doc *out = doc;
    const skycrate__xml_node *creds = credentials_node(root);
    int error = 0;
    if (!creds)
        return SKYCRATE_EPARSE;
    if ((error = skycrate__xml_child_required(&out->access_key_id, creds, "AccessKeyId")) < 0 ||
        (error = skycrate__xml_child_required(&out->secret_access_key, creds, "SecretAccessKey")) <
            0 ||
        (error = skycrate__xml_child_required(&out->session_token, creds, "SessionToken")) < 0)
        return error;
    if (!skycrate__xml_child(creds, "Expiration"))
        return skycrate__error_set(SKYCRATE_EPARSE, "STS <Credentials> has no <Expiration>");
    return skycrate__xml_child_time(&out->expiration, creds, "Expiration");
}

static void dispose_credentials(void *doc)
{
    skycrate__sts_credentials_dispose(doc);
}

int skycrate__sts_credentials_parse(skycrate__sts_credentials_doc *out, const char *xml, size_t len)
{
    SKYCRATE_ASSERT_ARG(out);
    return read_doc(out, sizeof(*out), xml, len, read_credentials, dispose_credentials);
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

static int read_error(void *doc, const skycrate__xml_node *root)
{
    skycrate__sts_error_doc *out = doc;
    const skycrate__xml_node *err = root;
    int error = 0;
    if (strcmp(root->name, "ErrorResponse") == 0) {
        if (!(err = skycrate__xml_child(root, "Error")))
            return skycrate__error_set(SKYCRATE_EPARSE, "STS <ErrorResponse> has no <Error>");
    } else if (strcmp(root->name, "Error") != 0) {
        return skycrate__error_set(
            SKYCRATE_EPARSE, "expected an STS <ErrorResponse> document, got <%.64s>", root->name);
    }
    if ((error = skycrate__xml_child_dup(&out->type, err, "Type")) < 0 ||
        (error = skycrate__xml_child_dup(&out->code, err, "Code")) < 0 ||
        (error = skycrate__xml_child_dup(&out->message, err, "Message")) < 0 ||
        (error = skycrate__xml_child_dup(&out->request_id, root, "RequestId")) < 0)
        return error;
    if (!out->request_id && err != root)
        error = skycrate__xml_child_dup(&out->request_id, err, "RequestId");
    return error;
}

static void dispose_error(void *doc)
{
    skycrate__sts_error_doc_dispose(doc);
}

int skycrate__sts_error_doc_parse(skycrate__sts_error_doc *out, const char *xml, size_t len)
{
    SKYCRATE_ASSERT_ARG(out);
    return read_doc(out, sizeof(*out), xml, len, read_error, dispose_error);
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
