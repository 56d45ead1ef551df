/* Unit tests for src/decode/evtx.c: Windows event XML decoding, EVTX files
 * through libevtx compared field by field with the evtx_dump JSON beside
 * them ($VG_SHARED/sigma/regression_data), and the files libevtx cannot
 * read ($VG_SHARED/data/windows/evtx-modern): nothing may be lost silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glob.h>
#include "vigil/decode.h"
#include "vigil/evtx.h"
#include "vigil/json.h"
#include "test_util.h"

static void test_xml_record(void **st)
{
    (void)st;
    const char *xml =
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
        "<Provider Name=\"Microsoft-Windows-Security-Auditing\" Guid=\"{5484}\"/>"
        "<EventID Qualifiers=\"0\">4625</EventID><TimeCreated SystemTime=\"2023-01-02T03:04:05.1234567Z\"/>"
        "<EventRecordID>12</EventRecordID><Correlation/><Channel>Security</Channel><Computer>dc1</Computer></System>"
        "<EventData><Data Name=\"TargetUserName\">bob</Data><Data Name=\"IpAddress\">198.51.100.7</Data>"
        "<Data Name=\"IpPort\">4444</Data><Data Name=\"Empty\"></Data><Data Name=\"Amp\">a &amp; b &lt;c&gt;</Data>"
        "</EventData></Event>";
    struct tev t;
    tev_init(&t, xml);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_string_equal(t.ev->format, "evtx");
    assert_int_equal(field(t.ev, "EventID")->v.u.i, 4625);
    assert_int_equal(field(t.ev, "Event.System.EventID.#text")->v.u.i, 4625);
    assert_int_equal(field(t.ev, "Qualifiers")->v.u.i, 0);
    assert_str_field(t.ev, "Provider_Name", "Microsoft-Windows-Security-Auditing");
    assert_str_field(t.ev, "Event.System.Provider.#attributes.Guid", "{5484}");
    assert_str_field(t.ev, "Event.#attributes.xmlns", "http://schemas.microsoft.com/win/2004/08/events/event");
    assert_int_equal(field(t.ev, "Correlation")->v.type, VG_V_NULL);
    assert_str_field(t.ev, "TargetUserName", "bob");
    assert_str_field(t.ev, "Event.EventData.TargetUserName", "bob");
    assert_str_field(t.ev, "user.name", "bob");
    assert_str_field(t.ev, "source.ip", "198.51.100.7");
    assert_int_equal(field(t.ev, "source.port")->v.u.i, 4444);
    assert_int_equal(field(t.ev, "Empty")->v.type, VG_V_NULL);
    assert_str_field(t.ev, "Amp", "a & b <c>");
    assert_str_field(t.ev, "event.outcome", "failure");
    assert_str_field(t.ev, "host.name", "dc1");
    int64_t want;
    vg_time_parse_iso("2023-01-02T03:04:05.1234567Z", 28, &want);
    assert_true(t.ev->ts == want);
    tev_release(&t);

    /* UserData and unnamed Data */
    const char *ud = "<Event><System><EventID>1102</EventID><Channel>Security</Channel></System><UserData>"
                     "<LogFileCleared xmlns=\"x\"><SubjectUserName>eve</SubjectUserName></LogFileCleared></UserData></Event>";
    tev_init(&t, ud);
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "SubjectUserName", "eve");
    assert_str_field(t.ev, "Event.UserData.LogFileCleared.SubjectUserName", "eve");
    assert_str_field(t.ev, "user.name", "eve");
    tev_release(&t);
    const char *un = "<Event><System><EventID>7036</EventID><Channel>System</Channel></System><EventData>"
                     "<Data>Print Spooler</Data><Data>running</Data></EventData></Event>";
    tev_init(&t, un);
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    const struct vg_field *d = field(t.ev, "Data");
    assert_non_null(d);
    assert_int_equal(d->v.type, VG_V_LIST);
    assert_int_equal(d->v.len, 2);
    assert_memory_equal(d->v.u.list[1].s, "running", 7);
    tev_release(&t);

    /* hostile / malformed */
    const char *bad[] = {
        "<Event><System>",
        "<Event><a></b></Event>",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><Event>&a;</Event>",
        "<Event>\xff</Event>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct vg_err be = VG_ERR_INIT;
        tev_init(&t, bad[i]);
        struct vg_decode_opts o = {.format = "evtx"};
        assert_true(vg_decode(t.ev, &o, &be) < 0);
        assert_true(t.ev->flags & VG_EV_DECODE_FAILED);
        assert_true(be.msg[0] != 0);
        tev_release(&t);
    }
    /* deep nesting is capped */
    struct vg_buf b = VG_BUF_INIT;
    for (int i = 0; i < 200; i++) vg_buf_adds(&b, "<a>");
    for (int i = 0; i < 200; i++) vg_buf_adds(&b, "</a>");
    struct vg_batch *bt = vg_batch_new(1);
    struct vg_event *ev = vg_batch_push(bt);
    assert_int_equal(vg_evtx_decode_xml(ev, b.data, b.len, NULL), VG_ETOOBIG);
    vg_batch_free(bt);
    vg_buf_release(&b);

    const struct vg_decoder *dx = vg_decoder_find("evtx");
    assert_int_equal(dx->probe("<Event xmlns='x'>", 17), 90);
    assert_int_equal(dx->probe("{\"Event\":1}", 11), 0);
}

