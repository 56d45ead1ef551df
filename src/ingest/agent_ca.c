/* The agents' certificate authority (include/vigil/agent_ca.h): creates
 * DATA/ca/ on first use (EC P-256 CA key, mode 0600, self-signed CA
 * certificate), issues the server certificate at each start and signs the
 * CSRs agents send at enrollment. Used by the agent listener (src_agent.c)
 * and by `vigil agents token` (which prints the CA fingerprint). */
#include "vigil/agent_ca.h"
#include "vigil/event.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

struct vg_agent_ca {
    X509 *cert;
    EVP_PKEY *key;
    char fp[65];
    char *pem;
    char paths[3][1100];
};

static int ssl_err(struct vg_err *err, const char *what)
{
    char msg[256] = "unknown OpenSSL error";
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, msg, sizeof msg);
    ERR_clear_error();
    return vg_err_set(err, VG_ETLS, "%s: %s", what, msg);
}

static int write_file(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, struct vg_err *err)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return vg_err_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
    fchmod(fd, mode);
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); unlink(tmp); return vg_err_set(err, VG_EIO, "cannot write %s", tmp); }
    bool ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 : PEM_write_X509(f, cert) == 1;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return vg_err_set(err, VG_EIO, "cannot write %s", path);
    }
    return 0;
}

static int set_serial(X509 *x)
{
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) return -1;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, val);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static void fingerprint(X509 *x, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = 0;
    if (X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32) vg_hex(md, 32, out);
}

/* Builds a certificate for pub signed by (issuer, ikey); issuer NULL = self. */
static X509 *make_cert(EVP_PKEY *pub, X509 *issuer, EVP_PKEY *ikey, const char *cn, const char *org, long days,
                       const char *const *exts, const int *nids, size_t next)
{
    X509 *x = X509_new();
    if (!x || set_serial(x) != 0) goto fail;
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
    if (X509_set_pubkey(x, pub) != 1) goto fail;
    X509_NAME *nm = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
        goto fail;
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm);
    for (size_t i = 0; i < next; i++)
        if (add_ext(x, issuer ? issuer : x, nids[i], exts[i]) != 0) goto fail;
    const EVP_MD *md = EVP_PKEY_id(ikey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
    if (!X509_sign(x, ikey, md)) goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

static int issue_server(struct vg_agent_ca *ca, const char *host, struct vg_err *err)
{
    char san[600];
    int n = snprintf(san, sizeof san, "DNS:" VG_AGENT_SERVER_NAME ",DNS:localhost,IP:127.0.0.1,IP:::1");
    if (host && *host && strcmp(host, "localhost") != 0 && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0 &&
        strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0 && strlen(host) < 255) {
        uint8_t ip[16];
        snprintf(san + n, sizeof san - (size_t)n, ",%s:%s", vg_ip_parse(host, strlen(host), ip) ? "IP" : "DNS", host);
    }
    static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_ext_key_usage, NID_subject_alt_name,
                               NID_subject_key_identifier, NID_authority_key_identifier};
    const char *vals[] = {"critical,CA:FALSE", "critical,digitalSignature", "serverAuth", san, "hash", "keyid:always"};
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = k ? make_cert(k, ca->cert, ca->key, VG_AGENT_SERVER_NAME, "Vigil", 825, vals, nids, VG_ARRAY_LEN(nids)) : NULL;
    int rc = 0;
    if (!x) rc = ssl_err(err, "issuing the server certificate");
    if (!rc) rc = write_file(ca->paths[2], 0600, k, NULL, err);
    if (!rc) rc = write_file(ca->paths[1], 0644, NULL, x, err);
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

int vg_agent_ca_open(struct vg_agent_ca **out, const char *data_dir, const char *listen_host, struct vg_err *err)
{
    *out = NULL;
    struct vg_agent_ca *ca = vg_calloc(1, sizeof *ca);
    if (!ca) return vg_err_set(err, VG_ENOMEM, "out of memory");
    char dir[1050], keyp[1100];
    int rc = 0;
    BIO *mem = NULL;
    snprintf(dir, sizeof dir, "%s/ca", data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) { rc = vg_err_set(err, VG_EIO, "cannot create %s: %s", dir, strerror(errno)); goto out; }
    chmod(dir, 0700);
    snprintf(ca->paths[0], sizeof ca->paths[0], "%s/ca.pem", dir);
    snprintf(ca->paths[1], sizeof ca->paths[1], "%s/server.pem", dir);
    snprintf(ca->paths[2], sizeof ca->paths[2], "%s/server.key", dir);
    snprintf(keyp, sizeof keyp, "%s/ca.key", dir);
    if (access(keyp, F_OK) != 0) {
        static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier};
        const char *vals[] = {"critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign", "hash"};
        ca->key = EVP_EC_gen("P-256");
        if (!ca->key) { rc = ssl_err(err, "CA key generation"); goto out; }
        ca->cert = make_cert(ca->key, NULL, ca->key, "Vigil agents CA", "Vigil", 3650, vals, nids, VG_ARRAY_LEN(nids));
        if (!ca->cert) { rc = ssl_err(err, "CA certificate"); goto out; }
        if ((rc = write_file(ca->paths[0], 0644, NULL, ca->cert, err))) goto out;
        if ((rc = write_file(keyp, 0600, ca->key, NULL, err))) { unlink(ca->paths[0]); goto out; }
        vg_info("agents", "created the agents' CA in %s", dir);
    } else {
        ca->key = read_key(keyp);
        ca->cert = read_cert(ca->paths[0]);
        if (!ca->key || !ca->cert) { rc = ssl_err(err, "reading the agents' CA in DATA/ca"); goto out; }
        if (X509_check_private_key(ca->cert, ca->key) != 1) {
            rc = vg_err_set(err, VG_ETLS, "%s does not match %s", keyp, ca->paths[0]);
            goto out;
        }
    }
    fingerprint(ca->cert, ca->fp);
    mem = BIO_new(BIO_s_mem());
    if (!mem || PEM_write_bio_X509(mem, ca->cert) != 1) { rc = ssl_err(err, "CA PEM"); goto out; }
    char *p;
    long pl = BIO_get_mem_data(mem, &p);
    ca->pem = vg_strndup(p, (size_t)pl);
    if (!ca->pem) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    if (listen_host && (rc = issue_server(ca, listen_host, err))) goto out;
    *out = ca;
out:
    BIO_free(mem);
    if (rc) vg_agent_ca_free(ca);
    return rc;
}

