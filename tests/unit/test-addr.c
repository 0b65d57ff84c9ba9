/*
 * Tests of addr: the address forms flowlbd's options take.
 */
#include <config.h>
#include "flowlb/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include "unit.h"

static void
roundtrip(const char *in, const char *out)
{
    struct sockaddr_storage ss;
    socklen_t len;

    CU_ASSERT_EQUAL_FATAL(addr_parse_ip_port(in, &ss, &len), 0);
    char *s = addr_format_ip_port((struct sockaddr *) &ss);
    CU_ASSERT_STRING_EQUAL(s, out);
    free(s);
}

static void
test_ip_port(void)
{
    roundtrip("127.0.0.1:8080", "127.0.0.1:8080");
    roundtrip("127.0.0.1:0", "127.0.0.1:0");
    roundtrip("[::1]:6653", "[::1]:6653");
    roundtrip("[2001:db8::1]:65535", "[2001:db8::1]:65535");
}

static void
test_ip_port_bad(void)
{
    static const char *bad[] = {
        "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:80x", "::1:80", "[::1]80", "[::1]", "[127.0.0.1]:80",
        "localhost:80", "1.2.3.4.5:80", "[fe80::1:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        CU_ASSERT_EQUAL(addr_parse_ip_port(bad[i], &ss, &len), EINVAL);
    }
}

static void
test_target(void)
{
    struct sockaddr_storage ss;
    socklen_t len;

    CU_ASSERT_EQUAL_FATAL(addr_parse_target("unix:/run/br0.mgmt", &ss, &len),
                          0);
    CU_ASSERT_EQUAL(ss.ss_family, AF_UNIX);
    char *s = addr_format_target((struct sockaddr *) &ss);
    CU_ASSERT_STRING_EQUAL(s, "unix:/run/br0.mgmt");
    free(s);

    CU_ASSERT_EQUAL_FATAL(addr_parse_target("tcp:[::1]:6653", &ss, &len), 0);
    s = addr_format_target((struct sockaddr *) &ss);
    CU_ASSERT_STRING_EQUAL(s, "tcp:[::1]:6653");
    free(s);

    CU_ASSERT_EQUAL(addr_parse_target("unix:", &ss, &len), EINVAL);
    CU_ASSERT_EQUAL(addr_parse_target("ssl:1.2.3.4:6653", &ss, &len), EINVAL);
    CU_ASSERT_EQUAL(addr_parse_target("tcp:1.2.3.4", &ss, &len), EINVAL);

    char longpath[200];
    memset(longpath, 'a', sizeof longpath);
    memcpy(longpath, "unix:", 5);
    longpath[sizeof longpath - 1] = '\0';
    CU_ASSERT_EQUAL(addr_parse_target(longpath, &ss, &len), EINVAL);
}

void
unit_register_addr(void)
{
    static CU_TestInfo tests[] = {
        { "IP:PORT round trip", test_ip_port },
        { "IP:PORT rejects malformed input", test_ip_port_bad },
        { "tcp: and unix: targets", test_target },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("addr", tests);
}
