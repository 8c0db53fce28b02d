/*
 * TLS and plain http, both ways, on loopback: radosgw (and its STS) behind a TLS front
 * (tests/servers/tlsproxy.py) whose certificate a throwaway CA signed (tests/servers/testca.sh).
 * A client, the default provider's STS and the command-line programs (skycrate-presign,
 * -provision, -upload, -download, -doctor, and -presign-server's configuration) trust that CA
 * only when told (set_ca, --ca-file, caFile, AWS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE) and
 * refuse it otherwise; plain http goes to loopback hosts, and elsewhere only when allowed. The
 * examples skycrate-demo and skycrate-custom-transport take the programs' options.
 */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rgwenv.h"
#include "testutil.h"

extern char **environ;

static char dir[64], ca[128], wrong_ca[128];
static pid_t s3_proxy, sts_proxy;
static char s3_url[64], sts_url[64];

/* "http://127.0.0.1:PORT" -> PORT */
static int port_of(const char *url)
{
    const char *colon = strrchr(url, ':');
    ck_assert_ptr_nonnull(colon);
    return atoi(colon + 1);
}

/* Starts a program with its standard output on a pipe (and its standard error in `err_path`,
 * when not NULL) and reads the first line it prints into `line` ("" when it printed none before
 * exiting). */
static pid_t spawn_reading_line(char *const argv[], const char *err_path, char *line, size_t size)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    if (err_path)
        posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    line[0] = '\0';
    while (n < size - 1 && !memchr(line, '\n', n) &&
           (got = read(fds[0], line + n, size - 1 - n)) > 0)
        n += (size_t)got;
    close(fds[0]);
    line[n] = '\0';
    return pid;
}

/* Starts tlsproxy.py in front of 127.0.0.1:upstream; its URL goes to url_out. */
static pid_t start_proxy(char *url_out, size_t size, int upstream)
{
    char cert[128], key[128], up[16], line[32];
    snprintf(cert, sizeof(cert), "%s/server.pem", dir);
    snprintf(key, sizeof(key), "%s/server.key", dir);
    snprintf(up, sizeof(up), "%d", upstream);
    char *argv[] = {
        "/usr/bin/python3", SKYCRATE_SOURCE_ROOT "/tests/servers/tlsproxy.py", cert, key, up, NULL};
    pid_t pid = spawn_reading_line(argv, NULL, line, sizeof(line));
    ck_assert_msg(strchr(line, '\n'), "tlsproxy.py did not start");
    snprintf(url_out, size, "https://127.0.0.1:%d", atoi(line));
    return pid;
}

