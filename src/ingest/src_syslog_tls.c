/* Source: syslog over TLS (RFC 5425: octet-counted frames inside TLS 1.2 or
 * 1.3), via OpenSSL on the stream server (stream.c). The certificate and key
 * come from the configuration or, by default, from DATA/tls/{cert,key}.pem,
 * which are generated on first start as a self-signed P-256 certificate for
 * localhost/127.0.0.1 (key mode 0600). */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct vg_source { struct vg__stream_srv *srv; };

static int ssl_err(struct vg_err *err, const char *what)
{
    char msg[256] = "unknown OpenSSL error";
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, msg, sizeof msg);
    ERR_clear_error();
    return vg_err_set(err, VG_ETLS, "%s: %s", what, msg);
}

static FILE *create_private(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return NULL;
    fchmod(fd, mode);
    FILE *f = fdopen(fd, "w");
    if (!f) close(fd);
    return f;
}

/* Writes a fresh self-signed certificate and key. */
static int make_self_signed(const char *cert_path, const char *key_path, struct vg_err *err)
{
    int rc = 0;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_EXTENSION *ext = NULL;
    FILE *kf = NULL, *cf = NULL;
    if (!pk || !x) { rc = ssl_err(err, "key generation"); goto out; }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) { rc = ssl_err(err, "random"); goto out; }
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) { BN_free(bn); rc = ssl_err(err, "serial"); goto out; }
    BN_free(bn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400L);
    X509_set_pubkey(x, pk);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"Vigil", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, nm);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    if (!ext || !X509_add_ext(x, ext, -1)) { rc = ssl_err(err, "certificate extension"); goto out; }
    if (!X509_sign(x, pk, EVP_sha256())) { rc = ssl_err(err, "certificate signing"); goto out; }
    kf = create_private(key_path, 0600);
    if (!kf) { rc = vg_err_set(err, VG_EIO, "cannot write %s: %s", key_path, strerror(errno)); goto out; }
    if (!PEM_write_PrivateKey(kf, pk, NULL, NULL, 0, NULL, NULL)) { rc = ssl_err(err, "writing the key"); goto out; }
    cf = create_private(cert_path, 0644);
    if (!cf) { rc = vg_err_set(err, VG_EIO, "cannot write %s: %s", cert_path, strerror(errno)); goto out; }
    if (!PEM_write_X509(cf, x)) { rc = ssl_err(err, "writing the certificate"); goto out; }
out:
    if (kf && fclose(kf) != 0 && !rc) rc = vg_err_set(err, VG_EIO, "cannot write %s", key_path);
    if (cf && fclose(cf) != 0 && !rc) rc = vg_err_set(err, VG_EIO, "cannot write %s", cert_path);
    if (rc) { unlink(key_path); unlink(cert_path); }
    X509_EXTENSION_free(ext);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

static int make_ctx(SSL_CTX **out, const struct vg_source_conf *conf, struct vg_err *err)
{
    char cert[1200], key[1200];
    *out = NULL;
    if (conf->tls_cert && *conf->tls_cert) {
        if (!conf->tls_key || !*conf->tls_key) return vg_err_set(err, VG_EINVAL, "tls_cert given without tls_key");
        snprintf(cert, sizeof cert, "%s", conf->tls_cert);
        snprintf(key, sizeof key, "%s", conf->tls_key);
    } else {
        if (!conf->data_dir) return vg_err_set(err, VG_EINVAL, "no data directory for TLS material");
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/tls", conf->data_dir);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return vg_err_set(err, VG_EIO, "cannot create %s: %s", dir, strerror(errno));
        snprintf(cert, sizeof cert, "%s/cert.pem", dir);
        snprintf(key, sizeof key, "%s/key.pem", dir);
        if (access(cert, R_OK) != 0 || access(key, R_OK) != 0) {
            int rc = make_self_signed(cert, key, err);
            if (rc) return rc;
            vg_info("ingest", "syslog-tls: generated a self-signed certificate in %s", dir);
        }
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return ssl_err(err, "SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) { SSL_CTX_free(ctx); return ssl_err(err, cert); }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) { SSL_CTX_free(ctx); return ssl_err(err, key); }
    if (SSL_CTX_check_private_key(ctx) != 1) { SSL_CTX_free(ctx); return ssl_err(err, "key does not match certificate"); }
    *out = ctx;
    return 0;
}

static int start(struct vg_source **out, const struct vg_source_conf *conf, char *bound, size_t bsz,
                 struct vg_err *err)
{
    *out = NULL;
    SSL_CTX *ctx = NULL;
    int rc = make_ctx(&ctx, conf, err);
    if (rc) return rc;
    struct vg_source *s = vg_calloc(1, sizeof *s);
    if (!s) { SSL_CTX_free(ctx); return vg_err_set(err, VG_ENOMEM, "out of memory"); }
    rc = vg__stream_start(&s->srv, conf, "syslog-tls", ctx, bound, bsz, err);   /* takes ctx */
    if (rc) { vg_free(s); return rc; }
    *out = s;
    return 0;
}

static void stop(struct vg_source *s)
{
    if (!s) return;
    vg__stream_stop(s->srv);
    vg_free(s);
}

const struct vg_source_ops vg_src_syslog_tls = {
    .name = "syslog-tls",
    .desc = "syslog over TLS 1.2/1.3 (RFC 5425), self-signed certificate in DATA/tls/ unless configured",
    .start = start,
    .stop = stop,
};
