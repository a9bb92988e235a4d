#!/usr/bin/env bash
# What the gpu backend's tests need on a Debian machine: the build dependencies of the optional native `gl` package
# (headless WebGL for gpu.js in Node), Xvfb to give it a display, Chromium for the browser suite (WebGL2 and
# WebGPU through SwiftShader), and the Vulkan loader for WebGPU in Node (the `webgpu` package's Dawn, which then uses
# Chromium's SwiftShader Vulkan driver). Run as root before `pnpm install` (which builds `gl`: it is listed in
# pnpm-workspace.yaml's onlyBuiltDependencies); run it again after `pnpm install` to check that `gl` loads, and
# rebuild it once if not. Without root it says what is missing; with CI=true anything missing fails.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(pkg-config build-essential python3 libx11-dev libxi-dev libxext-dev libglu1-mesa-dev xvfb xauth chromium libvulkan1)
fail() {
  echo "setup-gpu: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup-gpu: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    fail "missing Debian packages (install as root): ${missing[*]}"
  fi
fi
command -v xvfb-run >/dev/null || fail "xvfb-run not found"
command -v chromium >/dev/null || fail "chromium not found"

# After `pnpm install`: check that gl loads and can make a context under Xvfb; a failed build of this optional
# dependency still lets `pnpm install` exit 0, so rebuild it once here.
GPUJS_DIR=$(ls -d node_modules/.pnpm/gpu.js@*/node_modules/gpu.js 2>/dev/null | head -1 || true)
if [ -n "$GPUJS_DIR" ]; then
  check_gl() {
    xvfb-run -a node -e "const gl = require(require.resolve('gl', { paths: ['$GPUJS_DIR'] }))(2, 2); if (!gl) throw new Error('gl: no context'); console.log('setup-gpu: gl ok,', gl.getParameter(gl.VERSION));"
  }
  if ! check_gl; then
    echo "setup-gpu: gl does not load; rebuilding it"
    pnpm -r rebuild gl || true
    check_gl || fail "gl still does not load after a rebuild (see the build log above)"
  fi
fi
