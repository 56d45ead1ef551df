/* Field-name interning: name -> small integer id, process-wide.
 * Reads are lock-free (open addressing over atomic slot pointers, entries
 * never removed); inserts take a mutex. Well-known names from fields.def get
 * fixed ids at first use. Capacity is bounded so hostile input that invents
 * field names cannot grow memory without limit. */
#include "vigil/event.h"
#include <pthread.h>
#include <stdatomic.h>

#define SLOTS (1u << 18)          /* power of two, > 2x MAX_NAMES */
#define MAX_NAMES (1u << 16)
#define MAX_NAME_LEN 255

struct entry {
    uint64_t hash;
    uint32_t id;
    uint32_t len;
    char name[];
};

static _Atomic(struct entry *) slots[SLOTS];
static _Atomic(struct entry *) by_id[MAX_NAMES];
static atomic_uint count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static inline uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    return h;
}

static struct entry *find(const char *name, size_t len, uint64_t h, uint32_t *slot_out)
{
    uint32_t i = (uint32_t)h & (SLOTS - 1);
    for (;;) {
        struct entry *e = atomic_load_explicit(&slots[i], memory_order_acquire);
        if (!e) { if (slot_out) *slot_out = i; return NULL; }
        if (e->hash == h && e->len == len && memcmp(e->name, name, len) == 0) return e;
        i = (i + 1) & (SLOTS - 1);
    }
}

static uint32_t insert_locked(const char *name, size_t len)
{
    uint64_t h = hash_bytes(name, len);
    uint32_t slot;
    struct entry *e = find(name, len, h, &slot);
    if (e) return e->id;
    uint32_t id = atomic_load(&count);
    if (id >= MAX_NAMES) return UINT32_MAX;
    e = malloc(sizeof *e + len + 1); /* lives for the process: not vg_malloc, so fault injection spares it */
    if (!e) return UINT32_MAX;
    e->hash = h;
    e->id = id;
    e->len = (uint32_t)len;
    memcpy(e->name, name, len);
    e->name[len] = 0;
    atomic_store_explicit(&by_id[id], e, memory_order_release);
    atomic_store_explicit(&slots[slot], e, memory_order_release);
    atomic_store(&count, id + 1);
    return id;
}

static void init_known(void)
{
    pthread_mutex_lock(&lock);
#define F(id, name) insert_locked(name, sizeof(name) - 1);
#include "vigil/fields.def"
#undef F
    pthread_mutex_unlock(&lock);
}

uint32_t vg_fid_lookup(const char *name, size_t len)
{
    pthread_once(&once, init_known);
    if (len == 0 || len > MAX_NAME_LEN) return UINT32_MAX;
    struct entry *e = find(name, len, hash_bytes(name, len), NULL);
    return e ? e->id : UINT32_MAX;
}

uint32_t vg_fid(const char *name, size_t len)
{
    uint32_t id = vg_fid_lookup(name, len);
    if (id != UINT32_MAX || len == 0 || len > MAX_NAME_LEN) return id;
    pthread_mutex_lock(&lock);
    id = insert_locked(name, len);
    pthread_mutex_unlock(&lock);
    return id;
}

const char *vg_fid_name(uint32_t id, size_t *len)
{
    pthread_once(&once, init_known);
    if (id >= MAX_NAMES) return NULL;
    struct entry *e = atomic_load_explicit(&by_id[id], memory_order_acquire);
    if (!e) return NULL;
    if (len) *len = e->len;
    return e->name;
}

uint32_t vg_fid_count(void)
{
    pthread_once(&once, init_known);
    return atomic_load(&count);
}
