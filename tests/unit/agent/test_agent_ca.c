/* Unit tests for the agents' CA (src/ingest/agent_ca.c) and the agent
 * registry of the store (src/store/agents.c): CA creation and reuse, CSR
 * signing (clientAuth only, CN/O), bad CSRs, one-time expiring tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "vigil/agent_ca.h"
#include "vigil/store.h"

static char dir[256];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/vg_ca_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *make_csr(EVP_PKEY **key_out)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509_REQ *r = X509_REQ_new();
    X509_REQ_set_pubkey(r, k);
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_ASC, (const unsigned char *)"h", -1, -1, 0);
    X509_REQ_sign(r, k, EVP_sha256());
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(b, r);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = strndup(p, (size_t)n);
    BIO_free(b);
    X509_REQ_free(r);
    *key_out = k;
    return out;
}

static void test_ca_sign(void **st)
{
    (void)st;
    struct vg_agent_ca *ca = NULL;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_agent_ca_open(&ca, dir, "127.0.0.1", &e), 0);
    char fp1[65];
    snprintf(fp1, sizeof fp1, "%s", vg_agent_ca_fingerprint(ca));
    assert_int_equal(strlen(fp1), 64);
    struct stat sb;
    char p[400];
    snprintf(p, sizeof p, "%s/ca/ca.key", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    EVP_PKEY *k;
    char *csr = make_csr(&k);
    char *cert = NULL, fp[65];
    assert_int_equal(vg_agent_ca_sign(ca, csr, strlen(csr), "0123456789abcdef0123456789abcdef", "acme", &cert, fp, &e), 0);
    BIO *b = BIO_new_mem_buf(cert, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    char cn[64], org[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, org, sizeof org);
    assert_string_equal(cn, "0123456789abcdef0123456789abcdef");
    assert_string_equal(org, "acme");
    assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
    assert_int_not_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);   /* cannot pose as the server */
    /* the agent's certificate carries the agent's own public key */
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), k), 1);
    X509_free(x);
    vg_free(cert);
    /* bad CSRs */
    assert_int_equal(vg_agent_ca_sign(ca, "junk", 4, "id", "t", &cert, fp, &e), VG_EINVAL);
    char *bad = strdup(csr);
    char *mid = strstr(bad, "\n") + 20;   /* flip a base64 character inside */
    *mid = *mid == 'A' ? 'B' : 'A';
    assert_int_not_equal(vg_agent_ca_sign(ca, bad, strlen(bad), "id", "t", &cert, fp, &e), 0);
    assert_null(cert);
    free(bad);
    free(csr);
    EVP_PKEY_free(k);
    vg_agent_ca_free(ca);
    /* reopened: same CA */
    assert_int_equal(vg_agent_ca_open(&ca, dir, NULL, &e), 0);
    assert_string_equal(vg_agent_ca_fingerprint(ca), fp1);
    vg_agent_ca_free(ca);
}

static void test_tokens_and_registry(void **st)
{
    (void)st;
    struct vg_store *s = NULL;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&s, dir, &e), 0);
    char tok[128], tok2[128], tenant[64];
    int64_t now = vg_now_ns();
    assert_int_equal(s->ops->enroll_token_create(s, "acme", now + 1000000000LL, tok, sizeof tok, &e), 0);
    assert_int_equal(s->ops->enroll_token_create(s, "bad tenant!", now, tok2, sizeof tok2, &e), VG_EINVAL);
    assert_int_equal(s->ops->enroll_token_create(s, "acme", now + 10, tok2, sizeof tok2, &e), 0);
    assert_int_equal(s->ops->enroll_token_use(s, tok2, now + 11, "x", tenant, sizeof tenant, &e), VG_EAUTH);
    assert_non_null(strstr(e.msg, "expired"));
    assert_int_equal(s->ops->enroll_token_use(s, tok, now, "a1", tenant, sizeof tenant, &e), 0);
    assert_string_equal(tenant, "acme");
    assert_int_equal(s->ops->enroll_token_use(s, tok, now, "a2", tenant, sizeof tenant, &e), VG_EAUTH);
    assert_non_null(strstr(e.msg, "already used"));
    tok[10] ^= 1;
    assert_int_equal(s->ops->enroll_token_use(s, tok, now, "a2", tenant, sizeof tenant, &e), VG_EAUTH);
    assert_int_equal(s->ops->enroll_token_use(s, "vge_short", now, "a2", tenant, sizeof tenant, &e), VG_EAUTH);
    struct vg_agent_info a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "a1");
    snprintf(a.tenant, sizeof a.tenant, "acme");
    snprintf(a.name, sizeof a.name, "web-01");
    snprintf(a.fingerprint, sizeof a.fingerprint, "ff");
    a.enrolled = now;
    assert_int_equal(s->ops->agent_add(s, &a, &e), 0);
    assert_int_equal(s->ops->agent_add(s, &a, &e), VG_EEXIST);
    a.last_seq = 77;
    a.last_seen = now + 5;
    snprintf(a.version, sizeof a.version, "0.1.0");
    assert_int_equal(s->ops->agent_update(s, &a, &e), 0);
    struct vg_agent_info g;
    assert_int_equal(s->ops->agent_get(s, "a1", &g, &e), 0);
    assert_int_equal(g.last_seq, 77);
    assert_string_equal(g.version, "0.1.0");
    assert_int_equal(s->ops->agent_get(s, "zz", &g, &e), VG_ENOENT);
    assert_int_equal(s->ops->agent_revoke(s, "web-01", &e), 0);
    assert_int_equal(s->ops->agent_revoke(s, "web-01", &e), VG_ENOENT);
    struct vg_agent_info *l = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->agent_list(s, &l, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_true(l[0].revoked > 0);
    vg_free(l);
    vg_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ca_sign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_and_registry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
