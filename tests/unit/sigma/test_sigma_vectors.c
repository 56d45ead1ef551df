/* Table-driven vectors: a detection snippet, event fields and the expected
 * outcome, covering every modifier and condition form of SIGMA.md. Each
 * positive vector is followed by near-misses that must not fire.
 * Field syntax: "Name=text" (string), "i:Name=1" (int), "f:Name=1.5",
 * "b:Name=true", "ip:Name=10.0.0.1", "n:Name" (null), "l:Name=a|b" (list),
 * "raw=text" (the event's raw bytes), "ts=ISO" (event time). */
#include "common.h"

enum { NO = 0, YES = 1, REJECT = 2 };
/* Which evaluator the vector table runs through (the test runs it twice). */
static bool g_fast;
struct vec {
    const char *name;
    const char *det;        /* YAML lines under `detection:` (indented by 4) */
    const char *ev[6];
    int expect;
    const char *reason;     /* REJECT: substring of the reason */
};

#define D(...) __VA_ARGS__
static const struct vec vecs[] = {
    /* ---- whole-value, case-insensitive ---- */
    {"eq", "    sel:\n      Image: 'C:\\Windows\\System32\\cmd.exe'\n    condition: sel", {"Image=c:\\windows\\system32\\CMD.EXE"}, YES, 0},
    {"eq-whole", "    sel:\n      Image: 'C:\\Windows\\System32\\cmd.exe'\n    condition: sel", {"Image=C:\\Windows\\System32\\cmd.exe.bak"}, NO, 0},
    {"eq-missing", "    sel:\n      Image: 'cmd.exe'\n    condition: sel", {"Other=cmd.exe"}, NO, 0},
    {"star", "    sel:\n      Image: 'C:\\Windows\\\\*'\n    condition: sel", {"Image=C:\\Windows\\x\\y.exe"}, YES, 0},
    {"star-miss", "    sel:\n      Image: 'C:\\Windows\\\\*'\n    condition: sel", {"Image=D:\\Windows\\x.exe"}, NO, 0},
    {"bs-star-is-literal-star", "    sel:\n      Image: 'C:\\Windows\\*'\n    condition: sel", {"Image=C:\\Windows*"}, YES, 0},
    {"bs-star-is-literal-star-miss", "    sel:\n      Image: 'C:\\Windows\\*'\n    condition: sel", {"Image=C:\\Windows\\x.exe"}, NO, 0},
    {"star-mid", "    sel:\n      Image: 'a*b*c'\n    condition: sel", {"Image=axxbyyc"}, YES, 0},
    {"star-mid-miss", "    sel:\n      Image: 'a*b*c'\n    condition: sel", {"Image=axxbyycd"}, NO, 0},
    {"qmark", "    sel:\n      Image: 'cmd.ex?'\n    condition: sel", {"Image=CMD.EXE"}, YES, 0},
    {"qmark-one", "    sel:\n      Image: 'cmd.ex?'\n    condition: sel", {"Image=cmd.ex"}, NO, 0},
    {"qmark-two", "    sel:\n      Image: 'cmd.ex?'\n    condition: sel", {"Image=cmd.exee"}, NO, 0},
    {"qmark-utf8", "    sel:\n      Name: 'caf?'\n    condition: sel", {"Name=caf\xc3\xa9"}, YES, 0},
    /* ---- escapes: only \*, \? and \\ ---- */
    {"esc-star", "    sel:\n      C: 'a\\*b'\n    condition: sel", {"C=a*b"}, YES, 0},
    {"esc-star-miss", "    sel:\n      C: 'a\\*b'\n    condition: sel", {"C=axxb"}, NO, 0},
    {"esc-q", "    sel:\n      C: 'what\\?'\n    condition: sel", {"C=what?"}, YES, 0},
    {"esc-q-miss", "    sel:\n      C: 'what\\?'\n    condition: sel", {"C=whatx"}, NO, 0},
    {"esc-bs-star", "    sel:\n      P: 'C:\\\\*'\n    condition: sel", {"P=C:\\temp\\x"}, YES, 0},
    {"esc-bs-star-miss", "    sel:\n      P: 'C:\\\\*'\n    condition: sel", {"P=C:temp"}, NO, 0},
    {"esc-bs-star-one", "    sel:\n      P: 'C:\\\\*'\n    condition: sel", {"P=C:\\\\x"}, YES, 0},
    {"trailing-bs", "    sel:\n      P: 'C:\\Windows\\'\n    condition: sel", {"P=c:\\windows\\"}, YES, 0},
    {"trailing-bs-miss", "    sel:\n      P: 'C:\\Windows\\'\n    condition: sel", {"P=C:\\Windows"}, NO, 0},
    {"other-bs-literal", "    sel:\n      P: 'C:\\Windows\\System32'\n    condition: sel", {"P=C:\\Windows\\System32"}, YES, 0},
    {"other-bs-literal-miss", "    sel:\n      P: 'C:\\Windows\\System32'\n    condition: sel", {"P=C:Windows\\System32"}, NO, 0},
    /* ---- case ---- */
    {"cased", "    sel:\n      Image|cased: 'CMD.exe'\n    condition: sel", {"Image=CMD.exe"}, YES, 0},
    {"cased-miss", "    sel:\n      Image|cased: 'CMD.exe'\n    condition: sel", {"Image=cmd.exe"}, NO, 0},
    {"cased-contains", "    sel:\n      C|contains|cased: 'Evil'\n    condition: sel", {"C=xEvilx"}, YES, 0},
    {"cased-contains-miss", "    sel:\n      C|contains|cased: 'Evil'\n    condition: sel", {"C=xevilx"}, NO, 0},
    /* ---- contains / startswith / endswith / all / lists ---- */
    {"contains", "    sel:\n      C|contains: 'mimikatz'\n    condition: sel", {"C=run MimiKatz now"}, YES, 0},
    {"contains-miss", "    sel:\n      C|contains: 'mimikatz'\n    condition: sel", {"C=mimi katz"}, NO, 0},
    {"contains-wild-inside", "    sel:\n      C|contains: 'a*z'\n    condition: sel", {"C=xx a...z yy"}, YES, 0},
    {"startswith", "    sel:\n      C|startswith: 'power'\n    condition: sel", {"C=PowerShell.exe"}, YES, 0},
    {"startswith-miss", "    sel:\n      C|startswith: 'power'\n    condition: sel", {"C=xpowershell"}, NO, 0},
    {"endswith", "    sel:\n      Image|endswith: '\\cmd.exe'\n    condition: sel", {"Image=C:\\x\\CMD.exe"}, YES, 0},
    {"endswith-miss", "    sel:\n      Image|endswith: '\\cmd.exe'\n    condition: sel", {"Image=C:\\x\\cmd.exe "}, NO, 0},
    {"list-or", "    sel:\n      C: ['a', 'b']\n    condition: sel", {"C=B"}, YES, 0},
    {"list-or-miss", "    sel:\n      C: ['a', 'b']\n    condition: sel", {"C=c"}, NO, 0},
    {"all", "    sel:\n      C|contains|all: ['alpha', 'beta']\n    condition: sel", {"C=xx beta yy ALPHA"}, YES, 0},
    {"all-miss", "    sel:\n      C|contains|all: ['alpha', 'beta']\n    condition: sel", {"C=xx alpha yy"}, NO, 0},
    {"map-and", "    sel:\n      A: x\n      B: y\n    condition: sel", {"A=x", "B=y"}, YES, 0},
    {"map-and-miss", "    sel:\n      A: x\n      B: y\n    condition: sel", {"A=x", "B=z"}, NO, 0},
    {"list-of-maps", "    sel:\n      - A: x\n      - B: y\n    condition: sel", {"B=y"}, YES, 0},
    {"list-of-maps-miss", "    sel:\n      - A: x\n      - B: y\n    condition: sel", {"A=y", "B=x"}, NO, 0},
    {"event-list-field", "    sel:\n      Tags: b\n    condition: sel", {"l:Tags=a|b"}, YES, 0},
    {"event-list-field-miss", "    sel:\n      Tags: c\n    condition: sel", {"l:Tags=a|b"}, NO, 0},
    /* ---- null vs empty vs missing ---- */
    {"null-missing", "    sel:\n      F: null\n    condition: sel", {"Other=1"}, YES, 0},
    {"null-null", "    sel:\n      F: null\n    condition: sel", {"n:F"}, YES, 0},
    {"null-empty-miss", "    sel:\n      F: null\n    condition: sel", {"F="}, NO, 0},
    {"null-value-miss", "    sel:\n      F: null\n    condition: sel", {"F=x"}, NO, 0},
    {"empty", "    sel:\n      F: ''\n    condition: sel", {"F="}, YES, 0},
    {"empty-missing-miss", "    sel:\n      F: ''\n    condition: sel", {"Other="}, NO, 0},
    {"empty-null-miss", "    sel:\n      F: ''\n    condition: sel", {"n:F"}, NO, 0},
    {"null-or-empty", "    sel:\n      F: [null, '']\n    condition: sel", {"F="}, YES, 0},
    /* ---- numbers and booleans as text ---- */
    {"num-int", "    sel:\n      EventID: 4688\n    condition: sel", {"i:EventID=4688"}, YES, 0},
    {"num-str", "    sel:\n      EventID: 4688\n    condition: sel", {"EventID=4688"}, YES, 0},
    {"num-miss", "    sel:\n      EventID: 4688\n    condition: sel", {"i:EventID=46880"}, NO, 0},
    {"num-wild", "    sel:\n      EventID: '46*'\n    condition: sel", {"i:EventID=4688"}, YES, 0},
    {"bool", "    sel:\n      Flag: true\n    condition: sel", {"b:Flag=true"}, YES, 0},
    {"bool-miss", "    sel:\n      Flag: true\n    condition: sel", {"b:Flag=false"}, NO, 0},
    /* ---- windash: - / en dash, em dash, horizontal bar ---- */
    {"windash-hyphen", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps -enc AAA"}, YES, 0},
    {"windash-slash", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps /enc AAA"}, YES, 0},
    {"windash-endash", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps \xe2\x80\x93" "enc AAA"}, YES, 0},
    {"windash-emdash", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps \xe2\x80\x94" "enc AAA"}, YES, 0},
    {"windash-hbar", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps \xe2\x80\x95" "enc AAA"}, YES, 0},
    {"windash-miss", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps +enc AAA"}, NO, 0},
    {"windash-minus-dash", "    sel:\n      C|windash|contains: ' -enc '\n    condition: sel", {"C=ps \xe2\x88\x92" "enc AAA"}, NO, 0},
    {"windash-word-dash-kept", "    sel:\n      C|windash: 'a-b'\n    condition: sel", {"C=a/b"}, NO, 0},
    {"windash-two", "    sel:\n      C|windash: '-a -b'\n    condition: sel", {"C=/a \xe2\x80\x94" "b"}, YES, 0},
    /* ---- base64, base64offset, utf16 ---- */
    {"base64", "    sel:\n      C|base64: 'foobar'\n    condition: sel", {"C=Zm9vYmFy"}, YES, 0},
    {"base64-miss", "    sel:\n      C|base64: 'foobar'\n    condition: sel", {"C=Zm9vYmF"}, NO, 0},
    {"base64-cased", "    sel:\n      C|base64: 'foobar'\n    condition: sel", {"C=zm9vymfy"}, NO, 0},
    {"b64off-0", "    sel:\n      C|base64offset|contains: 'foobar'\n    condition: sel", {"C=xx Zm9vYmFy yy"}, YES, 0},
    {"b64off-1", "    sel:\n      C|base64offset|contains: 'foobar'\n    condition: sel", {"C=xx eGZvb2Jhcg== yy"}, YES, 0},
    {"b64off-2", "    sel:\n      C|base64offset|contains: 'foobar'\n    condition: sel", {"C=xx eHhmb29iYXI= yy"}, YES, 0},
    {"b64off-miss", "    sel:\n      C|base64offset|contains: 'foobar'\n    condition: sel", {"C=xx Zm9vYmE= yy"}, NO, 0},
    {"wide-b64off-0", "    sel:\n      C|wide|base64offset|contains: 'ping'\n    condition: sel", {"C=-e cABpAG4AZwA="}, YES, 0},
    {"wide-b64off-1", "    sel:\n      C|wide|base64offset|contains: 'ping'\n    condition: sel", {"C=-e eAB4AHAAaQBuAGcA"}, YES, 0},
    {"wide-b64off-2", "    sel:\n      C|wide|base64offset|contains: 'ping'\n    condition: sel", {"C=-e eABwAGkAbgBnAA=="}, YES, 0},
    {"wide-b64off-miss", "    sel:\n      C|wide|base64offset|contains: 'ping'\n    condition: sel", {"C=-e cABvAG4AZwA="}, NO, 0},
    {"utf16le-b64", "    sel:\n      C|utf16le|base64: 'ab'\n    condition: sel", {"C=YQBiAA=="}, YES, 0},
    {"utf16be-b64", "    sel:\n      C|utf16be|base64: 'ab'\n    condition: sel", {"C=AGEAYg=="}, YES, 0},
    {"utf16-b64-bom", "    sel:\n      C|utf16|base64: 'ab'\n    condition: sel", {"C=//5hAGIA"}, YES, 0},
    {"utf16be-b64-miss", "    sel:\n      C|utf16be|base64: 'ab'\n    condition: sel", {"C=YQBiAA=="}, NO, 0},
    {"base64-wildcard-rejected", "    sel:\n      C|contains|base64: 'foo'\n    condition: sel", {"C=x"}, REJECT, "wildcards"},
    /* ---- re ---- */
    {"re", "    sel:\n      C|re: 'ab+c'\n    condition: sel", {"C=xxabbbcxx"}, YES, 0},
    {"re-cased-miss", "    sel:\n      C|re: 'ab+c'\n    condition: sel", {"C=ABBC"}, NO, 0},
    {"re-i", "    sel:\n      C|re|i: 'ab+c'\n    condition: sel", {"C=ABBC"}, YES, 0},
    {"re-m", "    sel:\n      C|re|m: '^foo$'\n    condition: sel", {"C=a\nfoo\nb"}, YES, 0},
    {"re-m-miss", "    sel:\n      C|re: '^foo$'\n    condition: sel", {"C=a\nfoo\nb"}, NO, 0},
    {"re-s", "    sel:\n      C|re|s: 'a.b'\n    condition: sel", {"C=a\nb"}, YES, 0},
    {"re-s-miss", "    sel:\n      C|re: 'a.b'\n    condition: sel", {"C=a\nb"}, NO, 0},
    {"re-int-field", "    sel:\n      EventID|re: '^46'\n    condition: sel", {"i:EventID=4688"}, YES, 0},
    {"re-bad", "    sel:\n      C|re: 'a('\n    condition: sel", {"C=x"}, REJECT, "does not compile"},
    {"re-flag-without-re", "    sel:\n      C|i: 'a'\n    condition: sel", {"C=x"}, REJECT, "only to re"},
    /* ---- cidr ---- */
    {"cidr4", "    sel:\n      ip|cidr: '10.0.0.0/8'\n    condition: sel", {"ip:ip=10.1.2.3"}, YES, 0},
    {"cidr4-str", "    sel:\n      ip|cidr: '10.0.0.0/8'\n    condition: sel", {"ip=10.255.0.1"}, YES, 0},
    {"cidr4-miss", "    sel:\n      ip|cidr: '10.0.0.0/8'\n    condition: sel", {"ip:ip=11.0.0.1"}, NO, 0},
    {"cidr4-odd", "    sel:\n      ip|cidr: '192.168.1.128/25'\n    condition: sel", {"ip=192.168.1.200"}, YES, 0},
    {"cidr4-odd-miss", "    sel:\n      ip|cidr: '192.168.1.128/25'\n    condition: sel", {"ip=192.168.1.100"}, NO, 0},
    {"cidr6", "    sel:\n      ip|cidr: '2001:db8::/32'\n    condition: sel", {"ip:ip=2001:db8::1"}, YES, 0},
    {"cidr6-miss", "    sel:\n      ip|cidr: '2001:db8::/32'\n    condition: sel", {"ip:ip=2001:db9::1"}, NO, 0},
    {"cidr6-v4-miss", "    sel:\n      ip|cidr: '::/0'\n    condition: sel", {"ip:ip=10.0.0.1"}, NO, 0},
    {"cidr-list", "    sel:\n      ip|cidr: ['10.0.0.0/8', 'fe80::/10']\n    condition: sel", {"ip=fe80::1"}, YES, 0},
    {"cidr-not-ip-miss", "    sel:\n      ip|cidr: '10.0.0.0/8'\n    condition: sel", {"ip=10.0.0.x"}, NO, 0},
    {"cidr-bad", "    sel:\n      ip|cidr: '10.0.0.0/33'\n    condition: sel", {"ip=1"}, REJECT, "CIDR"},
    /* ---- numeric comparisons ---- */
    {"gt", "    sel:\n      n|gt: 10\n    condition: sel", {"i:n=11"}, YES, 0},
    {"gt-miss", "    sel:\n      n|gt: 10\n    condition: sel", {"i:n=10"}, NO, 0},
    {"gte", "    sel:\n      n|gte: 10\n    condition: sel", {"i:n=10"}, YES, 0},
    {"gte-miss", "    sel:\n      n|gte: 10\n    condition: sel", {"i:n=9"}, NO, 0},
    {"lt", "    sel:\n      n|lt: 10\n    condition: sel", {"f:n=9.5"}, YES, 0},
    {"lt-miss", "    sel:\n      n|lt: 10\n    condition: sel", {"i:n=10"}, NO, 0},
    {"lte-str", "    sel:\n      n|lte: 10\n    condition: sel", {"n=10"}, YES, 0},
    {"lte-miss", "    sel:\n      n|lte: 10\n    condition: sel", {"n=10.5"}, NO, 0},
    {"gt-nonnum-miss", "    sel:\n      n|gt: 10\n    condition: sel", {"n=eleven"}, NO, 0},
    {"gt-bad", "    sel:\n      n|gt: ten\n    condition: sel", {"n=1"}, REJECT, "needs a number"},
    /* ---- neq, exists ---- */
    {"neq", "    sel:\n      User|neq: 'SYSTEM'\n    condition: sel", {"User=alice"}, YES, 0},
    {"neq-miss", "    sel:\n      User|neq: 'SYSTEM'\n    condition: sel", {"User=system"}, NO, 0},
    {"neq-list-miss", "    sel:\n      User|neq: ['a', 'b']\n    condition: sel", {"User=b"}, NO, 0},
    {"neq-missing-miss", "    sel:\n      User|neq: 'SYSTEM'\n    condition: sel", {"Other=x"}, NO, 0},
    {"exists", "    sel:\n      F|exists: true\n    condition: sel", {"F="}, YES, 0},
    {"exists-miss", "    sel:\n      F|exists: true\n    condition: sel", {"G=1"}, NO, 0},
    {"exists-null-miss", "    sel:\n      F|exists: true\n    condition: sel", {"n:F"}, NO, 0},
    {"exists-false", "    sel:\n      F|exists: false\n    condition: sel", {"G=1"}, YES, 0},
    {"exists-false-miss", "    sel:\n      F|exists: false\n    condition: sel", {"F=1"}, NO, 0},
    {"exists-bad", "    sel:\n      F|exists: maybe\n    condition: sel", {"F=1"}, REJECT, "true or false"},
    /* ---- fieldref ---- */
    {"fieldref", "    sel:\n      A|fieldref: B\n    condition: sel", {"A=foo", "B=FOO"}, YES, 0},
    {"fieldref-miss", "    sel:\n      A|fieldref: B\n    condition: sel", {"A=foo", "B=bar"}, NO, 0},
    {"fieldref-missing-miss", "    sel:\n      A|fieldref: B\n    condition: sel", {"A=foo"}, NO, 0},
    {"fieldref-contains", "    sel:\n      A|fieldref|contains: B\n    condition: sel", {"A=xxfooxx", "B=foo"}, YES, 0},
    {"fieldref-contains-miss", "    sel:\n      A|fieldref|contains: B\n    condition: sel", {"A=xxfoxx", "B=foo"}, NO, 0},
    {"fieldref-startswith", "    sel:\n      A|fieldref|startswith: B\n    condition: sel", {"A=foox", "B=foo"}, YES, 0},
    {"fieldref-startswith-miss", "    sel:\n      A|fieldref|startswith: B\n    condition: sel", {"A=xfoo", "B=foo"}, NO, 0},
    {"fieldref-endswith", "    sel:\n      A|fieldref|endswith: B\n    condition: sel", {"A=xfoo", "B=foo"}, YES, 0},
    {"fieldref-endswith-miss", "    sel:\n      A|fieldref|endswith: B\n    condition: sel", {"A=foox", "B=foo"}, NO, 0},
    /* ---- expand ---- */
    {"expand", "    sel:\n      User|expand: '%admins%'\n    condition: sel", {"User=root"}, YES, 0},
    {"expand-other", "    sel:\n      User|expand: '%admins%'\n    condition: sel", {"User=ADMIN"}, YES, 0},
    {"expand-miss", "    sel:\n      User|expand: '%admins%'\n    condition: sel", {"User=bob"}, NO, 0},
    {"expand-contains", "    sel:\n      C|contains|expand: 'x%admins%y'\n    condition: sel", {"C=..xrooty.."}, YES, 0},
    {"expand-unset", "    sel:\n      User|expand: '%nobody_set_this%'\n    condition: sel", {"User=x"}, REJECT, "has no configured value"},
    /* ---- time parts ---- */
    {"hour", "    sel:\n      T|hour: 3\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, YES, 0},
    {"hour-miss", "    sel:\n      T|hour: 4\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, NO, 0},
    {"minute", "    sel:\n      T|minute: 4\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, YES, 0},
    {"day-month-year", "    sel:\n      T|day: 2\n      T|month: 1\n      T|year: 2024\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, YES, 0},
    {"year-miss", "    sel:\n      T|year: 2023\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, NO, 0},
    {"week", "    sel:\n      T|week: 1\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, YES, 0},
    {"week-53", "    sel:\n      T|week: 53\n    condition: sel", {"T=2021-01-01T00:00:00Z"}, YES, 0},
    {"week-miss", "    sel:\n      T|week: 2\n    condition: sel", {"T=2024-01-02T03:04:05Z"}, NO, 0},
    {"hour-gte", "    sel:\n      T|hour|gte: 22\n    condition: sel", {"T=2024-01-02T23:00:00Z"}, YES, 0},
    {"hour-gte-miss", "    sel:\n      T|hour|gte: 22\n    condition: sel", {"T=2024-01-02T21:59:59Z"}, NO, 0},
    {"timestamp-event-time", "    sel:\n      '@timestamp|hour': 5\n    condition: sel", {"ts=2024-01-02T05:00:00Z"}, YES, 0},
    /* ---- keywords ---- */
    {"keywords", "    keywords:\n      - 'mimikatz'\n      - 'evil'\n    condition: keywords", {"raw=some EVIL thing"}, YES, 0},
    {"keywords-field-text", "    keywords:\n      - 'mimikatz'\n    condition: keywords", {"C=run MIMIKATZ"}, YES, 0},
    {"keywords-miss", "    keywords:\n      - 'mimikatz'\n      - 'evil'\n    condition: keywords", {"raw=good thing", "C=fine"}, NO, 0},
    {"keywords-all", "    keywords:\n      '|all':\n        - 'alpha'\n        - 'beta'\n    condition: keywords", {"raw=alpha and beta"}, YES, 0},
    {"keywords-all-miss", "    keywords:\n      '|all':\n        - 'alpha'\n        - 'beta'\n    condition: keywords", {"raw=alpha only"}, NO, 0},
    {"keyword-scalar", "    kw: 'needle'\n    condition: kw", {"raw=hay needle hay"}, YES, 0},
    /* ---- x of, them, _identifiers ---- */
    {"1-of-pattern", "    sel1:\n      A: x\n    sel2:\n      B: y\n    condition: 1 of sel*", {"B=y"}, YES, 0},
    {"1-of-pattern-miss", "    sel1:\n      A: x\n    sel2:\n      B: y\n    other:\n      C: z\n    condition: 1 of sel*", {"C=z"}, NO, 0},
    {"any-of", "    sel1:\n      A: x\n    sel2:\n      B: y\n    condition: any of sel*", {"A=x"}, YES, 0},
    {"all-of-pattern", "    sel1:\n      A: x\n    sel2:\n      B: y\n    condition: all of sel*", {"A=x", "B=y"}, YES, 0},
    {"all-of-pattern-miss", "    sel1:\n      A: x\n    sel2:\n      B: y\n    condition: all of sel*", {"A=x"}, NO, 0},
    {"1-of-them", "    _skip:\n      A: x\n    sel:\n      B: y\n    condition: 1 of them", {"B=y"}, YES, 0},
    {"1-of-them-skips-underscore", "    _skip:\n      A: x\n    sel:\n      B: y\n    condition: 1 of them", {"A=x"}, NO, 0},
    {"all-of-them", "    _filter:\n      Z: z\n    a:\n      A: x\n    b:\n      B: y\n    condition: all of them", {"A=x", "B=y"}, YES, 0},
    {"all-of-them-miss", "    a:\n      A: x\n    b:\n      B: y\n    condition: all of them", {"A=x"}, NO, 0},
    {"underscore-direct", "    _sel:\n      A: x\n    condition: _sel", {"A=x"}, YES, 0},
    {"underscore-pattern", "    _sel1:\n      A: x\n    condition: 1 of _sel*", {"A=x"}, YES, 0},
    {"not-1-of", "    f1:\n      A: x\n    f2:\n      B: y\n    sel:\n      C: z\n    condition: sel and not 1 of f*", {"C=z", "A=q"}, YES, 0},
    {"not-1-of-miss", "    f1:\n      A: x\n    f2:\n      B: y\n    sel:\n      C: z\n    condition: sel and not 1 of f*", {"C=z", "B=y"}, NO, 0},
    {"pattern-none", "    sel:\n      A: x\n    condition: 1 of filter*", {"A=x"}, REJECT, "matches no search identifier"},
    /* ---- identifiers that begin with a keyword ---- */
    {"notification", "    notification:\n      A: x\n    condition: notification", {"A=x"}, YES, 0},
    {"notification-miss", "    notification:\n      A: x\n    condition: notification", {"A=y"}, NO, 0},
    {"not-notification", "    notification:\n      A: x\n    condition: not notification", {"A=y"}, YES, 0},
    {"not-notification-miss", "    notification:\n      A: x\n    condition: not notification", {"A=x"}, NO, 0},
    {"android-order", "    android:\n      A: x\n    ordinary:\n      B: y\n    condition: android and ordinary", {"A=x", "B=y"}, YES, 0},
    {"them-ident", "    themselves:\n      A: x\n    condition: themselves", {"A=x"}, YES, 0},
    /* ---- precedence: or < and < not < x of < () ---- */
    {"or-and", "    a:\n      A: 1\n    b:\n      B: 1\n    c:\n      C: 1\n    condition: a or b and c", {"A=1"}, YES, 0},
    {"or-and-miss", "    a:\n      A: 1\n    b:\n      B: 1\n    c:\n      C: 1\n    condition: a or b and c", {"B=1"}, NO, 0},
    {"not-and", "    a:\n      A: 1\n    b:\n      B: 1\n    condition: not a and b", {"B=1"}, YES, 0},
    {"not-and-miss", "    a:\n      A: 1\n    b:\n      B: 1\n    condition: not a and b", {"Z=1"}, NO, 0},
    {"parens", "    a:\n      A: 1\n    b:\n      B: 1\n    c:\n      C: 1\n    condition: (a or b) and c", {"B=1", "C=1"}, YES, 0},
    {"parens-miss", "    a:\n      A: 1\n    b:\n      B: 1\n    c:\n      C: 1\n    condition: (a or b) and c", {"A=1"}, NO, 0},
    {"not-parens", "    a:\n      A: 1\n    b:\n      B: 1\n    condition: not (a and b)", {"A=1"}, YES, 0},
    {"not-parens-miss", "    a:\n      A: 1\n    b:\n      B: 1\n    condition: not (a and b)", {"A=1", "B=1"}, NO, 0},
    {"not-not", "    a:\n      A: 1\n    condition: not not a", {"A=1"}, YES, 0},
    {"multiline-cond", "    a:\n      A: 1\n    b:\n      B: 1\n    condition:\n        a and\n        (\n            b\n        )", {"A=1", "B=1"}, YES, 0},
    {"cond-list", "    a:\n      A: 1\n    b:\n      B: 1\n    condition:\n      - a\n      - b", {"B=1"}, YES, 0},
    {"cond-list-miss", "    a:\n      A: 1\n    b:\n      B: 1\n    condition:\n      - a\n      - b", {"C=1"}, NO, 0},
    /* ---- rejections ---- */
    {"unknown-modifier", "    sel:\n      A|sorta: x\n    condition: sel", {"A=x"}, REJECT, "unknown modifier 'sorta'"},
    {"v1-count", "    sel:\n      A: x\n    condition: sel | count() by B > 5", {"A=x"}, REJECT, "correlation"},
    {"v1-near", "    a:\n      A: x\n    b:\n      B: x\n    condition: a | near b", {"A=x"}, REJECT, "correlation"},
    {"v1-timeframe", "    sel:\n      A: x\n    timeframe: 5m\n    condition: sel", {"A=x"}, REJECT, "correlation"},
    {"unknown-ident", "    sel:\n      A: x\n    condition: sel and nothere", {"A=x"}, REJECT, "unknown search identifier 'nothere'"},
    {"uppercase-and", "    sel:\n      A: x\n    condition: sel AND sel", {"A=x"}, REJECT, "unexpected 'AND'"},
    {"unbalanced", "    sel:\n      A: x\n    condition: (sel", {"A=x"}, REJECT, "expected ')'"},
    {"no-condition", "    sel:\n      A: x", {"A=x"}, REJECT, "no condition"},
};

static int add_field(struct vg_event *ev, const char *spec)
{
    const char *eq = strchr(spec, '=');
    const char *colon = strchr(spec, ':');
    char type[8] = "";
    const char *name = spec;
    if (colon && (!eq || colon < eq) && colon - spec < 3) {
        snprintf(type, sizeof type, "%.*s", (int)(colon - spec), spec);
        name = colon + 1;
    }
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    const char *val = eq ? eq + 1 : "";
    if (strncmp(name, "raw", nl) == 0 && nl == 3 && !type[0]) return vg_event_set_raw(ev, val, strlen(val));
    if (strncmp(name, "ts", nl) == 0 && nl == 2 && !type[0]) return vg_time_parse_iso(val, strlen(val), &ev->ts);
    uint32_t fid = vg_fid(name, nl);
    if (!type[0]) return vg_event_add_str(ev, fid, VG_FF_SOURCE, val, strlen(val));
    if (strcmp(type, "i") == 0) { int64_t v; vg_parse_i64(val, strlen(val), &v); return vg_event_add_int(ev, fid, 0, v); }
    if (strcmp(type, "f") == 0) return vg_event_add_float(ev, fid, 0, strtod(val, NULL));
    if (strcmp(type, "b") == 0) return vg_event_add_bool(ev, fid, 0, strcmp(val, "true") == 0);
    if (strcmp(type, "n") == 0) return vg_event_add_null(ev, fid, 0);
    if (strcmp(type, "ip") == 0) return vg_event_add_ip(ev, fid, 0, val, strlen(val));
    if (strcmp(type, "l") == 0) {
        struct vg_str *items = vg_arena_alloc(ev->arena, 8 * sizeof *items);
        size_t n = 0;
        const char *p = val;
        while (n < 8) {
            const char *bar = strchr(p, '|');
            items[n].s = p;
            items[n].len = (uint32_t)(bar ? (size_t)(bar - p) : strlen(p));
            n++;
            if (!bar) break;
            p = bar + 1;
        }
        return vg_event_add_list(ev, fid, 0, items, n);
    }
    return VG_EINVAL;
}

static int run_vec(const struct vec *v, char *why, size_t whylen)
{
    struct vg_buf y = VG_BUF_INIT;
    vg_buf_addf(&y, "title: %s\nid: 00000000-0000-0000-0000-000000000000\nlogsource:\n    product: test\ndetection:\n%s\n",
                v->name, v->det);
    struct vg_sigma_set *set = vg_sigma_set_new();
    const char *admins[] = {"root", "admin"};
    vg_sigma_set_placeholder(set, "admins", admins, 2);
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    int result = -1;
    int rc = vg_sigma_load_string(set, y.data, y.len, v->name, &rep);
    if (rc != 0) { snprintf(why, whylen, "load rc %d", rc); goto out; }
    if (rep.rejected) {
        snprintf(why, whylen, "rejected: %s (line %d col %d)", rep.rej[0].reason, rep.rej[0].line, rep.rej[0].col);
        result = REJECT;
        if (v->expect == REJECT && (!v->reason || !strstr(rep.rej[0].reason, v->reason))) result = -2;
        if (rep.rej[0].line <= 0) result = -3; /* every rejection has a position */
        goto out;
    }
    if (vg_sigma_compile(set, &err) != 0) goto out;
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    struct vg_event ev;
    vg_event_init(&ev, &ar);
    for (size_t i = 0; i < VG_ARRAY_LEN(v->ev) && v->ev[i]; i++)
        if (add_field(&ev, v->ev[i]) != 0) { snprintf(why, whylen, "bad field spec %s", v->ev[i]); goto done; }
    const struct vg_sigma_hit *hits;
    /* both evaluators: the one under test (g_fast) decides, the other must agree */
    int hn = vg_sigma_match_naive(ctx, &ev, &hits);
    int hf = vg_sigma_match(ctx, &ev, &hits);
    int h = g_fast ? hf : hn;
    int one = vg_sigma_match_rule(ctx, vg_sigma_rule_at(set, 0), &ev);
    if (h < 0 || one < 0 || (h > 0) != (one > 0)) { snprintf(why, whylen, "match error %d/%d", h, one); goto done; }
    if (hn != hf) { snprintf(why, whylen, "fast path %d hits, naive %d", hf, hn); goto done; }
    result = h > 0 ? YES : NO;
    snprintf(why, whylen, "%s", result == YES ? "matched" : "no match");
done:
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
out:
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    vg_buf_release(&y);
    return result;
}

static void run_vectors(bool fast)
{
    g_fast = fast;
    printf("evaluator: %s\n", fast ? "fast path (prefilter)" : "naive");
    size_t bad = 0, pos = 0, neg = 0, rej = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(vecs); i++) {
        char why[700] = "";
        int r = run_vec(&vecs[i], why, sizeof why);
        if (r != vecs[i].expect) {
            printf("FAIL %-32s expected %d got %d: %s\n", vecs[i].name, vecs[i].expect, r, why);
            bad++;
        }
        pos += vecs[i].expect == YES;
        neg += vecs[i].expect == NO;
        rej += vecs[i].expect == REJECT;
    }
    printf("%zu vectors (%zu match, %zu near-miss, %zu rejections), %zu failed\n", VG_ARRAY_LEN(vecs), pos, neg, rej, bad);
    assert_int_equal(bad, 0);
}

static void test_vectors_naive(void **st)
{
    (void)st;
    run_vectors(false);
}

static void test_vectors_fast(void **st)
{
    (void)st;
    run_vectors(true);
}

/* The fields reported for a hit: the ones that made it match, not those of a
 * negated or failed branch. */
static void test_matched_fields(void **st)
{
    (void)st;
    const char *y = "title: t\nlogsource: {product: test}\ndetection:\n"
                    "  a: {A: x}\n  b: {B: y}\n  f: {F: z}\n  condition: (a or b) and not f\n";
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, y, strlen(y), "t", &rep), 0);
    assert_int_equal(rep.loaded, 1);
    assert_int_equal(vg_sigma_compile(set, NULL), 0);
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    struct vg_event ev;
    vg_event_init(&ev, &ar);
    add_field(&ev, "A=x");
    add_field(&ev, "B=q");
    add_field(&ev, "F=no");
    const struct vg_sigma_hit *hits;
    assert_int_equal(vg_sigma_match(ctx, &ev, &hits), 1);
    assert_int_equal(hits[0].nfields, 1);
    assert_int_equal(hits[0].fields[0], vg_fid("A", 1));
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

/* Metadata: tags split into tactics and techniques; correlation and filter
 * documents in one multi-document file are recognised. */
static void test_metadata_multidoc(void **st)
{
    (void)st;
    const char *y = "title: base\nid: r1\nname: base_rule\nauthor: Someone\nlevel: high\nstatus: test\n"
                    "tags: [attack.execution, attack.t1059.001, attack.defense-evasion, attack.g0016, cve.2021-1, attack.s0002,\n"
                    "       attack.ta0002, detection.emerging_threats, attack.Execution, attack.T1059.001, car.2013-05-009]\n"
                    "falsepositives: [admins]\nreferences: ['https://example.org']\n"
                    "logsource: {product: windows, category: process_creation}\n"
                    "detection: {sel: {Image|endswith: '\\x.exe'}, condition: sel}\n"
                    "---\n"
                    "title: many\ncorrelation:\n  type: event_count\n  rules: [base_rule]\n  group-by: [User]\n"
                    "  timespan: 5m\n  condition: {gte: 10}\n"
                    "---\n"
                    "title: quiet admins\nlogsource: {product: windows, category: process_creation}\n"
                    "filter:\n  rules: [r1]\n  selection: {User|startswith: adm_}\n  condition: not selection\n";
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, y, strlen(y), "multi.yml", &rep), 0);
    assert_int_equal(rep.documents, 3);
    assert_int_equal(rep.loaded, 1);
    assert_int_equal(rep.correlations, 1);
    assert_int_equal(rep.filters, 1);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(rep.nnotes, 2);
    assert_non_null(strstr(rep.notes[0].reason, "correlation (evaluated by"));
    assert_non_null(strstr(rep.notes[1].reason, "filter (AND-ed onto"));
    const struct vg_sigma_rule *r = vg_sigma_rule_find(set, "r1");
    assert_non_null(r);
    assert_string_equal(r->author, "Someone");
    assert_string_equal(r->level, "high");
    assert_int_equal(r->ntactics, 2);
    assert_string_equal(r->tactics[0], "execution");
    assert_string_equal(r->tactics[1], "defense_evasion"); /* normalised: SigmaHQ writes -, the pack _ */
    assert_int_equal(r->ntechniques, 1);
    assert_string_equal(r->techniques[0], "T1059.001");
    assert_int_equal(r->nfalsepositives, 1);
    assert_int_equal(r->nreferences, 1);
    const struct vg_sigma_rule *c = vg_sigma_rule_at(set, 1);
    assert_int_equal(c->kind, VG_SIGMA_CORRELATION);
    assert_string_equal(c->correlation->type, "event_count");
    assert_int_equal(c->correlation->nrules, 1);
    assert_int_equal(c->correlation->timespan_ns, 300000000000LL);
    assert_string_equal(c->correlation->cond_op, "gte");
    assert_int_equal(c->correlation->cond_value, 10);
    assert_int_equal(vg_sigma_rule_at(set, 2)->kind, VG_SIGMA_FILTER);
    assert_int_equal(c->line, 14);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

/* Log source mapping: a process_creation rule runs on Sysmon 1 and on
 * Security 4688 (with NewProcessName standing in for Image), not on other
 * events; unmapped log sources run everywhere. */
static void test_mappings(void **st)
{
    (void)st;
    char path[4096];
    snprintf(path, sizeof path, "%s/rules/mappings", src_dir());
    const char *y = "title: pc\nid: pc\nlogsource: {product: windows, category: process_creation}\n"
                    "detection: {sel: {Image|endswith: '\\evil.exe'}, condition: sel}\n"
                    "---\ntitle: any\nid: any\nlogsource: {product: nosuchproduct}\n"
                    "detection: {sel: {Image|endswith: '\\evil.exe'}, condition: sel}\n";
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_sigma_load_mappings(set, path, &err), 0);
    assert_int_equal(vg_sigma_load_string(set, y, strlen(y), "m.yml", &rep), 0);
    assert_int_equal(rep.loaded, 2);
    assert_int_equal(vg_sigma_compile(set, &err), 0);
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    struct { const char *f[4]; int want; } cases[] = {
        {{"Channel=Microsoft-Windows-Sysmon/Operational", "i:EventID=1", "Image=C:\\evil.exe"}, 2},
        {{"Channel=Security", "i:EventID=4688", "NewProcessName=C:\\EVIL.exe"}, 1}, /* "any" has no mapping for NewProcessName */
        {{"winlog.channel=Security", "winlog.event_id=4688", "NewProcessName=C:\\evil.exe"}, 1},
        {{"Channel=Microsoft-Windows-Sysmon/Operational", "i:EventID=3", "Image=C:\\evil.exe"}, 1},
        {{"Channel=Security", "i:EventID=4624", "Image=C:\\evil.exe"}, 1},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_event ev;
        vg_event_init(&ev, &ar);
        for (size_t k = 0; k < 4 && cases[i].f[k]; k++) assert_int_equal(add_field(&ev, cases[i].f[k]), 0);
        const struct vg_sigma_hit *hits;
        int h = vg_sigma_match(ctx, &ev, &hits);
        int hn = vg_sigma_match_naive(ctx, &ev, &hits);
        if (h != cases[i].want) printf("mapping case %zu: %d hits, want %d\n", i, h, cases[i].want);
        assert_int_equal(h, cases[i].want);
        assert_int_equal(hn, cases[i].want);
    }
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_naive),
        cmocka_unit_test(test_vectors_fast),
        cmocka_unit_test(test_matched_fields),
        cmocka_unit_test(test_metadata_multidoc),
        cmocka_unit_test(test_mappings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