void vg_agent_ca_free(struct vg_agent_ca *ca)
{
    if (!ca) return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    vg_free(ca->pem);
    vg_free(ca);
}

const char *vg_agent_ca_fingerprint(const struct vg_agent_ca *ca) { return ca->fp; }
const char *vg_agent_ca_pem(const struct vg_agent_ca *ca) { return ca->pem; }
const char *vg_agent_ca_path(const struct vg_agent_ca *ca, int which)
{
    return which >= 0 && which < 3 ? ca->paths[which] : "";
}

int vg_agent_ca_sign(struct vg_agent_ca *ca, const char *csr_pem, size_t csr_len, const char *agent_id,
                     const char *tenant, char **cert_pem, char fp_out[65], struct vg_err *err)
{
    *cert_pem = NULL;
    int rc = 0;
    X509 *x = NULL;
    X509_REQ *req = NULL;
    EVP_PKEY *pub = NULL;
    BIO *in = NULL, *mem = NULL;
    if (!csr_pem || csr_len == 0 || csr_len > 64 * 1024) return vg_err_set(err, VG_EINVAL, "missing or oversized CSR");
    in = BIO_new_mem_buf(csr_pem, (int)csr_len);
    req = in ? PEM_read_bio_X509_REQ(in, NULL, NULL, NULL) : NULL;
    if (!req) { ERR_clear_error(); rc = vg_err_set(err, VG_EINVAL, "the CSR is not a PEM certificate request"); goto out; }
    pub = X509_REQ_get_pubkey(req);
    if (!pub || X509_REQ_verify(req, pub) != 1) {
        ERR_clear_error();
        rc = vg_err_set(err, VG_EINVAL, "the CSR signature does not verify");
        goto out;
    }
    int kt = EVP_PKEY_id(pub);
    if (kt != EVP_PKEY_EC && kt != EVP_PKEY_ED25519) { rc = vg_err_set(err, VG_EINVAL, "unsupported agent key type (want EC or Ed25519)"); goto out; }
    static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_ext_key_usage, NID_authority_key_identifier};
    const char *vals[] = {"critical,CA:FALSE", "critical,digitalSignature", "clientAuth", "keyid:always"};
    x = make_cert(pub, ca->cert, ca->key, agent_id, tenant, 1825, vals, nids, VG_ARRAY_LEN(nids));
    if (!x) { rc = ssl_err(err, "signing the agent certificate"); goto out; }
    fingerprint(x, fp_out);
    mem = BIO_new(BIO_s_mem());
    if (!mem || PEM_write_bio_X509(mem, x) != 1) { rc = ssl_err(err, "certificate PEM"); goto out; }
    char *p;
    long pl = BIO_get_mem_data(mem, &p);
    *cert_pem = vg_strndup(p, (size_t)pl);
    if (!*cert_pem) rc = vg_err_set(err, VG_ENOMEM, "out of memory");
out:
    BIO_free(in);
    BIO_free(mem);
    X509_REQ_free(req);
    EVP_PKEY_free(pub);
    X509_free(x);
    return rc;
}
