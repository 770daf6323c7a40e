#!/bin/sh
# check-layers.sh - inside core/src, includes point one way only:
#   api -> handshake -> record -> state -> x509 -> crypto -> base
# A file may include headers of its own folder and of any folder to its right; anything else
# (an include that runs upward, or a core header included without its folder) is reported.
# Usage: scripts/check-layers.sh [CORE_SRC_DIR]; exits 1 on any violation, 2 on a bad tree.
set -eu
SRC=${1:-$(dirname "$0")/../core/src}
ORDER="base crypto x509 state record handshake api"
rank() {
    i=0
    for l in $ORDER; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}
bad=0
files=0
for dir in "$SRC"/*/; do
    layer=$(basename "$dir")
    r=$(rank "$layer")
    if [ "$r" -lt 0 ]; then
        echo "unknown layer folder: core/src/$layer (add it to ORDER in $0)"
        exit 2
    fi
    for f in "$dir"*.[ch]; do
        files=$((files + 1))
        for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
            case "$inc" in
            sslref/*) continue ;;
            */*) to=${inc%%/*} ;;
            *) [ -f "$dir$inc" ] && continue  # a generated table beside its user
               echo "core/src/$layer/$(basename "$f"): includes \"$inc\" without its folder"
               bad=1; continue ;;
            esac
            tr=$(rank "$to")
            if [ "$tr" -lt 0 ] || [ "$tr" -gt "$r" ]; then
                echo "core/src/$layer/$(basename "$f"): includes \"$inc\" (upward: $layer -> $to)"
                bad=1
            fi
        done
    done
done
[ "$(ls "$SRC"/*.[ch] 2>/dev/null | wc -l)" -eq 0 ] || { echo "files directly in core/src: put them in a layer"; bad=1; }
[ "$files" -gt 0 ] || { echo "no sources found under $SRC"; exit 2; }
[ $bad -eq 0 ] && echo "layers: $files files, every include points down or sideways"
exit $bad