static void stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* Runs a command with stdout and stderr in dir/out and dir/err; its exit status. */
static int run(char *const argv[])
{
    char out[128], err[128];
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(err, sizeof(err), "%s/err", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether dir/<name> (out or err) holds `text`. */
static bool output_has(const char *name, const char *text)
{
    char path[128], buf[16384];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* dir/<name> (out or err), for messages: one static buffer per name, so that a message may
 * show both. */
static const char *last_output(const char *name)
{
    static char bufs[2][4096];
    char *buf = bufs[strcmp(name, "out") == 0];
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(bufs[0]) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/skycrate-tls-it-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *mkca[] = {SKYCRATE_SOURCE_ROOT "/tests/servers/testca.sh", dir, NULL};
    ck_assert_int_eq(run(mkca), 0);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    /* Another CA: trusting it is not trusting ours. */
    char other[96];
    snprintf(other, sizeof(other), "%s/other", dir);
    ck_assert_int_eq(mkdir(other, 0700), 0);
    char *mkother[] = {SKYCRATE_SOURCE_ROOT "/tests/servers/testca.sh", other, NULL};
    ck_assert_int_eq(run(mkother), 0);
    snprintf(wrong_ca, sizeof(wrong_ca), "%s/ca.pem", other);
    s3_proxy = start_proxy(s3_url, sizeof(s3_url), port_of(rgw_env("SKYCRATE_TEST_ENDPOINT")));
    sts_proxy =
        start_proxy(sts_url, sizeof(sts_url), port_of(rgw_env("SKYCRATE_TEST_STS_ENDPOINT")));
    ck_assert_int_eq(skycrate_global_init(NULL), 1);
    /* The command-line programs and the default provider read these. */
    setenv("AWS_ACCESS_KEY_ID", rgw_env("SKYCRATE_TEST_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", rgw_env("SKYCRATE_TEST_SECRET_KEY"), 1);
    setenv("AWS_REGION", rgw_env("SKYCRATE_TEST_REGION"), 1);
    static const char *const cleared[] = {"AWS_CA_BUNDLE",
                                          "CURL_CA_BUNDLE",
                                          "SSL_CERT_FILE",
                                          "SSL_CERT_DIR",
                                          "AWS_PROFILE",
                                          "AWS_CONFIG_FILE",
                                          "AWS_SHARED_CREDENTIALS_FILE",
                                          "AWS_ENDPOINT_URL_STS"};
    for (size_t i = 0; i < sizeof(cleared) / sizeof(cleared[0]); i++)
        unsetenv(cleared[i]);
}

static void remove_tree(const char *path)
{
    char *rm[] = {"/bin/rm", "-rf", (char *)path, NULL};
    pid_t pid;
    if (posix_spawn(&pid, rm[0], NULL, NULL, rm, environ) == 0)
        waitpid(pid, NULL, 0);
}

static void teardown(void)
{
    skycrate_global_cleanup();
    stop(s3_proxy);
    stop(sts_proxy);
    remove_tree(dir);
}

#define ck_assert_code(expr, code)                                                                 \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        ck_assert_msg(rc_ == (code), "%s: %d (%s), expected %d", #expr, rc_,                       \
                      skycrate_error_last()->message, (code));                                     \
    } while (0)

/* A client of the TLS front (or `url`), with static keys, trusting `ca_file` (NULL: the
 * system's CAs). */
static int tls_client(skycrate_client **out, const char *url, const char *ca_file, int allow_http)
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(skycrate_client_config_set_endpoint(cfg, url));
    ck_assert_sky_ok(skycrate_client_config_set_region(cfg, rgw_env("SKYCRATE_TEST_REGION")));
    ck_assert_sky_ok(skycrate_client_config_set_addressing(cfg, SKYCRATE_ADDRESSING_PATH));
    ck_assert_sky_ok(skycrate_client_config_set_retry(cfg, 1, 1, 1));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, allow_http));
    if (ca_file)
        ck_assert_sky_ok(skycrate_client_config_set_ca(cfg, ca_file, NULL));
    int rc = skycrate_client_new(out, cfg);
    skycrate_client_config_free(cfg);
    return rc;
}

START_TEST(a_client_trusts_the_test_ca_only_when_told)
{
    char bucket[64];
    rgw_bucket_name(bucket, sizeof(bucket), "tls");
    skycrate_client *c = NULL;
    ck_assert_sky_ok(tls_client(&c, s3_url, NULL, 0));
    ck_assert_code(skycrate_bucket_create(c, bucket), SKYCRATE_ETLS);
    skycrate_client_free(c);
    ck_assert_sky_ok(tls_client(&c, s3_url, wrong_ca, 0));
    ck_assert_code(skycrate_bucket_create(c, bucket), SKYCRATE_ETLS);
    skycrate_client_free(c);

    ck_assert_sky_ok(tls_client(&c, s3_url, ca, 0));
    ck_assert_sky_ok(skycrate_bucket_create(c, bucket));
    ck_assert_sky_ok(skycrate_object_put(NULL, c, bucket, "k", "over TLS", 8, "text/plain"));
    void *data = NULL;
    size_t len = 0;
    ck_assert_sky_ok(skycrate_object_get(&data, &len, c, bucket, "k"));
    ck_assert_uint_eq(len, 8);
    ck_assert_int_eq(memcmp(data, "over TLS", 8), 0);
    skycrate_free(data);
    ck_assert_sky_ok(skycrate_object_delete(c, bucket, "k"));
    ck_assert_sky_ok(skycrate_bucket_delete(c, bucket));
    skycrate_client_free(c);
}
END_TEST

