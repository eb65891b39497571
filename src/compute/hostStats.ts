// What the extension host itself measures for the stress tests (issue 12): how long its event loop stalled and how
// much memory it holds, and whether the model process and the tokenizer processes are alive. Measured IN the host
// (perf_hooks.monitorEventLoopDelay, a timer whose lateness is the loop's delay: Node's docs, "perf_hooks
// .monitorEventLoopDelay"), and only switched on when the test launcher sets LLM_LENS_HOST_STATS (see
// commands/hostStatsForTest.ts): a user's VS Code never runs it.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/**
 * The stress tests' internal command: not in package.json (no palette entry, no menu; deliberately not in CommandId)
 * and registered only when the test launcher set LLM_LENS_HOST_STATS to a file path. The UI test binds it to keys
 * in its own keybindings.json.
 */
export const hostStatsCommandId = 'llmLens.hostStatsForTest';

/** Sampling period of the loop-delay histogram and of the heartbeat, in ms. */
const resolutionMs = 10;

/** What the host reports (times in ms, sizes in bytes). */
export interface HostStats {
  /** Since the last reset. */
  sinceMs: number;
  /** monitorEventLoopDelay over that time: the largest, the 99th percentile and the mean delay of its 10 ms timer. */
  eventLoop: { maxMs: number; p99Ms: number; meanMs: number; samples: number };
  /** A 10 ms heartbeat's longest gap beyond its period (a second, independent reading of the longest stall). */
  heartbeatMaxStallMs: number;
  /**
   * The heartbeat's longest gaps (up to 5, longest first): when (ms since the reset), how long, and how much CPU this
   * thread used meanwhile (process.threadCpuUsage, Node ≥ 23.9; undefined before) — a long gap with little CPU is
   * the machine not running the host (load), not the host busy.
   */
  stalls: { atMs: number; ms: number; cpuMs: number | undefined }[];
  /**
   * The most CPU this thread spent inside one heartbeat gap: the longest the host itself kept its loop busy (code,
   * or a collection it ran), whatever the machine's load did to the wall clock. Undefined where it cannot be read.
   */
  maxBusyMs: number | undefined;
  /** Garbage collections in the window (every thread of the process reports its own; this is the host's). */
  gc: { count: number; maxMs: number; totalMs: number };
  /** process.memoryUsage() now, and the resident set size when recording began (the extension's activation). */
  rss: number;
  rssAtStart: number;
  heapUsed: number;
  /** The V8 heap's committed size (what it holds on to beyond heapUsed counts in rss). */
  heapTotal: number;
  /**
   * The largest V8 heap used / committed and RSS seen by the 10 ms heartbeat, in this window (`window`) and since
   * activation (`sinceStart`): V8 keeps pages it committed at its peak resident long after, so the peak, not what
   * is live at the end, decides how far the RSS rises.
   */
  peak: { window: MemoryPeak; sinceStart: MemoryPeak };
  /** ArrayBuffers and other memory outside the V8 heap (process.memoryUsage().external). */
  external: number;
  /** The resident set by kind (Linux /proc/self/status: anonymous memory, mapped files), when readable. */
  rssAnon: number | undefined;
  rssFile: number | undefined;
  /** The model process's id while one runs. */
  modelProcessPid: number | undefined;
  /** The tokenizer processes' ids while they run. */
  tokenizerProcessPids: number[];
  /** Only when asked for ('smaps'): the mappings holding the most memory, and anonymous memory by mapping size. */
  mappings?: MappingStats[];
  anonymousBySize?: Record<string, { mappings: number; rss: number }>;
}

/** The largest heap used, heap committed and RSS seen (bytes). */
export interface MemoryPeak {
  heapUsed: number;
  heapTotal: number;
  rss: number;
}

/** The larger of each field. */
function maxPeak(a: MemoryPeak, b: MemoryPeak): MemoryPeak {
  return { heapUsed: Math.max(a.heapUsed, b.heapUsed), heapTotal: Math.max(a.heapTotal, b.heapTotal), rss: Math.max(a.rss, b.rss) };
}

/** The heap's and the process's size now (v8.getHeapStatistics is cheap enough for a 10 ms heartbeat). */
function memoryNow(): MemoryPeak {
  const heap = getHeapStatistics();
  return { heapUsed: heap.used_heap_size, heapTotal: heap.total_heap_size, rss: process.memoryUsage.rss() };
}

/** What the extension tells the recorder about its compute processes. */
export type LiveCompute = Pick<HostStats, 'modelProcessPid' | 'tokenizerProcessPids'>;

/**
 * CPU time this (the main) thread has used, in ms: process.threadCpuUsage (Node ≥ 23.9), else Linux's
 * /proc/self/task/<pid>/stat (utime + stime in ticks of 10 ms: the main thread's id is the process id), else undefined.
 */
