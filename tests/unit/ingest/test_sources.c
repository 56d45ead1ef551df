/* Unit tests for the ingest sources against a store test double: TCP
 * (mixed framing, oversized and garbage frames between good ones), UDP,
 * TLS (verifying the generated certificate), and file tailing (appends,
 * partial lines, rotation, truncation, restart from persisted positions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include "vigil/source.h"
#include "ingest/fake_store.h"

struct env {
    struct fake_store fs;
    struct vg_pipeline *p;
    char dir[256];
};

static void env_start(struct env *e)
{
    fake_init(&e->fs);
    struct vg_pipeline_opts o = {.workers = 2};
    assert_int_equal(vg_pipeline_new(&e->p, &e->fs.base, &o, NULL), 0);
    snprintf(e->dir, sizeof e->dir, "/tmp/vg_test_src_XXXXXX");
    assert_non_null(mkdtemp(e->dir));
}

static void env_stop(struct env *e)
{
    vg_pipeline_free(e->p, NULL);
    fake_release(&e->fs);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    assert_int_equal(system(cmd), 0);
}

static struct vg_source_conf conf_for(struct env *e, const char *listen)
{
    struct vg_source_conf c = {.pipeline = e->p, .listen = listen, .data_dir = e->dir, .max_frame = 1024,
                               .batch_delay_ns = 5000000};
    return c;
}

static int connect_to(const char *bound, int type)
{
    const char *colon = strrchr(bound, ':');
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static void test_tcp(void **st)
{
    (void)st;
    struct env e;
    env_start(&e);
    struct vg_source_conf c = conf_for(&e, "127.0.0.1:0");
    struct vg_source *src = NULL;
    char bound[64];
    const struct vg_source_ops *ops = vg_source_find("syslog-tcp");
    assert_non_null(ops);
    assert_int_equal(ops->start(&src, &c, bound, sizeof bound, NULL), 0);
    assert_true(strncmp(bound, "127.0.0.1:", 10) == 0);
    int fd = connect_to(bound, SOCK_STREAM);
    send_all(fd, "<13>tcp one\n", 12);
    send_all(fd, "13 <13>tcp two\nX", 16);        /* octet frame holding an LF */
    char *big = malloc(5000);
    memset(big, 'Z', 5000);
    send_all(fd, big, 5000);                     /* oversized line */
    send_all(fd, "\n<13>tcp three\n", 15);
    send_all(fd, "99999999999 x\n", 14);        /* garbage length: an ordinary line */
    send_all(fd, "3000 ", 5);                   /* oversized octet frame, skipped by length */
    send_all(fd, big, 3000);
    send_all(fd, "\xff\xfe\x00<13>tcp four", 16);   /* binary, NUL, then an unterminated line */
    free(big);
    close(fd);
    assert_true(fake_wait(&e.fs, 5, 5000));
    ops->stop(src);
    assert_int_equal(fake_count_raw(&e.fs, "<13>tcp one"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "<13>tcp two\nX"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "<13>tcp three"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "99999999999 x"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "<13>tcp four"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "\xff\xfe"), 1);
    vg_pipeline_stop(e.p);
    struct vg_source_counters *k = vg_pipeline_counters(e.p, "syslog-tcp");
    assert_int_equal(atomic_load(&k->received), 8);
    assert_int_equal(atomic_load(&k->dropped), 2);
    assert_int_equal(atomic_load(&k->stored), 6);
    env_stop(&e);
}

