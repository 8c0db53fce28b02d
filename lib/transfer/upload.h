/*
 * The sources an upload reads (a file or descriptor read with pread, or a read callback), and
 * the multipart engine the public upload calls end in.
 * SPDX-License-Identifier: MIT
 */
#ifndef SKYCRATE_TRANSFER_UPLOAD_H
#define SKYCRATE_TRANSFER_UPLOAD_H

#include <stdio.h>
#include <sys/stat.h>

#include "s3/request.h"
#include "transfer/transfer.h"

typedef struct skycrate__transfer_source {
    FILE *file;            /* seekable sources, read with pread by every lane; NULL for streams */
    const char *name;      /* for messages: "'path'", "descriptor 5", "the read callback" */
    uint64_t size;         /* SKYCRATE_TRANSFER_SIZE_UNKNOWN for streams of unknown length */
    skycrate_read_fn read; /* streams: read in order, one call at a time */
    void *read_user_data;
    uint64_t consumed; /* streams: bytes read so far */
    struct stat st;    /* files: as found at the start, compared at the end */
} skycrate__transfer_source;

/* Points a request's body at `length` bytes of the source from `offset` (a file), or at
 * `buffer` (a part of a stream held in memory). */
void skycrate__transfer_source_body(skycrate__s3_request *req, const skycrate__transfer_source *src,
                                    uint64_t offset, const unsigned char *buffer);
/* Adds `length` bytes at `offset` of a file to the checksum (SKYCRATE_EIO when it cannot be
 * read or ends early: it shrank). Reads nothing when the sum needs no bytes: the send itself
 * then finds a file that shrank. */
int skycrate__transfer_source_sum(skycrate__part_sum *sum, const skycrate__transfer_source *src,
                                  uint64_t offset, uint64_t length);
/* Fills up to `capacity` bytes from a stream (fewer only at its end); counts them in
 * `consumed`. The callback's code passes through. */
int skycrate__transfer_source_fill(size_t *n, skycrate__transfer_source *src, unsigned char *buf,
                                   size_t capacity);
/* After the declared length a stream must end: SKYCRATE_EINVAL when it supplies one byte more. */
int skycrate__transfer_source_check_end(skycrate__transfer_source *src);
/* SKYCRATE_EIO when a file's size or modification time changed since the start. */
int skycrate__transfer_source_unchanged(const skycrate__transfer_source *src);

/*
 * The multipart upload of `src` in parts of `part_size`. For a stream, `first_part` holds the
 * first `first_length` bytes already read (taken over and freed); NULL for files.
 */
int skycrate__upload_multipart(skycrate_transfer_result **result_out, skycrate_client *client,
                               const char *bucket, const char *key,
                               const skycrate_transfer_options *o, skycrate__transfer_source *src,
                               uint64_t part_size, unsigned char *first_part, size_t first_length);

#endif