/* ---- EVTX files ------------------------------------------------------ */

struct collected {
    struct vg_batch *keep; /* the callback's batch is the caller's; nothing to copy */
    size_t n;
};

static int count_cb(void *ctx, struct vg_batch *b, struct vg_event *ev)
{
    (void)b;
    (void)ev;
    ((struct collected *)ctx)->n++;
    return 0;
}

static bool same_text(const struct vg_field *a, const struct vg_field *b)
{
    char ba[64], bb[64];
    size_t la, lb;
    const char *ta = vg_value_text(&a->v, ba, sizeof ba, &la);
    const char *tb = vg_value_text(&b->v, bb, sizeof bb, &lb);
    while (la && ta[la - 1] == ' ') la--; /* evtx_dump trims trailing spaces */
    while (lb && tb[lb - 1] == ' ') lb--;
    /* case-insensitive: one sample's JSON says Explorer.exe where its EVTX
     * says Explorer.EXE (Windows paths are case-insensitive anyway) */
    return la == lb && vg_strncasecmp_ascii(ta, tb, la) == 0;
}

/* Fields whose values must agree between the EVTX record and evtx_dump's
 * JSON (GUIDs and hex numbers are rendered differently by the two). */
static const char *const compare_names[] = {
    "EventID", "Channel", "Computer", "Provider_Name", "EventRecordID", "Image", "CommandLine", "ParentImage",
    "ParentCommandLine", "User", "ProcessId", "ParentProcessId", "CurrentDirectory", "IntegrityLevel",
    "OriginalFileName", "Hashes", "winlog.event_id", "event.code", "winlog.channel", "winlog.provider_name",
    "host.name", "process.executable", "process.command_line", "process.parent.executable", "process.pid",
    "process.parent.pid", "user.name", "user.domain", "event.category", "Event.EventData.Image",
    "Event.System.Provider.#attributes.Name",
};

