#!/usr/bin/env bash
# Installs everything wasmvisor needs on a fresh Debian/Ubuntu machine:
# a 32-bit toolchain (the native oracle and the bench run code natively,
# guests are assembled with GNU as), QEMU (the system test guests are
# compared with qemu-system-i386), SeaBIOS (v86's BIOS in the Linux bench)
# and the npm dependencies (v86 among the devDependencies).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v as >/dev/null 2>&1 || need_apt+=(binutils)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
command -v cpio >/dev/null 2>&1 || need_apt+=(cpio)
command -v xz >/dev/null 2>&1 || need_apt+=(xz-utils) # test/loaders/xz.test.ts makes its .xz streams with it
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium) # npm run test:web drives Debian's Chromium
command -v qemu-system-i386 >/dev/null 2>&1 || need_apt+=(qemu-system-x86)
# The Linux bench (npm run bench -- --suite linux) boots v86 with Debian's SeaBIOS and its VGA BIOS.
[ -f /usr/share/seabios/bios.bin ] && [ -f /usr/share/seabios/vgabios-stdvga.bin ] || need_apt+=(seabios)
if ! echo 'int main(void){return 0;}' | gcc -m32 -x c - -o /tmp/wasmvisor-m32-check >/dev/null 2>&1; then
  need_apt+=(gcc-multilib)
fi
rm -f /tmp/wasmvisor-m32-check
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt-get; needs root)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi

# The Linux guest: Debian's i386 kernels and busybox, and our initramfs
# (guests/linux/README.md). As root this adds dpkg's i386 architecture.
npm run --silent guest:linux
