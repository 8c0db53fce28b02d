/*
 * libskycrate - per-user S3 buckets and presigned browser uploads.
 * SPDX-License-Identifier: MIT
 *
 * skycrate.hpp: a thin, header-only C++17 wrapper over the C API (skycrate.h). Handles are
 * RAII objects that free themselves; failures throw skycrate::error with the library's code,
 * message and, for client calls, the S3 details of the answer; strings come in as
 * std::string_view and go out as std::string. Everything else is the C API: the wrapper adds
 * no behaviour, and a C handle is always reachable through get().
 *
 *   skycrate::library lib;                         // skycrate_global_init / _cleanup
 *   skycrate::client client({"eu-west-1"});        // region, endpoint, credentials
 *   skycrate::presigner presigner(client);
 *   auto contract = presigner.presign("PUT", bucket, key, {{{"Content-Type", "image/png"}}});
 */
#ifndef SKYCRATE_HPP
#define SKYCRATE_HPP

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "skycrate.h"

namespace skycrate {

/** What the server answered to a client's last request (skycrate_response_info). */
struct response {
    int http_status = 0;
    std::string s3_code, s3_message, request_id;
};

/** A library error: code() is a negative skycrate_error_code; what() the message. */
class error : public std::runtime_error {
  public:
    error(int code, const std::string &message, response s3 = {})
        : std::runtime_error(message), code_(code), s3_(std::move(s3))
    {
    }
    int code() const noexcept { return code_; }
    /** The S3 details of the failed client call (http_status 0 for other calls). */
    const response &s3() const noexcept { return s3_; }

  private:
    int code_;
    response s3_;
};

namespace detail {

inline std::string str(const char *s) { return s ? std::string(s) : std::string(); }

/** Throws the calling thread's last error when rc < 0 (with `client`'s last answer). */
inline int check(int rc, const skycrate_client *client = nullptr)
{
    if (rc >= 0)
        return rc;
    const skycrate_error *e = skycrate_error_last();
    std::string message = e->code == rc && *e->message ? e->message : skycrate_strerror(rc);
    response s3;
    if (client) {
        const skycrate_response_info *r = skycrate_client_last_response(client);
        s3 = {r->http_status, str(r->s3_code), str(r->s3_message), str(r->request_id)};
    }
    throw error(rc, message, std::move(s3));
}

/** A NUL-terminated copy of a string_view (the C API takes C strings). */
struct cstr {
    explicit cstr(std::string_view v) : s(v) {}
    operator const char *() const { return s.c_str(); }
    /** NULL for an empty string: the C API's "not given". */
    const char *or_null() const { return s.empty() ? nullptr : s.c_str(); }
    std::string s;
};

/** Takes a string the library allocated (free with skycrate_free). */
inline std::string take(char *s)
{
    std::string out = str(s);
    skycrate_free(s);
    return out;
}

template <class T, void (*Free)(T *)> struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
template <class T, void (*Free)(T *)> using owned = std::unique_ptr<T, deleter<T, Free>>;

} /* namespace detail */

/** skycrate_global_init() for the life of the object (reference-counted in the library). */
class library {
  public:
    library() { detail::check(skycrate_global_init(nullptr)); }
    ~library() { skycrate_global_cleanup(); }
    library(const library &) = delete;
    library &operator=(const library &) = delete;
};

/** A credentials provider: a shared, reference-counted handle. Thread-safe. */
class credentials_provider {
  public:
    /** The AWS chain (environment, profiles, web identity, container, IMDSv2). */
    static credentials_provider default_chain(std::string_view profile = {})
    {
        skycrate_credentials_provider *p = nullptr;
        detail::check(skycrate_credentials_provider_new_default(&p, detail::cstr(profile).or_null()));
        return credentials_provider(p);
    }
    /** Fixed keys (and an optional session token). */
    static credentials_provider static_keys(std::string_view access_key_id,
                                            std::string_view secret_access_key,
                                            std::string_view session_token = {})
    {
        skycrate_credentials *c = nullptr;
        detail::check(skycrate_credentials_new(&c, detail::cstr(access_key_id),
                                               detail::cstr(secret_access_key),
                                               detail::cstr(session_token).or_null(), 0));
        detail::owned<skycrate_credentials, skycrate_credentials_unref> held(c);
        skycrate_credentials_provider *p = nullptr;
        detail::check(skycrate_credentials_provider_new_static(&p, c));
        return credentials_provider(p);
    }
    skycrate_credentials_provider *get() const noexcept { return p_.get(); }

