#!/bin/sh
# Regenerates NNN_name.sql.h (a C string literal) from each NNN_name.sql.
# Run after adding a migration; tests/unit/store checks they agree.
set -eu
cd "$(dirname "$0")"
for f in [0-9][0-9][0-9]_*.sql; do
    sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/\\n"/' "$f" > "$f.h"
done
