/* Unit tests of the api layer's pure parts: ingest body splitting and JSON
 * validation, OpenMetrics-to-JSON, the route table, bearer header parsing,
 * role names, error bodies and URL parsing of the HTTP client. Each case is
 * its own CTest test (argv[1] filters). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "api/internal.h"
#include "vigil/http_client.h"

struct rec { size_t index; char text[256]; char why[256]; bool ok; };
struct recs { struct rec r[64]; size_t n; };

static int collect(void *ctx, size_t index, const char *p, size_t len, const char *why)
{
    struct recs *rs = ctx;
    if (rs->n == 64) return VG_ETOOBIG;
    struct rec *r = &rs->r[rs->n++];
    r->index = index;
    snprintf(r->text, sizeof r->text, "%.*s", (int)(len < 255 ? len : 255), p);
    snprintf(r->why, sizeof r->why, "%s", why ? why : "");
    r->ok = why == NULL;
    return 0;
}

static int split(const char *body, struct recs *rs, const struct vg__split_opts *o)
{
    memset(rs, 0, sizeof *rs);
    size_t n;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg__api_split_body(body, strlen(body), o, collect, rs, &n, &err);
    if (rc == 0) assert_int_equal(n, rs->n);
    return rc;
}

static void split_lines_basic(void **state)
{
    (void)state;
    struct recs rs;
    assert_int_equal(split("{\"a\":1}\n\n  \r\n{\"b\":\"x\"}\r\n{\"c\":[1,2,{\"d\":null}]}", &rs, NULL), 0);
    assert_int_equal(rs.n, 3);
    assert_true(rs.r[0].ok && rs.r[1].ok && rs.r[2].ok);
    assert_string_equal(rs.r[0].text, "{\"a\":1}");
    assert_string_equal(rs.r[1].text, "{\"b\":\"x\"}"); /* CR trimmed */
    assert_int_equal(rs.r[2].index, 2);
}

static void split_array_basic(void **state)
{
    (void)state;
    struct recs rs;
    assert_int_equal(split("  [ {\"a\":\"],[\"} , {\"b\":{\"c\":[1,\"\\\"\"]}}\n]\n", &rs, NULL), 0);
    assert_int_equal(rs.n, 2);
    assert_true(rs.r[0].ok && rs.r[1].ok);
    assert_string_equal(rs.r[0].text, "{\"a\":\"],[\"}");
    assert_string_equal(rs.r[1].text, "{\"b\":{\"c\":[1,\"\\\"\"]}}");
    assert_int_equal(split("[]", &rs, NULL), 0);
    assert_int_equal(rs.n, 0);
}

static void split_partial_bad(void **state)
{
    (void)state;
    struct recs rs;
    const char *body = "{\"ok\":1}\n"
                       "{\"truncated\":\"abc\n"
                       "\x01\x02\xff\xfe garbage\n"
                       "{\"utf8\":\"\xc3\x28\"}\n"
                       "[1,2]\n"
                       "{\"dup\":1,\"dup\":2}\n"
                       "{\"ok\":2} trailing\n"
                       "{\"ok\":3}";
    assert_int_equal(split(body, &rs, NULL), 0);
    assert_int_equal(rs.n, 8);
    assert_true(rs.r[0].ok);
    assert_false(rs.r[1].ok);
    assert_non_null(strstr(rs.r[1].why, "unterminated string"));
    assert_false(rs.r[2].ok);
    assert_false(rs.r[3].ok);
    assert_non_null(strstr(rs.r[3].why, "invalid UTF-8"));
    assert_false(rs.r[4].ok);
    assert_string_equal(rs.r[4].why, "record is not a JSON object");
    assert_true(rs.r[5].ok); /* duplicate keys are valid JSON */
    assert_false(rs.r[6].ok);
    assert_non_null(strstr(rs.r[6].why, "trailing data"));
    assert_true(rs.r[7].ok);
}

static void split_array_truncated(void **state)
{
    (void)state;
    struct recs rs;
    assert_int_equal(split("[{\"a\":1},{\"b\":2},{\"c\":", &rs, NULL), 0);
    assert_int_equal(rs.n, 3);
    assert_true(rs.r[0].ok && rs.r[1].ok);
    assert_false(rs.r[2].ok);
    assert_non_null(strstr(rs.r[2].why, "truncated"));
    assert_int_equal(split("[{\"a\":1},{\"b\":2}", &rs, NULL), 0);
    assert_int_equal(rs.n, 2);
    assert_true(rs.r[0].ok);
    assert_false(rs.r[1].ok); /* complete object, but the array never closed */
    assert_non_null(strstr(rs.r[1].why, "array not closed"));
    assert_int_equal(split("[{\"a\":1},,{\"b\":2}] x", &rs, NULL), 0);
    assert_int_equal(rs.n, 4);
    assert_true(rs.r[0].ok);
    assert_string_equal(rs.r[1].why, "empty record");
    assert_true(rs.r[2].ok);
    assert_non_null(strstr(rs.r[3].why, "trailing data after the JSON array"));
    assert_int_equal(split("[", &rs, NULL), 0);
    assert_int_equal(rs.n, 1);
    assert_false(rs.r[0].ok);
}