START_TEST(plain_http_goes_to_loopback_and_elsewhere_only_when_allowed)
{
    skycrate_client *c = NULL;
    /* radosgw itself, over plain http on 127.0.0.1: no permission needed. */
    ck_assert_sky_ok(tls_client(&c, rgw_env("SKYCRATE_TEST_ENDPOINT"), NULL, 0));
    ck_assert_int_eq(skycrate_bucket_head(c, "it-no-such-bucket-tls"), SKYCRATE_ENOTFOUND);
    skycrate_client_free(c);
    c = NULL;
    /* Another host: refused before anything is sent, unless allowed. */
    ck_assert_int_eq(tls_client(&c, "http://192.0.2.1:7480", NULL, 0), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "plain http"));
    ck_assert_ptr_null(c);
    ck_assert_sky_ok(tls_client(&c, "http://192.0.2.1:7480", NULL, 1));
    skycrate_client_free(c);
    /* From the environment too. */
    setenv("AWS_ENDPOINT_URL_S3", "http://s3.example.com", 1);
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_int_eq(skycrate_client_new(&c, cfg), SKYCRATE_EINVAL);
    skycrate_client_config_free(cfg);
    unsetenv("AWS_ENDPOINT_URL_S3");
}
END_TEST

/* A profile whose credentials come from radosgw's STS (AssumeRole) at `sts`. */
static void role_profile(const char *sts)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/config", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
            "[profile role]\nrole_arn = %s\nsource_profile = base\nregion = %s\n",
            rgw_env("SKYCRATE_TEST_ACCESS_KEY"), rgw_env("SKYCRATE_TEST_SECRET_KEY"),
            rgw_env("SKYCRATE_TEST_ROLE_ARN"), rgw_env("SKYCRATE_TEST_REGION"));
    fclose(f);
    setenv("AWS_CONFIG_FILE", path, 1);
    snprintf(path, sizeof(path), "%s/no-credentials", dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "role", 1);
    setenv("AWS_ENDPOINT_URL_STS", sts, 1);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
}

/* The client's default provider: STS credentials, then a request with them to the radosgw
 * that accepts them (the STS-enabled one, over plain http on 127.0.0.1). */
static int head_through_sts(const char *ca_file, int allow_http)
{
    skycrate_client_config *cfg;
    ck_assert_sky_ok(skycrate_client_config_new(&cfg));
    ck_assert_sky_ok(
        skycrate_client_config_set_endpoint(cfg, rgw_env("SKYCRATE_TEST_STS_ENDPOINT")));
    ck_assert_sky_ok(skycrate_client_config_set_allow_http(cfg, allow_http));
    if (ca_file)
        ck_assert_sky_ok(skycrate_client_config_set_ca(cfg, ca_file, NULL));
    skycrate_client *c = NULL;
    ck_assert_sky_ok(skycrate_client_new(&c, cfg));
    skycrate_client_config_free(cfg);
    int rc = skycrate_bucket_head(c, "it-no-such-bucket-sts");
    skycrate_client_free(c);
    return rc;
}

START_TEST(the_default_providers_sts_trusts_the_clients_ca)
{
    role_profile(sts_url);
    ck_assert_code(head_through_sts(NULL, 0), SKYCRATE_ETLS);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "STS AssumeRole"));
    ck_assert_code(head_through_sts(wrong_ca, 0), SKYCRATE_ETLS);
    /* The session credentials STS issued sign the request: the server answers 404. */
    ck_assert_int_eq(head_through_sts(ca, 0), SKYCRATE_ENOTFOUND);
}
END_TEST

