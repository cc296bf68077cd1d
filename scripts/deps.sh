#!/usr/bin/env bash
# Installs what ltmc needs from Debian's packages, only when missing.
#   scripts/deps.sh build   compiler, pkg-config, library headers, npm (fetches the word vectors), python3
#   scripts/deps.sh test    the above plus cmocka, clang (libFuzzer) and numpy (reference computations)
# Runs apt-get through sudo when not root.
set -euo pipefail

want=(build-essential patch pkg-config libsqlite3-dev libjansson-dev libutf8proc-dev libopenblas-dev libcurl4-openssl-dev
      libmicrohttpd-dev nodejs npm python3 libhiredis-dev jq ripgrep fd-find tree man-db lsd bat fzf duf)
case "${1:-build}" in
  build) ;;
  test) want+=(libcmocka-dev clang python3-numpy redis-server) ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # nodejs/npm may come from elsewhere (nvm, an image); a working binary is enough.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