static void split_limits(void **state)
{
    (void)state;
    struct recs rs;
    struct vg_err err = VG_ERR_INIT;
    size_t n;
    assert_int_equal(vg__api_split_body("  \n\t ", 5, NULL, collect, &rs, &n, &err), VG_EFORMAT);
    assert_non_null(strstr(err.msg, "empty body"));
    assert_int_equal(vg__api_split_body(NULL, 0, NULL, collect, &rs, &n, &err), VG_EFORMAT);
    struct vg__split_opts o = {16, 3, 4};
    assert_int_equal(split("{\"a\":\"0123456789abcdef\"}\n{\"b\":1}", &rs, &o), 0);
    assert_false(rs.r[0].ok);
    assert_non_null(strstr(rs.r[0].why, "exceeds the 16-byte limit"));
    assert_true(rs.r[1].ok);
    assert_int_equal(split("{\"a\":[[[[1]]]]}", &rs, &o), 0);
    assert_false(rs.r[0].ok);
    assert_non_null(strstr(rs.r[0].why, "nesting deeper than 4"));
    memset(&rs, 0, sizeof rs);
    const char *four = "{}\n{}\n{}\n{}\n";
    assert_int_equal(vg__api_split_body(four, strlen(four), &o, collect, &rs, &n, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.msg, "more than 3 records"));
}

static void validate_table(void **state)
{
    (void)state;
    static const struct { const char *s; bool ok; } cases[] = {
        {"{}", true},
        {" {\"a\" : -0.5e+10 , \"b\":[true,false,null,\"\\u00e9\\ud83d\\ude00\"]} ", true},
        {"{\"\xe2\x82\xac\":\"\xf0\x9f\x98\x80\"}", true},
        {"{\"a\":01}", false},
        {"{\"a\":1.}", false},
        {"{\"a\":.5}", false},
        {"{\"a\":1e}", false},
        {"{\"a\":+1}", false},
        {"{\"a\":tru}", false},
        {"{\"a\":\"\\x\"}", false},
        {"{\"a\":\"\\ud800\"}", false},
        {"{\"a\":\"\\udc00\"}", false},
        {"{\"a\":\"\\ud800\\u0041\"}", false},
        {"{\"a\":\"\xc0\xaf\"}", false},       /* overlong */
        {"{\"a\":\"\xed\xa0\x80\"}", false},   /* encoded surrogate */
        {"{\"a\":\"\xf4\x90\x80\x80\"}", false}, /* > U+10FFFF */
        {"{\"a\":\"tab\there\"}", false},
        {"{\"a\":1,}", false},
        {"{,}", false},
        {"{\"a\"}", false},
        {"{\"a\":1", false},
        {"{\"a\":[1,2}", false},
        {"{} {}", false},
        {"", false},
        {"\"str\"", false},
    };
    char why[256];
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        bool ok = vg__api_json_validate(cases[i].s, strlen(cases[i].s), 128, true, why, sizeof why);
        if (ok != cases[i].ok) fail_msg("case %zu '%s': got %d (%s)", i, cases[i].s, ok, why);
        if (!ok) assert_true(why[0] != 0);
    }
    /* deep nesting is refused, not recursed into */
    char deep[4000];
    size_t n = 0;
    deep[n++] = '{';
    deep[n++] = '"';
    deep[n++] = 'a';
    deep[n++] = '"';
    deep[n++] = ':';
    for (int i = 0; i < 1000; i++) deep[n++] = '[';
    deep[n] = 0;
    assert_false(vg__api_json_validate(deep, n, 128, true, why, sizeof why));
    assert_non_null(strstr(why, "nesting deeper than 128"));
}