  private:
    explicit credentials_provider(skycrate_credentials_provider *p)
        : p_(p, skycrate_credentials_provider_unref)
    {
    }
    std::shared_ptr<skycrate_credentials_provider> p_;
};

/** How a client reaches S3 (every field optional). */
struct client_options {
    std::string region{};   /**< empty: AWS_REGION, the profile, us-east-1 */
    std::string endpoint{}; /**< empty: AWS; else an S3-compatible server (http:// allowed) */
    skycrate_addressing addressing = SKYCRATE_ADDRESSING_AUTO;
    const credentials_provider *credentials = nullptr; /**< nullptr: the AWS chain */
};

/** An S3 client. Used by one thread at a time; movable, not copyable. */
class client {
  public:
    explicit client(const client_options &o = {})
    {
        skycrate_client_config *cfg = nullptr;
        detail::check(skycrate_client_config_new(&cfg));
        detail::owned<skycrate_client_config, skycrate_client_config_free> held(cfg);
        if (!o.region.empty())
            detail::check(skycrate_client_config_set_region(cfg, o.region.c_str()));
        if (!o.endpoint.empty()) {
            detail::check(skycrate_client_config_set_endpoint(cfg, o.endpoint.c_str()));
            if (o.endpoint.rfind("http://", 0) == 0)
                detail::check(skycrate_client_config_set_allow_http(cfg, 1));
        }
        detail::check(skycrate_client_config_set_addressing(cfg, o.addressing));
        if (o.credentials)
            detail::check(skycrate_client_config_set_credentials_provider(cfg, o.credentials->get()));
        skycrate_client *c = nullptr;
        detail::check(skycrate_client_new(&c, cfg));
        c_.reset(c);
    }
    skycrate_client *get() const noexcept { return c_.get(); }
    std::string region() const { return detail::str(skycrate_client_region(get())); }

    void put_object(std::string_view bucket, std::string_view key, std::string_view data,
                    std::string_view content_type = {})
    {
        detail::check(skycrate_object_put(nullptr, get(), detail::cstr(bucket), detail::cstr(key),
                                          data.data(), data.size(),
                                          detail::cstr(content_type).or_null()),
                      get());
    }
    std::string get_object(std::string_view bucket, std::string_view key)
    {
        void *data = nullptr;
        size_t length = 0;
        detail::check(
            skycrate_object_get(&data, &length, get(), detail::cstr(bucket), detail::cstr(key)),
            get());
        std::string out(static_cast<const char *>(data), length);
        skycrate_free(data);
        return out;
    }

  private:
    detail::owned<skycrate_client, skycrate_client_free> c_;
};

/** A presigned request: the URL, the headers to send exactly, the real expiry. */
struct contract {
    std::string method, bucket, key, url;
    std::vector<std::pair<std::string, std::string>> headers;
    int64_t expires_at = 0, expires_in = 0;
    bool clamped = false;
    std::string json; /**< the contract as the library renders it, for the browser */
};

/** What a presigned request carries besides its method, bucket and key. */
struct presign_options {
    /** The headers the client will send (signed; the contract lists them). */
    std::vector<std::pair<std::string, std::string>> headers{};
    int64_t expires_seconds = 900;
    int64_t time = 0; /**< the signing time in Unix seconds; 0: now */
};

/** Presigns URLs: immutable, shared by any number of threads. */
class presigner {
  public:
    explicit presigner(const client &c)
    {
        skycrate_presigner *p = nullptr;
        detail::check(skycrate_presigner_new(&p, c.get()));
        p_.reset(p);
    }

    contract presign(std::string_view method, std::string_view bucket, std::string_view key,
                     const presign_options &o = {}) const
    {
        auto r = request(method, bucket, key, o);
        skycrate_presigned *s = nullptr;
        detail::check(skycrate_presigner_sign(&s, p_.get(), r.get()));
        detail::owned<skycrate_presigned, skycrate_presigned_free> held(s);
        contract c;
        c.method = detail::str(skycrate_presigned_method(s));
        c.bucket = detail::str(skycrate_presigned_bucket(s));
        c.key = detail::str(skycrate_presigned_key(s));
        c.url = detail::str(skycrate_presigned_url(s));
        c.expires_at = skycrate_presigned_expires_at(s);
        c.expires_in = skycrate_presigned_expires_in(s);
        c.clamped = skycrate_presigned_clamped(s) != 0;
        for (size_t i = 0; i < skycrate_presigned_header_count(s); i++) {
            const char *name = nullptr, *value = nullptr;
            detail::check(skycrate_presigned_header(&name, &value, s, i));
            c.headers.emplace_back(name, value);
        }
        char *json = nullptr;
        detail::check(skycrate_presigned_to_json(&json, s, 0));
        c.json = detail::take(json);
        return c;
    }

    /** Only the URL, through the library's allocation-free path (into `buf`'s storage). */
    std::string url(std::string_view method, std::string_view bucket, std::string_view key,
                    const presign_options &o = {}) const
    {
        auto r = request(method, bucket, key, o);
        std::string buf(1024, '\0');
        size_t length = 0;
        int rc = skycrate_presigner_sign_url(buf.data(), buf.size(), &length, p_.get(), r.get());
        if (rc < 0 && length >= buf.size()) {
            buf.resize(length + 1);
            rc = skycrate_presigner_sign_url(buf.data(), buf.size(), &length, p_.get(), r.get());
        }
        detail::check(rc);
        buf.resize(length);
        return buf;
    }
    skycrate_presigner *get() const noexcept { return p_.get(); }

