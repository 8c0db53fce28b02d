/*
 * credential_process: runs the profile's command, captures what it prints, and reads the
 * JSON answer (Version 1) into credentials. The output is a secret: it is read into one
 * buffer of fixed size, wiped after use, and never quoted in a message.
 * SPDX-License-Identifier: MIT
 */
#include "creds/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/common.h"
#include "core/time.h"
#include "errors.h"

extern char **environ;

/* --- the answer --------------------------------------------------------------------------- */

/* Overwrites a string that jansson allocated (its memory is writable; the API hands it out const). */
static void wipe_json_string(json_t *v)
{
    if (json_is_string(v))
        skycrate__wipe((char *)json_string_value(v), json_string_length(v));
}

static int bad(const char *profile, const char *what)
{
    return skycrate__error_set(SKYCRATE_EPARSE, "credential_process of profile '%s': %s", profile,
                               what);
}

/* A required non-empty string, or an optional one (absent or null is NULL). */
static int string_field(const char **out, json_t *root, const char *name, bool required,
                        const char *profile)
{
    json_t *v = json_object_get(root, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        return skycrate__error_set(
            SKYCRATE_EPARSE, "credential_process of profile '%s' printed no %s", profile, name);
    }
    if (!json_is_string(v) || (required && json_string_length(v) == 0))
        return skycrate__error_set(SKYCRATE_EPARSE,
                                   "credential_process of profile '%s': %s is not a %sstring",
                                   profile, name, required ? "non-empty " : "");
    *out = json_string_value(v);
    return 0;
}

int skycrate__credential_process_parse(skycrate_credentials **out, const char *json, size_t len,
                                       const char *profile)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(json || len == 0);
    if (!profile)
        profile = "default";
    int error = 0;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) /* it may hold credentials: only the position of the error is shown */
        return skycrate__error_from_json(SKYCRATE_EPARSE, &jerr, false,
                                         "credential_process of profile '%s' printed no valid JSON",
                                         profile);
    if (!json_is_object(root)) {
        error = bad(profile, "the output is not a JSON object");
        goto done;
    }
    json_t *version = json_object_get(root, "Version");
    if (!version) {
        error = bad(profile, "no Version (expected 1)");
        goto done;
    }
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        if (json_is_integer(version))
            error = skycrate__error_set(
                SKYCRATE_EPARSE,
                "credential_process of profile '%s': Version %" JSON_INTEGER_FORMAT
                " is not supported (expected 1)",
                profile, json_integer_value(version));
        else
            error = bad(profile, "Version is not the number 1");
        goto done;
    }
    const char *akid, *secret, *token, *expiration;
    if ((error = string_field(&akid, root, "AccessKeyId", true, profile)) < 0 ||
        (error = string_field(&secret, root, "SecretAccessKey", true, profile)) < 0 ||
        (error = string_field(&token, root, "SessionToken", false, profile)) < 0 ||
        (error = string_field(&expiration, root, "Expiration", false, profile)) < 0)
        goto done;
    int64_t expires = 0;
    if (expiration && skycrate__parse_iso8601(&expires, expiration) < 0) {
        error = bad(profile, "Expiration is not an ISO 8601 time");
        goto done;
    }
    char who[160];
    snprintf(who, sizeof(who), "credential_process of profile '%.64s'", profile);
    error = skycrate__credentials_from_answer(out, akid, secret, token, expires, who);
done:
    if (root) {
        wipe_json_string(json_object_get(root, "SecretAccessKey"));
        wipe_json_string(json_object_get(root, "SessionToken"));
        json_decref(root);
    }
    return error;
}

/* --- the process -------------------------------------------------------------------------- */