START_TEST(a_plain_http_sts_endpoint_elsewhere_is_refused)
{
    /* radosgw's STS on 127.0.0.1 over plain http: loopback, allowed. */
    role_profile(rgw_env("SKYCRATE_TEST_STS_ENDPOINT"));
    ck_assert_int_eq(head_through_sts(NULL, 0), SKYCRATE_ENOTFOUND);
    /* Another host: refused at once, nothing sent (with permission it would be tried). */
    role_profile("http://192.0.2.1:7480");
    ck_assert_int_eq(head_through_sts(NULL, 0), SKYCRATE_EINVAL);
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "plain http"));
    ck_assert_ptr_nonnull(strstr(skycrate_error_last()->message, "AWS_ENDPOINT_URL_STS"));
}
END_TEST

START_TEST(the_command_line_programs_trust_what_they_are_told)
{
    const char *prov = rgw_env("SKYCRATE_PROVISION_CLI");
    char store[128], user[64];
    snprintf(store, sizeof(store), "%s/users.json", dir);
    snprintf(user, sizeof(user), "tls-cli-%d", (int)getpid());
    char *provision[] = {(char *)prov,   "--store",   store, "--endpoint", s3_url,
                         "--compatible", "provision", user,  NULL};
    ck_assert_int_eq(run(provision), 1);
    ck_assert_msg(output_has("err", "certificate"), "no certificate error: %s", last_output("err"));

    char *with_ca[] = {(char *)prov, "--store",      store,       "--endpoint", s3_url, "--ca-file",
                       ca,           "--compatible", "provision", user,         NULL};
    ck_assert_int_eq(run(with_ca), 0);
    ck_assert(output_has("out", "\"state\": \"active\""));

    /* The environment's bundle, in the order the programs read it. */
    static const char *const vars[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE"};
    char *verify[] = {(char *)prov,   "--store", store, "--endpoint", s3_url,
                      "--compatible", "verify",  user,  NULL};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        setenv(vars[i], ca, 1);
        ck_assert_msg(run(verify) == 0, "verify with %s", vars[i]);
        ck_assert(output_has("out", "\"ok\": true"));
    }
    setenv("SSL_CERT_FILE", wrong_ca, 1); /* AWS_CA_BUNDLE comes first */
    ck_assert_int_eq(run(verify), 0);
    setenv("AWS_CA_BUNDLE", wrong_ca, 1);
    ck_assert_int_eq(run(verify), 1);

    /* Plain http elsewhere: an explicit choice (show reads the users file only). */
    char *show[] = {(char *)prov, "--store", store, "--endpoint", "http://192.0.2.1:7480",
                    "show",       user,      NULL};
    ck_assert_int_eq(run(show), 1);
    ck_assert(output_has("err", "plain http"));
    ck_assert(output_has("err", "--allow-http")); /* the program's option, not the C setter */
    char *show_allowed[] = {(char *)prov,   "--store", store, "--endpoint", "http://192.0.2.1:7480",
                            "--allow-http", "show",    user,  NULL};
    ck_assert_int_eq(run(show_allowed), 0);

    const char *presign = rgw_env("SKYCRATE_PRESIGN_CLI");
    char *url[] = {(char *)presign, "--endpoint", "http://192.0.2.1:7480", "GET", "bkt", "k", NULL};
    ck_assert_int_eq(run(url), 1);
    ck_assert(output_has("err", "plain http"));
    ck_assert(output_has("err", "--allow-http"));
    char *url_allowed[] = {(char *)presign,
                           "--endpoint",
                           "http://192.0.2.1:7480",
                           "--allow-http",
                           "GET",
                           "bkt",
                           "k",
                           NULL};
    ck_assert_int_eq(run(url_allowed), 0);
    ck_assert(output_has("out", "http://192.0.2.1:7480/bkt/k?X-Amz-Algorithm="));

    unsetenv("AWS_CA_BUNDLE");
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
    char *deprovision[] = {(char *)prov, "--store", store,         "--endpoint", s3_url,
                           "--ca-file",  ca,        "deprovision", user,         NULL};
    ck_assert_int_eq(run(deprovision), 0);
    ck_assert(output_has("out", "\"state\": \"deleted\""));
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static bool file_is(const char *path, const char *text)
{
    char buf[256];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return f && strcmp(buf, text) == 0;
}

/* A presigned URL of `client` for METHOD bucket/key (static storage, overwritten). */
static const char *presigned(skycrate_client *client, const char *method, const char *bucket,
                             const char *key)
{
    static char url[2048];
    skycrate_presigner *p = NULL;
    skycrate_presign_request *r = NULL;
    ck_assert_sky_ok(skycrate_presigner_new(&p, client));
    ck_assert_sky_ok(skycrate_presign_request_new(&r, method, bucket, key));
    ck_assert_sky_ok(skycrate_presigner_sign_url(url, sizeof(url), NULL, p, r));
    skycrate_presign_request_free(r);
    skycrate_presigner_free(p);
    return url;
}

#define TEXT "over TLS, by the programs"

START_TEST(the_transfer_programs_trust_what_they_are_told)
{
    char bucket[64], file[128], copy[128];
    rgw_bucket_name(bucket, sizeof(bucket), "tls-xfer");
    snprintf(file, sizeof(file), "%s/upload.txt", dir);
    snprintf(copy, sizeof(copy), "%s/copy.txt", dir);
    write_file(file, TEXT);
    skycrate_client *c = NULL;
    ck_assert_sky_ok(tls_client(&c, s3_url, ca, 0));
    ck_assert_sky_ok(skycrate_bucket_create(c, bucket));
    char *up = (char *)rgw_env("SKYCRATE_UPLOAD_CLI"),
         *down = (char *)rgw_env("SKYCRATE_DOWNLOAD_CLI");

    /* Through the client: the CA from --ca-file, then from the environment. */
    char *upload[] = {up,     "--endpoint", s3_url, "--addressing", "path", "--quiet", file,
                      bucket, "k",          NULL};
    ck_assert_int_eq(run(upload), 1);
    ck_assert_msg(output_has("err", "certificate"), "no certificate error: %s", last_output("err"));
    char *upload_ca[] = {up,          "--endpoint", s3_url, "--addressing", "path", "--quiet",
                         "--ca-file", ca,           file,   bucket,         "k",    NULL};
    ck_assert_msg(run(upload_ca) == 0, "upload: %s", last_output("err"));
    setenv("CURL_CA_BUNDLE", ca, 1);
    char *download[] = {down,      "--endpoint", s3_url, "--addressing", "path",
                        "--quiet", bucket,       "k",    copy,           NULL};
    ck_assert_msg(run(download) == 0, "download: %s", last_output("err"));
    ck_assert(file_is(copy, TEXT));
    unsetenv("CURL_CA_BUNDLE");
    unlink(copy);

    /* Presigned URLs, which the programs send through libcurl themselves. */
    char get_url[2048];
    snprintf(get_url, sizeof(get_url), "%s", presigned(c, "GET", bucket, "k"));
    char *get[] = {down, "--quiet", "--url", get_url, copy, NULL};
    ck_assert_int_eq(run(get), 1);
    ck_assert_msg(output_has("err", "certificate"), "no certificate error: %s", last_output("err"));
    char *get_ca[] = {down, "--quiet", "--ca-file", ca, "--url", get_url, copy, NULL};
    ck_assert_msg(run(get_ca) == 0, "download --url: %s", last_output("err"));
    ck_assert(file_is(copy, TEXT));
    char *put[] = {up, "--quiet", "--url", (char *)presigned(c, "PUT", bucket, "k2"), file, NULL};
    ck_assert_int_eq(run(put), 1);
    setenv("SSL_CERT_FILE", ca, 1);
    ck_assert_msg(run(put) == 0, "upload --url: %s", last_output("err"));
    unsetenv("SSL_CERT_FILE");

    /* Plain http: to loopback as it is, elsewhere refused before anything is sent. */
    skycrate_client *plain = NULL;
    ck_assert_sky_ok(tls_client(&plain, rgw_env("SKYCRATE_TEST_ENDPOINT"), NULL, 0));
    char *get_plain[] = {down, "--quiet", "--url", (char *)presigned(plain, "GET", bucket, "k2"),
                         copy, NULL};
    ck_assert_msg(run(get_plain) == 0, "download --url http://127.0.0.1: %s", last_output("err"));
    ck_assert(file_is(copy, TEXT));
    skycrate_client_free(plain);
    char *get_elsewhere[] = {down, "--url", "http://192.0.2.1:7480/b/k?X-Amz-Signature=0", copy,
                             NULL};
    ck_assert_int_eq(run(get_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));
    char *put_elsewhere[] = {up, "--url", "http://192.0.2.1:7480/b/k?X-Amz-Signature=0", file,
                             NULL};
    ck_assert_int_eq(run(put_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));
    char *upload_elsewhere[] = {up, "--endpoint", "http://192.0.2.1:7480", file, "b", "k", NULL};
    ck_assert_int_eq(run(upload_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));

    ck_assert_sky_ok(skycrate_object_delete(c, bucket, "k"));
    ck_assert_sky_ok(skycrate_object_delete(c, bucket, "k2"));
    ck_assert_sky_ok(skycrate_bucket_delete(c, bucket));
    skycrate_client_free(c);
}
END_TEST

START_TEST(the_doctor_replays_over_tls_when_told)
{
    char bucket[64];
    rgw_bucket_name(bucket, sizeof(bucket), "tls-doctor");
    skycrate_client *c = NULL;
    ck_assert_sky_ok(tls_client(&c, s3_url, ca, 0));
    ck_assert_sky_ok(skycrate_bucket_create(c, bucket));
    char url[2048];
    snprintf(url, sizeof(url), "%s", presigned(c, "PUT", bucket, "probe"));
    char *doctor = (char *)rgw_env("SKYCRATE_DOCTOR_CLI");
    char *replay[] = {doctor, "--endpoint", s3_url, url, NULL};
    ck_assert_int_eq(run(replay), 1);
    ck_assert_msg(output_has("err", "certificate"), "no certificate error: %s", last_output("err"));
    char *replay_ca[] = {doctor, "--endpoint", s3_url, "--ca-file", ca, url, NULL};
    ck_assert_msg(run(replay_ca) == 0, "doctor: %s%s", last_output("out"), last_output("err"));
    ck_assert(output_has("out", "ok: "));
    /* Plain http elsewhere: neither as the endpoint nor as the URL replayed. */
    char *endpoint_elsewhere[] = {doctor, "--endpoint", "http://192.0.2.1:7480", url, NULL};
    ck_assert_int_eq(run(endpoint_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));
    char elsewhere[2048];
    snprintf(elsewhere, sizeof(elsewhere), "http://192.0.2.1:7480%s", url + strlen(s3_url));
    char *url_elsewhere[] = {doctor, "--endpoint", s3_url, "--ca-file", ca, elsewhere, NULL};
    ck_assert_int_eq(run(url_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));

    ck_assert_sky_ok(skycrate_bucket_delete(c, bucket));
    skycrate_client_free(c);
}
END_TEST

START_TEST(the_examples_take_the_programs_tls_options)
{
    char *demo = (char *)rgw_env("SKYCRATE_DEMO"),
         *custom = (char *)rgw_env("SKYCRATE_CUSTOM_TRANSPORT");
    char users[128], bucket[64], elsewhere[64];
    snprintf(users, sizeof(users), "%s/demo-users.json", dir);
    rgw_bucket_name(bucket, sizeof(bucket), "tls-custom");
    /* radosgw through 0.0.0.0, which Linux connects to this host but which is not a loopback
     * address: plain http elsewhere, refused before anything is sent unless --allow-http. */
    snprintf(elsewhere, sizeof(elsewhere), "http://0.0.0.0:%d",
             port_of(rgw_env("SKYCRATE_TEST_ENDPOINT")));
    char *demo_elsewhere[] = {demo, elsewhere, users, NULL};
    ck_assert_int_eq(run(demo_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));
    ck_assert(output_has("err", "--allow-http"));
    ck_assert(!output_has("out", "provisioned"));
    char *custom_elsewhere[] = {custom, elsewhere, bucket, NULL};
    ck_assert_int_eq(run(custom_elsewhere), 1);
    ck_assert(output_has("err", "plain http"));
    ck_assert(output_has("err", "carried 0 request(s)"));
    char *custom_allowed[] = {custom, "--allow-http", elsewhere, bucket, NULL};
    ck_assert_msg(run(custom_allowed) == 0, "custom transport: %s", last_output("err"));

    /* TLS: the CA from --ca-file, for the client and for the requests an example sends itself
     * (the custom transport's, the demo's browser's). */
    char *custom_tls[] = {custom, s3_url, bucket, NULL};
    ck_assert_int_eq(run(custom_tls), 1);
    ck_assert_msg(output_has("err", "certificate"), "no certificate error: %s", last_output("err"));
    char *custom_ca[] = {custom, "--ca-file", ca, s3_url, bucket, NULL};
    ck_assert_msg(run(custom_ca) == 0, "custom transport: %s", last_output("err"));
    char *demo_ca[] = {demo, "--ca-file", ca, s3_url, users, NULL};
    ck_assert_msg(run(demo_ca) == 0, "demo: %s", last_output("err"));
    ck_assert(output_has("out", "identical to what was uploaded"));
    unlink(users);
}
END_TEST

#ifdef SKYCRATE_WITH_PRESIGN_SERVER
#define TOKEN "tls-test-token-0123456789"

/* Starts skycrate-presign-server with `config` (JSON text); its port, or -1 when it exited
 * (its status in *status_out, its standard error in dir/err). */
static int start_server(pid_t *pid_out, int *status_out, const char *config)
{
    char path[128], err[128], line[128];
    snprintf(path, sizeof(path), "%s/server.json", dir);
    snprintf(err, sizeof(err), "%s/err", dir);
    write_file(path, config);
    char *argv[] = {(char *)rgw_env("SKYCRATE_PRESIGN_SERVER"), "--port", "0", path, NULL};
    *pid_out = spawn_reading_line(argv, err, line, sizeof(line));
    const char *colon = strrchr(line, ':');
    if (strncmp(line, "listening on ", 13) == 0 && colon)
        return atoi(colon + 1);
    ck_assert_int_eq(waitpid(*pid_out, status_out, 0), *pid_out);
    *pid_out = -1;
    return -1;
}

static size_t collect(char *data, size_t size, size_t n, void *user_data)
{
    char *body = user_data;
    size_t have = strlen(body), len = size * n;
    snprintf(body + have, 4096 - have, "%.*s", (int)len, data);
    return len;
}

/* POST /api/s3/presign for a.txt as the test's user; the HTTP status, the body in `body`. */
static long presign_call(int port, char body[4096])
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/s3/presign", port);
    body[0] = '\0';
    CURL *easy = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Authorization: Bearer " TOKEN);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "{\"filename\":\"a.txt\"}");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
    long status = 0;
    ck_assert_int_eq(curl_easy_perform(easy), CURLE_OK);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    return status;
}

