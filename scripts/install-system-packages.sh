#!/usr/bin/env bash
# Debian packages the test suite and the local platform use beyond Node and PostgreSQL:
#   pgbouncer       the pooler in front of the local Postgres, as Neon's pooled endpoint (the Worker's
#                   tests run through it; without it they fall back to the direct path, except in CI)
#   chromium        the browser the console's end-to-end tests drive (playwright-core, test/browser/)
#   fonts-noto-cjk  Chinese glyphs for the console's screenshots (without them they show boxes)
#   fonts-noto-color-emoji  the emoji in the bot's messages (📁, 📎) in the chat screenshots
# Installs only what is missing; needs root (or sudo). Safe to run again.
set -euo pipefail
packages=(pgbouncer chromium fonts-noto-cjk fonts-noto-color-emoji)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's package starts a system pgbouncer on 6432 where systemd runs; the tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet pgbouncer 2>/dev/null; then $sudo systemctl disable --now pgbouncer || true; fi