static void metrics_json(void **state)
{
    (void)state;
    const char *text = "# TYPE vigil_source_received counter\n"
                       "vigil_source_received_total{source=\"http\"} 5\n"
                       "vigil_source_received_total{source=\"syslog-udp\"} 7\n"
                       "vigil_source_received_created{source=\"http\"} 1.7e9\n"
                       "# TYPE vigil_events_decoded counter\n"
                       "vigil_events_decoded_total{source=\"http\",x=\"a\\\"b\"} 4\n"
                       "vigil_source_stored_total{x=\"1\",source=\"file:/var/log/a \\\"q\\\"\"} 2.0\n"
                       "vigil_other{source=\"http\"} NaN\n"
                       "vigil_broken{source=\"http\" 3\n"
                       "no_labels 9\n"
                       "# EOF\n";
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg__api_metrics_to_json(text, strlen(text), &b), 0);
    assert_string_equal(b.data, "{\"http\":{\"received\":5,\"decoded\":4},\"syslog-udp\":{\"received\":7},"
                                "\"file:/var/log/a \\\"q\\\"\":{\"stored\":2.0}}");
    char why[64];
    assert_true(vg__api_json_validate(b.data, b.len, 8, true, why, sizeof why));
    vg_buf_release(&b);
    assert_int_equal(vg__api_metrics_to_json("", 0, &b), 0);
    assert_string_equal(b.data, "{}");
    vg_buf_release(&b);
}

static void routes_lookup(void **state)
{
    (void)state;
    char allow[64];
    int i = vg__api_route_find("GET", "/healthz", allow, sizeof allow);
    assert_true(i >= 0);
    assert_int_equal(vg__api_routes[i].roles, ROLE_NONE);
    i = vg__api_route_find("POST", "/api/v1/ingest", allow, sizeof allow);
    assert_true(i >= 0);
    assert_int_equal(vg__api_routes[i].roles, ROLE_WRITE);
    assert_int_equal(vg__api_route_find("GET", "/api/v1/ingest", allow, sizeof allow), -2);
    assert_string_equal(allow, "POST");
    assert_int_equal(vg__api_route_find("DELETE", "/api/v1/events", allow, sizeof allow), -2);
    assert_string_equal(allow, "GET");
    assert_int_equal(vg__api_route_find("GET", "/nope", allow, sizeof allow), -1);
    assert_int_equal(vg__api_route_find("GET", "/healthz/", allow, sizeof allow), -1);
    assert_true(vg__api_route_find("HEAD", "/metrics", allow, sizeof allow) >= 0);
    /* path parameters: one non-empty segment, decoded, nothing else */
    i = vg__api_route_find("GET", "/api/v1/assets/web-01", allow, sizeof allow);
    assert_true(i >= 0);
    assert_string_equal(vg__api_routes[i].path, "/api/v1/assets/{host}");
    assert_true(vg__api_route_find("GET", "/api/v1/assets", allow, sizeof allow) >= 0);
    assert_int_equal(vg__api_route_find("GET", "/api/v1/assets/", allow, sizeof allow), -1);
    assert_int_equal(vg__api_route_find("GET", "/api/v1/assets/a/b", allow, sizeof allow), -1);
    assert_int_equal(vg__api_route_find("POST", "/api/v1/posture/x", allow, sizeof allow), -2);
    char arg[16];
    assert_true(vg__api_route_match("/api/v1/posture/{host}", "/api/v1/posture/db%2D01", arg, sizeof arg));
    assert_string_equal(arg, "db-01");
    assert_false(vg__api_route_match("/api/v1/posture/{host}", "/api/v1/posture/a%00b", arg, sizeof arg));
    assert_false(vg__api_route_match("/api/v1/posture/{host}", "/api/v1/posture/a%2fb", arg, sizeof arg));
    assert_false(vg__api_route_match("/api/v1/posture/{host}", "/api/v1/posture/%zz", arg, sizeof arg));
    assert_false(vg__api_route_match("/api/v1/posture/{host}", "/api/v1/posture/%4", arg, sizeof arg));
    assert_false(vg__api_route_match("/api/v1/posture/{host}", "/api/v1/posture/aaaaaaaaaaaaaaaaaaaa", arg, sizeof arg));
    assert_true(vg__api_route_match("/x/{a}/y", "/x/1/y", arg, sizeof arg));
    assert_false(vg__api_route_match("/x/{a}/y", "/x/1/z", arg, sizeof arg));
    /* the intel feed routes: {name} in the middle and at the end */
    i = vg__api_route_find("DELETE", "/api/v1/intel/feeds/apt1", allow, sizeof allow);
    assert_true(i >= 0);
    assert_int_equal(vg__api_routes[i].roles, ROLE_ADMIN);
    i = vg__api_route_find("POST", "/api/v1/intel/feeds/c2/refresh", allow, sizeof allow);
    assert_true(i >= 0);
    assert_string_equal(vg__api_routes[i].path, "/api/v1/intel/feeds/{name}/refresh");
    assert_true(vg__api_route_match(vg__api_routes[i].path, "/api/v1/intel/feeds/c2/refresh", arg, sizeof arg));
    assert_string_equal(arg, "c2");
    assert_int_equal(vg__api_route_find("GET", "/api/v1/intel/feeds/c2", allow, sizeof allow), -2);
    assert_string_equal(allow, "DELETE");
    assert_int_equal(vg__api_route_find("DELETE", "/api/v1/intel/feeds/", allow, sizeof allow), -1);
    assert_true(vg__api_route_find("GET", "/api/v1/intel/feeds", allow, sizeof allow) >= 0);
    /* every route except the health probe needs a token */
    for (size_t k = 0; k < vg__api_nroutes; k++)
        if (strcmp(vg__api_routes[k].path, "/healthz") != 0) assert_true(vg__api_routes[k].roles != 0);
}

