/* A host name for "cannot be resolved" tests that fails without asking a name server.
 *
 * glibc's getaddrinfo() refuses a name with an empty label at once (EAI_NONAME, no
 * packet sent). "nosuch.invalid" instead goes to the configured DNS server, and a lost
 * UDP packet costs a 5 s resolver retry: seen on a loaded machine, where
 * test_http_client's 5 s deadline passed first (SOFA_E_QUERY_TIMEOUT instead of
 * SOFA_E_NAME_RESOLUTION). Connection strings refuse this name (empty label), so the
 * tests that go through sofa_client_new() keep a syntactically valid .invalid name. */
#ifndef SOFA_TESTS_SUPPORT_BADHOST_H
#define SOFA_TESTS_SUPPORT_BADHOST_H

#define SOFA_TEST_BAD_HOST "nosuch..invalid"

#endif /* SOFA_TESTS_SUPPORT_BADHOST_H */
