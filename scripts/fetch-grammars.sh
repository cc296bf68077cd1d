#!/usr/bin/env bash
# Fetches the tree-sitter grammars (generated C parsers) that src/code/
# compiles in, and the tree-sitter runtime itself, from their npm packages at
# pinned versions, checks each tarball against its pinned integrity, and
# extracts only the C sources:
#   OUTDIR/<lang>/src/{parser.c,scanner.c,tree_sitter/*.h}
#   OUTDIR/common/scanner.h   (shared by the typescript and tsx scanners)
#   OUTDIR/runtime/{include,src}  the runtime (lib.c and what it includes)
# The runtime is the one vendored by the `tree-sitter` npm package (its node
# binding), built statically and optimised with the grammars: Debian's
# libtree-sitter0 is a -fPIC shared library with hardening, measurably slower
# on large files (README, "extract_functions under 20 ms"). Its 0.20.6 loads
# ABI 13 and 14; the grammar versions are the newest whose parser.c is ABI 14
# (LANGUAGE_VERSION), and the script refuses any other ABI so a bump cannot
# slip through unnoticed.
#   scripts/fetch-grammars.sh OUTDIR
set -euo pipefail
out=$1
stamp="$out/.stamp"
pins=(
  "tree-sitter-c 0.23.6 sha512-0dxXKznVyUA0s6PjNolJNs2yF87O5aL538A/eR6njA5oqX3C3vH4vnx3QdOKwuUdpKEcFdHuiDpRKLLCA/tjvQ=="
  "tree-sitter-python 0.23.6 sha512-yIM9z0oxKIxT7bAtPOhgoVl6gTXlmlIhue7liFT4oBPF/lha7Ha4dQBS82Av6hMMRZoVnFJI8M6mL+SwWoLD3A=="
  "tree-sitter-javascript 0.23.1 sha512-/bnhbrTD9frUYHQTiYnPcxyHORIw157ERBa6dqzaKxvR/x3PC4Yzd+D1pZIMS6zNg2v3a8BZ0oK7jHqsQo9fWA=="
  "tree-sitter-typescript 0.23.2 sha512-e04JUUKxTT53/x3Uq1zIL45DoYKVfHH4CZqwgZhPg5qYROl5nQjV+85ruFzFGZxu+QeFVbRTPDRnqL9UbU4VeA=="
  "tree-sitter-go 0.23.4 sha512-iQaHEs4yMa/hMo/ZCGqLfG61F0miinULU1fFh+GZreCRtKylFLtvn798ocCZjO2r/ungNZgAY1s1hPFyAwkc7w=="
  "tree-sitter-rust 0.23.3 sha512-uLdZJ1K26EuJTBMJlz1ltTlg7nJyAYThfouXgigf5ixKOasOL5wNrRCpuWTsl6rDcKlZK9UX+annFLqP/kchwQ=="
  "tree-sitter 0.20.6 sha512-GxJodajVpfgb3UREzzIbtA1hyRnTxVbWVXrbC6sk4xTMH5ERMBJk9HJNq4c8jOJeUaIOmLcwg+t6mez/PDvGqg=="
)
# Our fixes to the pinned runtime, applied after extraction (each patch says
# why); their contents are part of the stamp, so a changed patch re-fetches.
here=$(cd "$(dirname "$0")" && pwd)
patches=("$here/patches/tree-sitter-0.20.6-null-lookahead.patch")
want=$(printf '%s\n' "${pins[@]}"; sha256sum "${patches[@]}" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then touch "$stamp"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out.part"
mkdir -p "$out.part"

# copy PKGDIR/SUB/src into OUTDIR/LANG/src (C sources and headers only)
take() {
  local from=$1 lang=$2
  mkdir -p "$out.part/$lang/src/tree_sitter"
  cp "$from/src/parser.c" "$out.part/$lang/src/"
  [ -f "$from/src/scanner.c" ] && cp "$from/src/scanner.c" "$out.part/$lang/src/"
  cp "$from"/src/tree_sitter/*.h "$out.part/$lang/src/tree_sitter/"
  if ! grep -q '^#define LANGUAGE_VERSION 1[34]$' "$from/src/parser.c"; then
    echo "grammars: $lang is not ABI 13/14: $(grep '^#define LANGUAGE_VERSION' "$from/src/parser.c")" >&2
    exit 1
  fi
}

for pin in "${pins[@]}"; do
  read -r pkg version integrity <<<"$pin"
  echo "grammars: fetching $pkg@$version with npm pack" >&2
  (cd "$work" && npm pack "$pkg@$version" --silent >/dev/null)
  tgz="$work/$pkg-$version.tgz"
  got="sha512-$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tgz")"
  if [ "$got" != "$integrity" ]; then
    echo "grammars: $tgz does not match the pinned integrity ($got)" >&2
    exit 1
  fi
  dir="$work/$pkg"
  mkdir -p "$dir"
  tar -xzf "$tgz" -C "$dir" --wildcards '*.c' '*.h' '*LICENSE'
  case "$pkg" in
    tree-sitter)
      rt="$dir/package/vendor/tree-sitter"
      if ! grep -q '^#define TREE_SITTER_LANGUAGE_VERSION 14$' "$rt/lib/include/tree_sitter/api.h"; then
        echo "grammars: the runtime does not load ABI 14" >&2
        exit 1
      fi
      mkdir -p "$out.part/runtime"
      cp -r "$rt/lib/include" "$rt/lib/src" "$rt/LICENSE" "$out.part/runtime/"
      for p in "${patches[@]}"; do
        patch -s -p1 -d "$out.part/runtime" <"$p" || { echo "grammars: $p does not apply" >&2; exit 1; }
      done ;;
    tree-sitter-typescript)
      take "$dir/package/typescript" typescript
      take "$dir/package/tsx" tsx
      mkdir -p "$out.part/common"
      cp "$dir/package/common/scanner.h" "$out.part/common/" ;;
    *) take "$dir/package" "${pkg#tree-sitter-}" ;;
  esac
done
echo "$want" >"$out.part/.stamp"
rm -rf "$out"
mv "$out.part" "$out"
