/* Test-only evtx_dump JSON -> vg_event flattening (see evtx_json.h):
 * Event.EventData.* and Event.UserData.*.* become bare names,
 * Event.System gives EventID, Channel, Computer, Provider_Name, Level, Task,
 * EventRecordID and the timestamp. Uses jansson. */
#include "evtx_json.h"
#include <jansson.h>

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct vg_buf b = VG_BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (vg_buf_add(&b, tmp, n) != 0) break;
    fclose(f);
    if (!b.data) vg_buf_add(&b, "", 0);
    return vg_buf_detach(&b, len);
}

static void add_value(struct vg_event *ev, const char *name, json_t *v)
{
    uint32_t fid = vg_fid(name, strlen(name));
    if (json_is_string(v)) vg_event_add_str_copy(ev, fid, VG_FF_SOURCE, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v)) vg_event_add_int(ev, fid, VG_FF_SOURCE, (int64_t)json_integer_value(v));
    else if (json_is_real(v)) vg_event_add_float(ev, fid, VG_FF_SOURCE, json_real_value(v));
    else if (json_is_boolean(v)) vg_event_add_bool(ev, fid, VG_FF_SOURCE, json_is_true(v));
    else if (json_is_null(v)) vg_event_add_null(ev, fid, VG_FF_SOURCE);
    else if (json_is_object(v) && json_object_get(v, "#text")) add_value(ev, name, json_object_get(v, "#text"));
    else {
        char *s = json_dumps(v, JSON_COMPACT);
        if (s) { vg_event_add_str_copy(ev, fid, VG_FF_SOURCE, s, strlen(s)); free(s); }
    }
}

static json_t *attr(json_t *o, const char *key, const char *a)
{
    json_t *x = json_object_get(o, key);
    json_t *at = x ? json_object_get(x, "#attributes") : NULL;
    return at ? json_object_get(at, a) : NULL;
}

int test_evtx_json_load(const char *text, size_t len, struct vg_batch *batch)
{
    size_t pos = 0;
    int n = 0;
    while (pos < len) {
        while (pos < len && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t')) pos++;
        if (pos >= len) break;
        json_error_t je;
        json_t *root = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK, &je);
        if (!root) return -1;
        size_t used = je.position;
        struct vg_event *ev = vg_batch_push(batch);
        if (!ev) { json_decref(root); return -1; }
        vg_event_set_raw(ev, text + pos, used);
        pos += used;
        json_t *e = json_object_get(root, "Event");
        json_t *sys = e ? json_object_get(e, "System") : NULL;
        if (sys) {
            const char *simple[] = {"EventID", "Channel", "Computer", "Level", "Task", "Opcode", "Keywords", "Version", "EventRecordID"};
            for (size_t i = 0; i < VG_ARRAY_LEN(simple); i++) {
                json_t *v = json_object_get(sys, simple[i]);
                if (v) add_value(ev, simple[i], v);
            }
            json_t *pn = attr(sys, "Provider", "Name");
            if (pn) add_value(ev, "Provider_Name", pn);
            json_t *t = attr(sys, "TimeCreated", "SystemTime");
            if (json_is_string(t)) vg_time_parse_iso(json_string_value(t), json_string_length(t), &ev->ts);
        }
        json_t *ed = e ? json_object_get(e, "EventData") : NULL;
        const char *k;
        json_t *v;
        if (json_is_object(ed)) json_object_foreach(ed, k, v) add_value(ev, k, v);
        json_t *ud = e ? json_object_get(e, "UserData") : NULL;
        if (json_is_object(ud)) {
            json_t *inner;
            const char *k2;
            json_object_foreach(ud, k2, inner) {
                if (json_is_object(inner)) json_object_foreach(inner, k, v) if (k[0] != '#') add_value(ev, k, v);
            }
        }
        ev->format = "evtx-json";
        vg_event_finish(ev);
        json_decref(root);
        n++;
    }
    return n;
}
