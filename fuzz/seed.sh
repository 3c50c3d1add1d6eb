#!/bin/sh
# Seeds the fuzz corpora from the conformance fixtures.
#
#   fuzz/seed.sh            # from anywhere inside the repository
#
# decode_v2, pipeline, reports and sniff get every *.subunit stream; read_v1 gets the v1
# streams (repository run files, and *.subunit files that hold v1 text).
# Existing corpus files are kept; seeds are named by content hash, so running
# it twice adds nothing.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures="$root/fixtures/conformance"
corpus="$root/fuzz/corpus"
mkdir -p "$corpus/decode_v2" "$corpus/read_v1" "$corpus/pipeline" "$corpus/reports" "$corpus/sniff"

add() { # add TARGET FILE
    sum=$(sha1sum "$2" | cut -c1-40)
    cp "$2" "$corpus/$1/$sum"
}

find "$fixtures" -type f -name '*.subunit' | sort | while read -r f; do
    add decode_v2 "$f"
    add pipeline "$f"
    add reports "$f"
    add sniff "$f"
    # No 0xB3 byte at all: text, so (also) v1 material.
    if ! LC_ALL=C grep -q "$(printf '\263')" "$f"; then
        add read_v1 "$f"
    fi
done
find "$fixtures" -type f \( -path '*/.stestr/*' -o -path '*/.testrepository/*' \) |
    grep -E '/[0-9]+$' | sort | while read -r f; do
    add read_v1 "$f"
    add pipeline "$f"
    add reports "$f"
done

for t in decode_v2 read_v1 pipeline; do
    echo "$t: $(ls "$corpus/$t" | wc -l) files"
done
