/*
 * test_args.c: bad command lines of shake_server and shake_client, and a port already
 * in use: one line on stderr, the documented status, nothing else, nothing left behind.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

TestSuite(args, .init = tl_setup, .fini = tl_teardown, .timeout = 30);

static void expect_error(const char *const *argv, int status, const char *prog)
{
    tl_result r = tl_run(&(tl_opts){ .argv = argv, .deadline_ms = 3000 });
    size_t plen = strlen(prog);
    cr_assert(r.exited && r.status == status, "expected exit status %d: %s", status,
              tl_explain(&r));
    cr_assert(tl_one_line(r.err) && (!strncmp(r.err, "usage: ", 7) ||
              (!strncmp(r.err, prog, plen) && !strncmp(r.err + plen, ": ", 2))),
              "expected exactly one line on stderr starting with \"usage: \" or \"%s: \", got "
              "\"%.200s\".\n  Reproduce: %s", prog, r.err, r.cmd);
    cr_assert(r.out_len == 0, "nothing may go to stdout on an error (got \"%.80s\").\n  "
              "Reproduce: %s", r.out, r.cmd);
    cr_assert(tl_clean(&r), "%s", tl_explain(&r));
    tl_result_free(&r);
}

Test(args, server_usage_errors)
{
    const char *const *bad[] = {
        TL_ARGV("shake_server", "-m", "forks"),  TL_ARGV("shake_server", "-p", "abc"),
        TL_ARGV("shake_server", "-p", "70000"),  TL_ARGV("shake_server", "-p", "-1"),
        TL_ARGV("shake_server", "-w", "0"),      TL_ARGV("shake_server", "-w", "2x"),
        TL_ARGV("shake_server", "extra"),        TL_ARGV("shake_server", "-x"),
        TL_ARGV("shake_server", "-p"),           TL_ARGV("shake_server", "-b", "not-an-ip"),
        TL_ARGV("shake_server", "-v", "extra"),  /* -v takes no argument */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], 2, "shake_server");
}

Test(args, client_usage_errors)
{
    const char *const *bad[] = {
        TL_ARGV("shake_client"),
        TL_ARGV("shake_client", "127.0.0.1"),
        TL_ARGV("shake_client", "127.0.0.1", "abc"),
        TL_ARGV("shake_client", "127.0.0.1", "0"),
        TL_ARGV("shake_client", "127.0.0.1", "70000"),
        TL_ARGV("shake_client", "127.0.0.1", "80", "extra"),
        TL_ARGV("shake_client", "-t", "0", "127.0.0.1", "80"),
        TL_ARGV("shake_client", "-t", "-1", "127.0.0.1", "80"),
        TL_ARGV("shake_client", "-t", "abc", "127.0.0.1", "80"),
        TL_ARGV("shake_client", "-t", "3601", "127.0.0.1", "80"),
        TL_ARGV("shake_client", "127.0.0.1", "80", "-t"),
        TL_ARGV("shake_client", "-t"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i], 2, "shake_client");
}

Test(args, port_in_use)
{
    /* The test holds the port with its own listener. */
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof sa;
    char port[16];
    tl_test_is_peer(); /* the port it holds is part of the failure */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0 &&
              getsockname(fd, (struct sockaddr *)&sa, &sl) == 0, "test setup: cannot listen");
    snprintf(port, sizeof port, "%d", ntohs(sa.sin_port));
    const char *models[] = { "fork", "epoll", "reuseport" };
    for (int i = 0; i < 3; i++)
        expect_error(TL_ARGV("shake_server", "-p", port, "-m", models[i]), 1, "shake_server");
    close(fd);
}