static void test_udp(void **st)
{
    (void)st;
    struct env e;
    env_start(&e);
    struct vg_source_conf c = conf_for(&e, "127.0.0.1:0");
    struct vg_source *src = NULL;
    char bound[64];
    const struct vg_source_ops *ops = vg_source_find("syslog-udp");
    assert_int_equal(ops->start(&src, &c, bound, sizeof bound, NULL), 0);
    int fd = connect_to(bound, SOCK_DGRAM);
    char big[2000];
    memset(big, 'Q', sizeof big);
    for (int i = 0; i < 50; i++) {
        char m[64];
        int n = snprintf(m, sizeof m, "<13>udp %d\n", i);
        assert_int_equal(send(fd, m, (size_t)n, 0), n);
        if (i == 10) assert_int_equal(send(fd, big, sizeof big, 0), (ssize_t)sizeof big);
    }
    close(fd);
    assert_true(fake_wait(&e.fs, 50, 5000));
    ops->stop(src);
    assert_int_equal(fake_count_raw(&e.fs, "<13>udp 49"), 1);
    vg_pipeline_stop(e.p);
    struct vg_source_counters *k = vg_pipeline_counters(e.p, "syslog-udp");
    assert_int_equal(atomic_load(&k->received), 51);
    assert_int_equal(atomic_load(&k->dropped), 1);
    assert_int_equal(atomic_load(&k->stored), 50);
    env_stop(&e);
}

static void test_tls(void **st)
{
    (void)st;
    struct env e;
    env_start(&e);
    struct vg_source_conf c = conf_for(&e, "127.0.0.1:0");
    struct vg_source *src = NULL;
    char bound[64];
    struct vg_err err = VG_ERR_INIT;
    const struct vg_source_ops *ops = vg_source_find("syslog-tls");
    int rc = ops->start(&src, &c, bound, sizeof bound, &err);
    if (rc) fail_msg("tls start: %s", err.msg);
    char path[400];
    snprintf(path, sizeof path, "%s/tls/key.pem", e.dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/tls/cert.pem", e.dir);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, path, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = connect_to(bound, SOCK_STREAM);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set1_host(ssl, "localhost");
    assert_int_equal(SSL_connect(ssl), 1);
    const char *frames = "11 <13>tls one11 <13>tls two";
    assert_int_equal(SSL_write(ssl, frames, (int)strlen(frames)), (int)strlen(frames));
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    assert_true(fake_wait(&e.fs, 2, 5000));
    ops->stop(src);
    assert_int_equal(fake_count_raw(&e.fs, "<13>tls one"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "<13>tls two"), 1);
    env_stop(&e);
}

static void append(const char *path, const char *s)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static void test_file_tail(void **st)
{
    (void)st;
    struct env e;
    env_start(&e);
    char log[300], old[300];
    snprintf(log, sizeof log, "%s/app.log", e.dir);
    snprintf(old, sizeof old, "%s/app.log.1", e.dir);
    append(log, "a1\na2\na3\n");
    const char *files[] = {log};
    struct vg_source_conf c = conf_for(&e, NULL);
    c.files = files;
    c.nfiles = 1;
    c.poll_ns = 10000000;
    const struct vg_source_ops *ops = vg_source_find("file");
    struct vg_source *src = NULL;
    assert_int_equal(ops->start(&src, &c, NULL, 0, NULL), 0);
    assert_true(fake_wait(&e.fs, 3, 5000));
    append(log, "a4\na5");                       /* a5 incomplete */
    assert_true(fake_wait(&e.fs, 4, 5000));
    usleep(50000);
    assert_int_equal(fake_events(&e.fs), 4);
    append(log, "x\na6\na7\n");
    assert_int_equal(rename(log, old), 0);       /* rotate; the tail of the old file must not be lost */
    append(log, "b1\nb2\n");
    assert_true(fake_wait(&e.fs, 9, 5000));
    assert_int_equal(fake_count_raw(&e.fs, "a5x"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "a7"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "b2"), 1);
    assert_int_equal(truncate(log, 0), 0);       /* truncation: start over */
    append(log, "c1\n");
    assert_true(fake_wait(&e.fs, 10, 5000));
    assert_int_equal(fake_count_raw(&e.fs, "c1"), 1);
    ops->stop(src);

    /* restart: resumes at the committed position, nothing read twice */
    append(log, "c2\n");
    src = NULL;
    assert_int_equal(ops->start(&src, &c, NULL, 0, NULL), 0);
    assert_true(fake_wait(&e.fs, 11, 5000));
    usleep(100000);
    ops->stop(src);
    assert_int_equal(fake_events(&e.fs), 11);
    assert_int_equal(fake_count_raw(&e.fs, "c2"), 1);
    assert_int_equal(fake_count_raw(&e.fs, "c1"), 1);
    env_stop(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_file_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