static void auth_header_parse(void **state)
{
    (void)state;
    const char *t;
    size_t n;
    assert_int_equal(vg__auth_parse_header(NULL, &t, &n), VG__AUTH_MISSING);
    assert_int_equal(vg__auth_parse_header("Bearer abc.DEF-_~+/=", &t, &n), VG__AUTH_OK);
    assert_int_equal(n, 13);
    assert_memory_equal(t, "abc.DEF-_~+/=", 13);
    assert_int_equal(vg__auth_parse_header("bearer   tok  ", &t, &n), VG__AUTH_OK);
    assert_int_equal(n, 3);
    static const char *bad[] = {"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearertok", "Bearer a b",
                                "Bearer a\"b", "Bearer tok\x01", "Token tok"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) assert_int_equal(vg__auth_parse_header(bad[i], &t, &n), VG__AUTH_MALFORMED);
    char longtok[700] = "Bearer ";
    memset(longtok + 7, 'a', 600);
    longtok[607] = 0;
    assert_int_equal(vg__auth_parse_header(longtok, &t, &n), VG__AUTH_MALFORMED);
}

static void role_bits(void **state)
{
    (void)state;
    assert_true(vg__api_role_bit("admin") & ROLE_WRITE);
    assert_true(vg__api_role_bit("analyst") & ROLE_WRITE);
    assert_true(vg__api_role_bit("ingest") & ROLE_WRITE);
    assert_false(vg__api_role_bit("viewer") & ROLE_WRITE);
    assert_false(vg__api_role_bit("responder") & ROLE_WRITE);
    assert_true(vg__api_role_bit("viewer") & ROLE_READ);
    assert_false(vg__api_role_bit("ingest") & ROLE_READ);
    assert_int_equal(vg__api_role_bit("Admin"), 0);
    assert_int_equal(vg__api_role_bit(""), 0);
    assert_int_equal(vg__api_role_bit(NULL), 0);
}

static void error_body(void **state)
{
    (void)state;
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg__api_error_json(&b, "bad \"x\"", "line\n\xff"), 0);
    assert_string_equal(b.data, "{\"error\":\"bad \\\"x\\\"\",\"detail\":\"line\\n\\ufffd\"}\n");
    vg_buf_reset(&b);
    assert_int_equal(vg__api_error_json(&b, "e", NULL), 0);
    assert_string_equal(b.data, "{\"error\":\"e\"}\n");
    vg_buf_release(&b);
}

static void client_url(void **state)
{
    (void)state;
    struct vg_http_url u;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_http_url_parse("http://127.0.0.1:8080/api/v1/status?x=1", &u, &err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/api/v1/status?x=1");
    assert_int_equal(vg_http_url_parse("http://[::1]:9/", &u, &err), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9);
    assert_int_equal(vg_http_url_parse("http://localhost", &u, &err), 0);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/");
    assert_int_equal(vg_http_url_parse("https://x/", &u, &err), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_int_equal(vg_http_url_parse("ftp://x/", &u, &err), VG_EINVAL);
    assert_int_equal(vg_http_url_parse("http://x:0/", &u, &err), VG_EINVAL);
    assert_int_equal(vg_http_url_parse("http://x:99999/", &u, &err), VG_EINVAL);
    assert_int_equal(vg_http_url_parse("http://x/a b", &u, &err), VG_EINVAL);
    assert_int_equal(vg_http_url_parse("http://x/a\r\nHost: y", &u, &err), VG_EINVAL);
    assert_int_equal(vg_http_url_parse("http://[::1/", &u, &err), VG_EINVAL);
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_http_urlencode(&b, "user.name:al* AND x:\"a b\"/é"), 0);
    assert_string_equal(b.data, "user.name%3Aal%2A%20AND%20x%3A%22a%20b%22%2F%C3%A9");
    vg_buf_release(&b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_lines_basic), cmocka_unit_test(split_array_basic),
        cmocka_unit_test(split_partial_bad), cmocka_unit_test(split_array_truncated),
        cmocka_unit_test(split_limits),      cmocka_unit_test(validate_table),
        cmocka_unit_test(metrics_json),      cmocka_unit_test(routes_lookup),
        cmocka_unit_test(auth_header_parse), cmocka_unit_test(role_bits),
        cmocka_unit_test(error_body),        cmocka_unit_test(client_url),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("api_parts", tests, NULL, NULL);
}
