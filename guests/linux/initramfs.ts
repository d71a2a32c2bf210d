/**
 * The guest's initramfs: busybox with its applet links, the virtio
 * modules, the two device nodes the kernel needs before devtmpfs is
 * mounted, and an /init script. The kernel opens /dev/console from the
 * initramfs for init's stdin/stdout/stderr before anything runs
 * (init/main.c, console_on_rootfs), so that node must be in the archive.
 *
 * /init mounts proc, sysfs and devtmpfs, loads the modules in dependency
 * order, prints a banner, and then either runs the command given as
 * `wasmvisor.cmd=...` on the kernel command line and powers off (for CI),
 * or starts a shell on the console. The option has a dot in its name so
 * the kernel treats it as a module parameter and neither complains about
 * it nor hands it to init as an argument; /init reads it from
 * /proc/cmdline. A value with spaces is written in double quotes,
 * `wasmvisor.cmd="uname -a"`, as the kernel's own parser allows.
 */
import { gzipSync } from 'node:zlib';
import { NewcArchive } from '../../src/initramfs/cpio.js';
import type { SelectedModule } from './modules.js';

/** Printed by /init once the modules are loaded; tests wait for it. */
export const READY_BANNER = 'wasmvisor guest ready';
/** Printed after a wasmvisor.cmd command, followed by its exit status. */
export const EXIT_STATUS_PREFIX = 'wasmvisor: exit status ';

/** Applets linked when busybox cannot be asked for its list (it could not run on this host). */
export const FALLBACK_APPLETS: readonly string[] = [
  'bin/sh', 'bin/ash', 'bin/cat', 'bin/cp', 'bin/dmesg', 'bin/echo', 'bin/false', 'bin/grep', 'bin/kill', 'bin/ln',
  'bin/ls', 'bin/mkdir', 'bin/mknod', 'bin/mount', 'bin/mv', 'bin/ps', 'bin/rm', 'bin/sleep', 'bin/true', 'bin/umount',
  'bin/uname', 'sbin/insmod', 'sbin/lsmod', 'sbin/rmmod', 'sbin/poweroff', 'sbin/reboot', 'sbin/halt', 'bin/cttyhack',
  'usr/bin/setsid', 'usr/bin/head', 'usr/bin/tail', 'usr/bin/wc', 'usr/bin/free', 'usr/bin/uptime', 'usr/bin/env',
  'usr/bin/test', 'usr/bin/[', 'usr/bin/hexdump', 'usr/bin/od', 'usr/bin/printf', 'usr/bin/tr', 'usr/bin/cut', 'usr/bin/vi',
];

/**
 * A POSIX shell function printing the value of wasmvisor.cmd= in the
 * command line given as $1: up to the closing quote when the value starts
 * with one, else up to the next space. Exported so tests can run it in the
 * host's sh.
 */
export const WASMVISOR_CMD_FUNCTION = [
  'wasmvisor_cmd() {',
  '  s=" $1"',
  '  case "$s" in',
  `    *' wasmvisor.cmd="'*) v=\${s#*' wasmvisor.cmd="'}; printf '%s\\n' "\${v%%\\"*}" ;;`,
  `    *' wasmvisor.cmd='*) v=\${s#*' wasmvisor.cmd='}; printf '%s\\n' "\${v%% *}" ;;`,
  '  esac',
  '}',
].join('\n');

export interface InitScriptInput {
  release: string;
  modules: readonly Pick<SelectedModule, 'path'>[];
  /** One line naming what the guest was built from, printed in the banner. */
  description: string;
}

/** The /init script. */
export function initScript(input: InitScriptInput): string {
  const dir = `/lib/modules/${input.release}`;
  const modules = input.modules.map((m) => `  ${dir}/${m.path} \\`).join('\n');
  return `#!/bin/sh
# /init of wasmvisor's Linux test guest, written by guests/linux/build.ts.
# ${input.description}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts -o nosuid,noexec devpts /dev/pts

# The virtio drivers, each after the modules it needs.
for m in \\
${modules}
; do
  insmod "$m" || echo "init: insmod $m failed" >&2
done

${WASMVISOR_CMD_FUNCTION}

echo "${READY_BANNER}: Linux $(uname -r) $(uname -m); ${input.description}"
cmd=$(wasmvisor_cmd "$(cat /proc/cmdline)")
if [ -n "$cmd" ]; then
  echo "wasmvisor: running: $cmd"
  sh -c "$cmd"
  echo "${EXIT_STATUS_PREFIX}$?"
  poweroff -f
fi
echo "wasmvisor: a shell on the console; leave it to power off"
# setsid runs as a child of this script, so it is no process-group leader
# and becomes a session leader without forking; cttyhack then reopens the
# real console device so the shell gets job control.
setsid cttyhack sh
poweroff -f
`;
}

export interface InitramfsInput extends InitScriptInput {
  busybox: Uint8Array;
  /** Paths of busybox's applets relative to the root ("bin/sh", "usr/bin/["), as `busybox --list-full` prints them. */
  applets: readonly string[];
  modules: readonly SelectedModule[];
}

/** The uncompressed newc archive. */
export function buildInitramfsArchive(input: InitramfsInput): Uint8Array {
  const a = new NewcArchive();
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'run', 'mnt']) a.directory(d);
  a.directory('tmp', { permissions: 0o1777 });
  a.directory('root', { permissions: 0o700 });
  // Linux's Documentation/admin-guide/devices.txt: console is char 5:1, null is char 1:3.
  a.characterDevice('dev/console', 5, 1, { permissions: 0o600 });
  a.characterDevice('dev/null', 1, 3, { permissions: 0o666 });
  a.file('bin/busybox', input.busybox, { permissions: 0o755 });
  for (const applet of input.applets) {
    if (applet === 'bin/busybox' || a.has(applet)) continue;
    a.symlink(applet, '/bin/busybox');
  }
  for (const m of input.modules) a.file(`lib/modules/${input.release}/${m.path}`, m.data, { permissions: 0o644 });
  a.file('init', initScript(input), { permissions: 0o755 });
  return a.toBytes();
}

/** The archive gzip-compressed, as the kernel's initramfs unpacker takes it (CONFIG_RD_GZIP). */
export function buildInitramfs(input: InitramfsInput): Uint8Array {
  return new Uint8Array(gzipSync(buildInitramfsArchive(input), { level: 9 }));
}