function threadCpuMs(): number | undefined {
  const usage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.();
  if (usage) return (usage.user + usage.system) / 1000;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name in parentheses: state is field 3, utime 14 and stime 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** A `<name>: <n> kB` line of /proc/self/status in bytes, or undefined (not Linux). */
function statusKb(name: string): number | undefined {
  try {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One mapping of the process's memory, as /proc/self/smaps lists it (sizes in bytes). */
export interface MappingStats {
  /** Its address range and permissions, e.g. "7f12a0000000-7f12a4000000 rw-p". */
  range: string;
  /** What it maps: a file's path, [heap] (the main malloc arena), [stack], or '' for anonymous memory. */
  path: string;
  size: number;
  rss: number;
}

/**
 * The mappings that hold the most resident memory (Linux /proc/self/smaps; empty elsewhere), to tell where
 * anonymous memory outside V8's heap sits: glibc's main arena ([heap]), the 64 MB heaps of thread arenas, V8's pages.
 */
export function largestMappings(top = 20): MappingStats[] {
  return allMappings()
    .sort((a, b) => b.rss - a.rss)
    .slice(0, top);
}

/**
 * Resident anonymous memory by the size of its mapping (bytes): V8 maps its heap in pages of 256 KB and its large
 * objects one mapping each, glibc's thread arenas are 64 MB heaps, thread stacks 8 MB; [heap] is malloc's main arena.
 */
export function anonymousBySize(): Record<string, { mappings: number; rss: number }> {
  const buckets: Record<string, { mappings: number; rss: number }> = {};
  for (const m of allMappings()) {
    if (m.path !== '' && m.path !== '[heap]') continue;
    const key = m.path === '[heap]' ? '[heap]' : m.size <= 256 * 1024 ? '<=256K' : m.size <= 2 ** 20 ? '<=1M' : m.size <= 8 * 2 ** 20 ? '<=8M' : m.size <= 64 * 2 ** 20 ? '<=64M' : '>64M';
    const bucket = (buckets[key] ??= { mappings: 0, rss: 0 });
    bucket.mappings++;
    bucket.rss += m.rss;
  }
  return buckets;
}

function allMappings(): MappingStats[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return [];
  }
  const out: MappingStats[] = [];
  let current: MappingStats | undefined;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      current = { range: `${header[1]}-${header[2]} ${header[3]}`, path: header[4], size: 0, rss: 0 };
      out.push(current);
      continue;
    }
    const field = /^(Size|Rss):\s+(\d+) kB/.exec(line);
    if (field && current) current[field[1] === 'Size' ? 'size' : 'rss'] = Number(field[2]) * 1024;
  }
  return out;
}

/** Records loop delay and heartbeat gaps from construction (or the last reset) until dispose. */
export class HostStatsRecorder {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  private readonly heartbeat: NodeJS.Timeout;
  private readonly rssAtStart = process.memoryUsage().rss;
  private resetAt = performance.now();
  private lastBeat = performance.now();
  private maxStall = 0;
  private lastCpu = threadCpuMs();
  private maxBusy: number | undefined;
  private peakWindow = memoryNow();
  private peakSinceStart = this.peakWindow;
  private stalls: HostStats['stalls'] = [];
  private gc: HostStats['gc'] = { count: 0, maxMs: 0, totalMs: 0 };
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      this.gc.count++;
      this.gc.totalMs += entry.duration;
      this.gc.maxMs = Math.max(this.gc.maxMs, entry.duration);
    }
  });

  constructor(private readonly live: () => LiveCompute) {
    this.histogram.enable();
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.heartbeat = setInterval(() => {
      const now = performance.now();
      const cpu = threadCpuMs();
      const stall = now - this.lastBeat - resolutionMs;
      const memory = memoryNow();
      this.peakWindow = maxPeak(this.peakWindow, memory);
      this.peakSinceStart = maxPeak(this.peakSinceStart, memory);
      this.maxStall = Math.max(this.maxStall, stall);
      // Only gaps worth reporting are kept (a handful; the list stays tiny).
      if (cpu !== undefined && this.lastCpu !== undefined) this.maxBusy = Math.max(this.maxBusy ?? 0, cpu - this.lastCpu);
      if (stall > 50) {
        this.stalls.push({ atMs: now - this.resetAt, ms: stall, cpuMs: cpu === undefined || this.lastCpu === undefined ? undefined : cpu - this.lastCpu });
        this.stalls.sort((a, b) => b.ms - a.ms);
        this.stalls.length = Math.min(this.stalls.length, 5);
      }
      this.lastBeat = now;
      this.lastCpu = cpu;
    }, resolutionMs);
    // The recorder alone must not keep the host alive.
    this.heartbeat.unref();
  }

  /** Starts a new measuring window. */
  reset(): void {
    this.histogram.reset();
    this.maxStall = 0;
    this.stalls = [];
    this.maxBusy = undefined;
    this.peakWindow = memoryNow();
    this.lastCpu = threadCpuMs();
    this.gc = { count: 0, maxMs: 0, totalMs: 0 };
    this.resetAt = performance.now();
    this.lastBeat = this.resetAt;
  }

  /** The numbers of the current window. */
  read(): HostStats {
    const h = this.histogram;
    const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const memory = process.memoryUsage();
    return {
      sinceMs: performance.now() - this.resetAt,
      eventLoop: { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean), samples: h.count },
      heartbeatMaxStallMs: this.maxStall,
      stalls: this.stalls.slice(),
      maxBusyMs: this.maxBusy,
      gc: { ...this.gc },
      rss: memory.rss,
      rssAtStart: this.rssAtStart,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      peak: { window: { ...this.peakWindow }, sinceStart: { ...this.peakSinceStart } },
      external: memory.external,
      rssAnon: statusKb('RssAnon'),
      rssFile: statusKb('RssFile'),
      ...this.live(),
    };
  }

  /** Stops measuring. */
  dispose(): void {
    this.histogram.disable();
    this.gcObserver.disconnect();
    clearInterval(this.heartbeat);
  }
}