/* Kills the command's process group (it leads it) and reaps the command. */
static void kill_and_reap(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

static int spawn(pid_t *pid, int *out_fd, const char *command, const char *profile)
{
    int fds[2];
    char errbuf[128];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return skycrate__error_set(SKYCRATE_EIO, "credential_process of profile '%s': pipe: %s",
                                   profile, strerror_r(errno, errbuf, sizeof(errbuf)));
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    /* The pipe's ends are close-on-exec; the copy on stdout is not. */
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE); /* applications often ignore it; the command should not */
    sigaddset(&defaults, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    /* Its own process group, so that a timeout kills whatever the shell started too. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int rc = posix_spawn(pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return skycrate__error_set(SKYCRATE_EIO,
                                   "credential_process of profile '%s' could not be started: %s",
                                   profile, strerror_r(rc, errbuf, sizeof(errbuf)));
    }
    *out_fd = fds[0];
    return 0;
}

static int timed_out(const char *profile, uint32_t timeout_ms)
{
    return skycrate__error_set(SKYCRATE_ETIMEOUT,
                               "credential_process of profile '%s' did not finish within %u ms "
                               "and was killed",
                               profile, timeout_ms);
}

/* Reads stdout to its end, then waits for the exit status; kills the command at the deadline. */
static int collect(int *status, char *out, size_t cap, size_t *len, pid_t pid, int fd,
                   int64_t deadline, uint32_t timeout_ms, const char *profile)
{
    char errbuf[128];
    for (;;) {
        int64_t left = deadline - skycrate__monotonic_ms();
        if (left <= 0)
            return timed_out(profile, timeout_ms);
        struct pollfd pfd = {fd, POLLIN, 0};
        int n = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR)
            return skycrate__error_set(SKYCRATE_EIO, "credential_process of profile '%s': poll: %s",
                                       profile, strerror_r(errno, errbuf, sizeof(errbuf)));
        if (n <= 0)
            continue;
        char extra;
        bool full = *len == cap;
        ssize_t r = read(fd, full ? &extra : out + *len, full ? 1 : cap - *len);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0)
            return skycrate__error_set(SKYCRATE_EIO, "credential_process of profile '%s': read: %s",
                                       profile, strerror_r(errno, errbuf, sizeof(errbuf)));
        if (r == 0)
            break;
        if (full)
            return skycrate__error_set(SKYCRATE_EIO,
                                       "credential_process of profile '%s' printed more than %zu "
                                       "bytes",
                                       profile, cap);
        *len += (size_t)r;
    }
    /* The output ended; the command may still be finishing. */
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return skycrate__error_set(SKYCRATE_ERROR,
                                       "credential_process of profile '%s': its exit status is "
                                       "lost (%s)",
                                       profile, strerror_r(errno, errbuf, sizeof(errbuf)));
        if (skycrate__monotonic_ms() >= deadline)
            return timed_out(profile, timeout_ms);
        skycrate__sleep_ms(5);
    }
}

int skycrate__credential_process_run(skycrate_credentials **out, const char *command,
                                     uint32_t timeout_ms, const char *profile)
{
    SKYCRATE_ASSERT_ARG(out);
    *out = NULL;
    SKYCRATE_ASSERT_ARG(command);
    if (!profile)
        profile = "default";
    if (timeout_ms == 0)
        timeout_ms = SKYCRATE__PROCESS_TIMEOUT_MS;
    const size_t cap = SKYCRATE__PROCESS_MAX_OUTPUT;
    char *output = skycrate__malloc(cap);
    if (!output)
        return skycrate__error_nomem();
    size_t len = 0;
    pid_t pid = -1;
    int fd = -1, status = 0;
    int64_t deadline = skycrate__monotonic_ms() + timeout_ms;
    int error = spawn(&pid, &fd, command, profile);
    if (error < 0)
        goto done;
    error = collect(&status, output, cap, &len, pid, fd, deadline, timeout_ms, profile);
    if (error < 0) {
        if (error != SKYCRATE_ERROR) /* ERROR: it was reaped already */
            kill_and_reap(pid);
        goto done;
    }
    if (WIFSIGNALED(status)) {
        error = skycrate__error_set(SKYCRATE_EAUTH,
                                    "credential_process of profile '%s' was killed by signal %d",
                                    profile, WTERMSIG(status));
        goto done;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        error = skycrate__error_set(SKYCRATE_EAUTH,
                                    "credential_process of profile '%s' exited with status %d",
                                    profile, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        goto done;
    }
    error = skycrate__credential_process_parse(out, output, len, profile);
done:
    if (fd >= 0)
        close(fd);
    skycrate__wipe(output, len);
    skycrate__free(output);
    return error;
}