START_TEST(the_presign_server_trusts_its_configured_ca)
{
    char config[1024], store[128], user[64], body[4096];
    snprintf(store, sizeof(store), "%s/server-users.json", dir);
    snprintf(user, sizeof(user), "tls-server-%d", (int)getpid());
    const char *form = "{\"users\": {\"%s\": \"" TOKEN "\"}, \"endpoint\": \"%s\", \"region\": "
                       "\"%s\", \"store\": \"%s\", \"compatible\": true%s}";
    pid_t pid = -1;
    int status = 0;

    /* Without caFile: the server runs, and the provisioning behind a presign fails on TLS. */
    snprintf(config, sizeof(config), form, user, s3_url, rgw_env("SKYCRATE_TEST_REGION"), store,
             "");
    int port = start_server(&pid, &status, config);
    ck_assert_msg(port > 0, "the server did not start: %s", last_output("err"));
    long code = presign_call(port, body);
    stop(pid);
    ck_assert_msg(code == 502 && strstr(body, "certificate"), "HTTP %ld: %s", code, body);

    char with_ca[256];
    snprintf(with_ca, sizeof(with_ca), ", \"caFile\": \"%s\"", ca);
    snprintf(config, sizeof(config), form, user, s3_url, rgw_env("SKYCRATE_TEST_REGION"), store,
             with_ca);
    port = start_server(&pid, &status, config);
    ck_assert_msg(port > 0, "the server did not start: %s", last_output("err"));
    code = presign_call(port, body);
    stop(pid);
    ck_assert_msg(code == 200 && strstr(body, "\"uploadUrl\":\"https://127.0.0.1:"), "HTTP %ld: %s",
                  code, body);

    /* An endpoint over plain http elsewhere: refused at start, unless allowHttp. */
    snprintf(config, sizeof(config), form, user, "http://192.0.2.1:7480",
             rgw_env("SKYCRATE_TEST_REGION"), store, "");
    ck_assert_int_eq(start_server(&pid, &status, config), -1);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    ck_assert(output_has("err", "plain http"));
    snprintf(config, sizeof(config), form, user, "http://192.0.2.1:7480",
             rgw_env("SKYCRATE_TEST_REGION"), store, ", \"allowHttp\": true");
    port = start_server(&pid, &status, config);
    ck_assert_msg(port > 0, "the server did not start: %s", last_output("err"));
    stop(pid);

    char *deprovision[] = {(char *)rgw_env("SKYCRATE_PROVISION_CLI"),
                           "--store",
                           store,
                           "--endpoint",
                           s3_url,
                           "--ca-file",
                           ca,
                           "deprovision",
                           user,
                           NULL};
    ck_assert_msg(run(deprovision) == 0, "deprovision: %s", last_output("err"));
}
END_TEST
#endif

static Suite *tls_suite(void)
{
    Suite *s = suite_create("rgw-tls");
    TCase *tc = tcase_create("tls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_client_trusts_the_test_ca_only_when_told);
    tcase_add_test(tc, plain_http_goes_to_loopback_and_elsewhere_only_when_allowed);
    tcase_add_test(tc, the_default_providers_sts_trusts_the_clients_ca);
    tcase_add_test(tc, a_plain_http_sts_endpoint_elsewhere_is_refused);
    tcase_add_test(tc, the_command_line_programs_trust_what_they_are_told);
    tcase_add_test(tc, the_transfer_programs_trust_what_they_are_told);
    tcase_add_test(tc, the_doctor_replays_over_tls_when_told);
    tcase_add_test(tc, the_examples_take_the_programs_tls_options);
#ifdef SKYCRATE_WITH_PRESIGN_SERVER
    tcase_add_test(tc, the_presign_server_trusts_its_configured_ca);
#endif
    suite_add_tcase(s, tc);
    return s;
}

SKYCRATE_TEST_MAIN(tls_suite)