static void test_evtx_vs_json(void **st)
{
    (void)st;
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/sigma/regression_data/rules/windows/*/*/*.evtx", shared_dir());
    glob_t g;
    assert_int_equal(glob(pat, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 100);
    size_t files = 0, events = 0, compared = 0;
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        /* the JSON beside it, decoded into its own batch */
        char jpath[1100];
        snprintf(jpath, sizeof jpath, "%.*s.json", (int)(strlen(g.gl_pathv[fi]) - 5), g.gl_pathv[fi]);
        size_t jlen;
        char *jbody = read_file(jpath, &jlen);
        assert_non_null(jbody);
        struct vg_batch *jb = vg_batch_new(8);
        struct vg_json_iter it;
        vg_json_iter_init(&it, jbody, jlen);
        const char *rec;
        size_t rl;
        while (vg_json_iter_next(&it, &rec, &rl, NULL) == 1) {
            struct vg_event *ev = vg_batch_push(jb);
            vg_event_set_raw(ev, rec, rl);
            assert_int_equal(vg_decode(ev, NULL, NULL), 0);
        }
        struct vg_batch *eb = vg_batch_new(8);
        struct collected c = {0};
        struct vg_evtx_stats s;
        struct vg_err e = VG_ERR_INIT;
        int rc = vg_evtx_read_file(g.gl_pathv[fi], 0, eb, count_cb, &c, &s, &e);
        if (rc) print_error("%s: %s\n", g.gl_pathv[fi], e.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(s.unreadable, 0);
        assert_int_equal(s.lost, 0);
        assert_int_equal(s.decoded, s.records);
        assert_int_equal(c.n, eb->n);
        assert_int_equal(eb->n, jb->n); /* same events in both renderings */
        for (size_t i = 0; i < eb->n; i++) {
            struct vg_event *xe = &eb->ev[i];
            assert_string_equal(xe->format, "evtx");
            assert_false(xe->flags & VG_EV_DECODE_FAILED);
            assert_true(xe->raw_len > 0 && xe->raw[0] == '<');
            const struct vg_field *rid = field(xe, "EventRecordID");
            assert_non_null(rid);
            struct vg_event *je = NULL;
            for (size_t k = 0; k < jb->n && !je; k++)
                if (field(&jb->ev[k], "EventRecordID")->v.u.i == rid->v.u.i) je = &jb->ev[k];
            assert_non_null(je);
            assert_true(xe->seq >= 1); /* the record header's number, not EventRecordID */
            /* evtx_dump rounds SystemTime to microseconds */
            assert_true(xe->ts / 1000 == je->ts / 1000);
            for (size_t k = 0; k < sizeof compare_names / sizeof *compare_names; k++) {
                const struct vg_field *a = field(xe, compare_names[k]), *b = field(je, compare_names[k]);
                if (!a && !b) continue;
                if (!a || !b) fail_msg("%s: %s only in %s", g.gl_pathv[fi], compare_names[k], a ? "evtx" : "json");
                if (!same_text(a, b)) fail_msg("%s: %s differs", g.gl_pathv[fi], compare_names[k]);
                compared++;
            }
            /* the same set of field names, apart from the #text/#attributes rendering */
            for (uint32_t k = 0; k < je->nfields; k++) {
                size_t nl;
                const char *nm = vg_fid_name(je->fields[k].name, &nl);
                if (!vg_event_get(xe, je->fields[k].name) && !memmem(nm, nl, "#", 1))
                    fail_msg("%s: field %.*s missing from the EVTX event", g.gl_pathv[fi], (int)nl, nm);
            }
            events++;
        }
        vg_batch_free(eb);
        vg_batch_free(jb);
        vg_free(jbody);
        files++;
    }
    globfree(&g);
    print_message("evtx vs json: %zu files, %zu events, %zu field values compared\n", files, events, compared);
    assert_true(events >= files);
}

static void test_evtx_modern(void **st)
{
    (void)st;
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/data/windows/evtx-modern/*.evtx", shared_dir());
    glob_t g;
    assert_int_equal(glob(pat, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 2);
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        struct vg_batch *b = vg_batch_new(8);
        struct collected c = {0};
        struct vg_evtx_stats s;
        struct vg_err e = VG_ERR_INIT;
        int rc = vg_evtx_read_file(g.gl_pathv[fi], 0, b, count_cb, &c, &s, &e);
        print_message("%s: records %llu, decoded %llu, unreadable by libevtx %llu (kept raw), lost %llu, recovered %llu%s%s\n",
                      strrchr(g.gl_pathv[fi], '/') + 1, (unsigned long long)s.records, (unsigned long long)s.decoded,
                      (unsigned long long)s.unreadable, (unsigned long long)s.lost, (unsigned long long)s.recovered,
                      s.first_error[0] ? "; libevtx: " : "", s.first_error);
        assert_int_equal(rc, 0);
        assert_true(s.records > 0);
        assert_int_equal(s.lost, 0);
        /* every record is accounted for and became an event */
        assert_true(s.decoded + s.unreadable >= s.records);
        assert_int_equal(c.n, s.decoded + s.unreadable);
        size_t header_times = 0;
        for (size_t i = 0; i < b->n; i++) {
            struct vg_event *ev = &b->ev[i];
            assert_true(ev->raw_len > 0);
            assert_non_null(field(ev, "winlog.record_id"));
            if (ev->flags & VG_EV_DECODE_FAILED) {
                if (!(ev->flags & VG_EV_TS_FROM_RECV)) header_times++; /* write time from the record header */
                const struct vg_field *m = field(ev, "message");
                assert_non_null(m);
                assert_true(m->v.len > 10);
            }
        }
        assert_true(s.unreadable == 0 || header_times > 0);
        vg_batch_free(b);
    }
    globfree(&g);

    /* not EVTX / missing */
    struct vg_batch *b = vg_batch_new(2);
    struct collected c = {0};
    struct vg_err e = VG_ERR_INIT;
    char path[1024];
    snprintf(path, sizeof path, "%s/data/network/suricata/LICENSE", shared_dir());
    assert_int_equal(vg_evtx_read_file(path, 0, b, count_cb, &c, NULL, &e), VG_EFORMAT);
    assert_true(vg_evtx_read_file("/nonexistent/x.evtx", 0, b, count_cb, &c, NULL, &e) < 0);
    assert_int_equal(c.n, 0);
    vg_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_record),
        cmocka_unit_test(test_evtx_vs_json),
        cmocka_unit_test(test_evtx_modern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
