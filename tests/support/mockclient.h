/*
 * A client on the scripted mock transport, for the unit tests of what a client sends and reads
 * (test_transfer, test_multipart): the test allocator, a frozen clock, path-style requests to
 * http://127.0.0.1:7480 in us-east-1, signed with the static key AKIDEXAMPLE / "secret".
 */
#ifndef SKYCRATE_TEST_MOCKCLIENT_H
#define SKYCRATE_TEST_MOCKCLIENT_H

#include <stdint.h>

#include "mocktransport.h"
#include "skycrate.h"

/* The frozen clock: 2024-11-22T18:26:40Z. */
#define MOCK_CLIENT_T0_MS INT64_C(1732300000000)

/* Initialises the library with the test allocator and freezes the clock at MOCK_CLIENT_T0_MS. */
void mock_client_begin(void);
/* A client on `mock` that tries a request `max_attempts` times (retry pauses of 1 to 2 ms). */
skycrate_client *mock_client_new(mock_transport *mock, uint32_t max_attempts);
/* Frees the client and the mock, unfreezes the clock, cleans the library up and checks that
 * no allocation is left. */
void mock_client_end(mock_transport *mock, skycrate_client *client);

#endif
