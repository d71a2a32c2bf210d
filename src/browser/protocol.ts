/**
 * What the page, the VM worker and the web server say to each other: the
 * worker's messages (start/stop/reset, serial bytes both ways, periodic
 * statistics) and the guest catalogue the server lists at /api/guests.
 * Types only, so that the page can import them without loading the engine.
 */

/** How a kernel image is entered: 'auto' looks at the image (a bzImage's "HdrS", a multiboot header, else a flat binary). */
export type GuestFormat = 'auto' | 'flat' | 'multiboot' | 'linux';
/** The loader a guest was started with. */
export type LoadedFormat = Exclude<GuestFormat, 'auto'>;

/** A guest to boot: what QEMU's -kernel, -initrd and -append give. */
export interface GuestImages {
  readonly kernel: Uint8Array;
  /** Names the kernel in messages (its file name). */
  readonly kernelName: string;
  /** A Linux initrd, or a multiboot kernel's one module (QEMU passes -initrd to multiboot kernels as modules). */
  readonly initrd?: Uint8Array;
  readonly initrdName?: string;
  /** The kernel command line ('' for none). */
  readonly cmdline: string;
  readonly format: GuestFormat;
}

/** The machine a guest runs on, and the strategies it runs with (MachineConfig's names). */
export interface MachineOptions {
  readonly memoryMiB: number;
  /** 'interpreter' or a JIT strategy (runtime/jit/strategies.ts). */
  readonly tier: string;
  /** The MMU's paging policy: 'nested' or 'shadow'. */
  readonly paging: string;
  /** The x87 unit: 'exact' or 'fast'. */
  readonly fpu: 'exact' | 'fast';
  /** A CPU model as -cpu takes it. */
  readonly cpu: string;
}

/** What the strategy and model menus offer, as the engine in the worker knows them. */
export interface EngineChoices {
  readonly tiers: readonly string[];
  readonly paging: readonly string[];
  readonly fpu: readonly string[];
  readonly cpus: readonly string[];
}

/**
 * The translation cache at one moment: live translations (entries), the
 * Wasm modules that hold them, and those modules' bytes.
 */
export interface CacheSize {
  readonly translations: number;
  readonly modules: number;
  readonly wasmBytes: number;
}

/** Cumulative counters at one moment; the page turns consecutive samples into rates. */
export interface StatsSample {
  /** The worker's clock, in ms (performance.now()). */
  readonly t: number;
  /** Guest instructions retired since boot. */
  readonly retired: number;
  /** VM exits since boot by reason (the SDM's names, as Linux spells them). */
  readonly exits: Readonly<Record<string, number>>;
  /** The JIT's translation cache; null under the interpreter. */
  readonly cache: CacheSize | null;
  /** Regions compiled since boot (0 under the interpreter). */
  readonly compiles: number;
}

/** The VM as the controls see it. */
export type VmState = 'empty' | 'paused' | 'running' | 'ended';

/** Page → worker. */
export type ToWorker =
  /** Build a machine for this guest (replacing any other); run it at once when `run`. */
  | { readonly type: 'boot'; readonly guest: GuestImages; readonly options: MachineOptions; readonly run: boolean }
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  /** Rebuild the machine from the guest last booted, with these options (strategies apply here). */
  | { readonly type: 'reset'; readonly options: MachineOptions; readonly run: boolean }
  /** Keystrokes for COM1. */
  | { readonly type: 'input'; readonly bytes: Uint8Array };

/** Worker → page. */
export type FromWorker =
  /** The engine has loaded; the menus can be filled. */
  | { readonly type: 'ready'; readonly choices: EngineChoices }
  | { readonly type: 'booted'; readonly format: LoadedFormat; readonly detail: string }
  | { readonly type: 'state'; readonly state: VmState }
  /** Bytes the guest wrote to COM1. */
  | { readonly type: 'serial'; readonly bytes: Uint8Array }
  | { readonly type: 'stats'; readonly sample: StatsSample }
  /** The guest stopped (halted, wrote the debug-exit port, faulted…): the machine's exit status and message. */
  | { readonly type: 'ended'; readonly status: number; readonly outcome: string; readonly message: string }
  /** A request failed (a bad image or setting, or an engine error); the state message follows. */
  | { readonly type: 'error'; readonly message: string };

/** What kind of guest an entry is: the end-to-end test picks what to type from it. */
export type GuestKind = 'linux' | 'demo' | 'test';

/** A guest the server offers. */
export interface GuestEntry {
  readonly id: string;
  readonly title: string;
  readonly kind: GuestKind;
  readonly format: GuestFormat;
  /** URLs of the images on the server, and their file names (for messages). */
  readonly kernel: string;
  readonly kernelName: string;
  readonly initrd?: string;
  readonly initrdName?: string;
  readonly cmdline: string;
  readonly memoryMiB: number;
  /** False when its images are not there (not built yet); `reason` says how to get them. */
  readonly available: boolean;
  readonly reason?: string;
}

export interface GuestCatalogue {
  /** The guest the page selects first: the machine's default guest. */
  readonly defaultGuest: string;
  readonly guests: readonly GuestEntry[];
}