  private:
    using request_ptr = detail::owned<skycrate_presign_request, skycrate_presign_request_free>;
    static request_ptr request(std::string_view method, std::string_view bucket,
                               std::string_view key, const presign_options &o)
    {
        skycrate_presign_request *r = nullptr;
        detail::check(skycrate_presign_request_new(&r, detail::cstr(method), detail::cstr(bucket),
                                                   detail::cstr(key)));
        request_ptr held(r);
        detail::check(skycrate_presign_request_set_expires(r, o.expires_seconds));
        if (o.time)
            detail::check(skycrate_presign_request_set_time(r, o.time));
        for (const auto &h : o.headers)
            detail::check(skycrate_presign_request_add_header(r, h.first.c_str(), h.second.c_str()));
        return held;
    }
    detail::owned<skycrate_presigner, skycrate_presigner_free> p_;
};

/** A safe object key for an untrusted file name: uploads/<user>/<uuid>-<name>. */
inline std::string upload_key(std::string_view user_id, std::string_view filename,
                              std::string_view prefix = {})
{
    char *out = nullptr;
    detail::check(skycrate_upload_key(&out, detail::cstr(prefix).or_null(), detail::cstr(user_id),
                                      detail::cstr(filename)));
    return detail::take(out);
}

/** A user store: the JSON file, or a C store (for example skycrate_user_store_new_postgresql). */
class user_store {
  public:
    static user_store file(std::string_view path)
    {
        skycrate_user_store *s = nullptr;
        detail::check(skycrate_user_store_new_file(&s, detail::cstr(path), 0));
        return user_store(s);
    }
    /** Takes over one reference to a store made with the C API. */
    explicit user_store(skycrate_user_store *s) : s_(s, skycrate_user_store_unref) {}
    skycrate_user_store *get() const noexcept { return s_.get(); }

  private:
    std::shared_ptr<skycrate_user_store> s_;
};

/** A user's record, as the provisioner keeps it. */
struct record {
    std::string user_id, bucket, region, mode;
    skycrate_state state = SKYCRATE_STATE_PROVISIONING;
    std::string json;
};

/** The provisioner's settings that most applications set; the C configuration has the rest. */
struct provisioner_options {
    const user_store *store = nullptr; /**< nullptr: users.json */
    bool dev = false;                  /**< no network: bookkeeping only */
    skycrate_failure_mode failure_mode = SKYCRATE_FAILURE_MODE_STRICT;
    std::vector<std::string> cors_origins{};
};

/** Per-user buckets. Borrows its client (keep it alive); one thread at a time. */
class provisioner {
  public:
    provisioner(client *c, const provisioner_options &o) : client_(c)
    {
        skycrate_provisioner_config *cfg = nullptr;
        detail::check(skycrate_provisioner_config_new(&cfg));
        detail::owned<skycrate_provisioner_config, skycrate_provisioner_config_free> held(cfg);
        if (o.store)
            detail::check(skycrate_provisioner_config_set_store(cfg, o.store->get()));
        detail::check(skycrate_provisioner_config_set_dev_mode(cfg, o.dev ? 1 : 0));
        detail::check(skycrate_provisioner_config_set_failure_mode(cfg, o.failure_mode));
        for (const auto &origin : o.cors_origins)
            detail::check(skycrate_provisioner_config_add_cors_origin(cfg, origin.c_str()));
        skycrate_provisioner *p = nullptr;
        detail::check(skycrate_provisioner_new(&p, c ? c->get() : nullptr, cfg));
        p_.reset(p);
    }
    record provision(std::string_view user_id) { return run(skycrate_provisioner_provision, user_id); }
    record show(std::string_view user_id) { return run(skycrate_provisioner_show, user_id); }
    /** Deletes everything in the user's bucket and the bucket; the record afterwards. */
    record deprovision(std::string_view user_id)
    {
        skycrate_deprovision_report *r = nullptr;
        detail::check(skycrate_provisioner_deprovision(&r, p_.get(), detail::cstr(user_id), 0),
                      s3());
        detail::owned<skycrate_deprovision_report, skycrate_deprovision_report_free> held(r);
        return to_record(skycrate_deprovision_report_record(r));
    }
    skycrate_provisioner *get() const noexcept { return p_.get(); }

  private:
    const skycrate_client *s3() const { return client_ ? client_->get() : nullptr; }
    record run(int (*op)(skycrate_record **, skycrate_provisioner *, const char *),
               std::string_view user_id)
    {
        skycrate_record *r = nullptr;
        detail::check(op(&r, p_.get(), detail::cstr(user_id)), s3());
        detail::owned<skycrate_record, skycrate_record_free> held(r);
        return to_record(r);
    }
    static record to_record(const skycrate_record *r)
    {
        char *json = nullptr;
        detail::check(skycrate_record_to_json(&json, r, 0));
        return {detail::str(skycrate_record_user_id(r)), detail::str(skycrate_record_bucket(r)),
                detail::str(skycrate_record_region(r)), detail::str(skycrate_record_mode(r)),
                skycrate_record_state(r), detail::take(json)};
    }
    client *client_;
    detail::owned<skycrate_provisioner, skycrate_provisioner_free> p_;
};

} /* namespace skycrate */

#endif /* SKYCRATE_HPP */
