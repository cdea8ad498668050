/**
 * How much of the machine something else was using while we measured (Linux /proc; elsewhere
 * nothing is reported). "Ours" is this process, the two servers, the PostgreSQL backends of the
 * benchmark database and PostgreSQL's shared background processes; everything else busy on the
 * CPUs is "other" load, which makes a run on a shared 2-core machine less trustworthy.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface Snapshot {
  machineBusy: number;
  machineTotal: number;
  perProcess: Map<number, number>;
}

export interface CpuShare {
  /** Share of all CPUs busy, 0–100. */
  busyPercent: number;
  /** Share of all CPUs busy with processes that are not part of the benchmark, 0–100. */
  otherPercent: number;
}

const POSTGRES_SHARED = /^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|stats collector|archiver)|^\/usr\/lib\/postgresql\/.*\/bin\/postgres/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function processTicks(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

export class CpuMeter {
  constructor(
    private readonly ownPids: () => number[],
    private readonly databaseName: string,
  ) {}

  private snapshot(): Snapshot | undefined {
    const cpu = read('/proc/stat')?.split('\n')[0];
    if (!cpu?.startsWith('cpu ')) return undefined;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const machineBusy = user + nice + system + irq + softirq + steal;
    const perProcess = new Map<number, number>();
    const own = new Set(this.ownPids());
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      let ours = own.has(pid);
      if (!ours) {
        const cmdline = read(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ').trim() ?? '';
        ours = cmdline.startsWith('postgres: ') ? cmdline.includes(` ${this.databaseName} `) || POSTGRES_SHARED.test(cmdline) : POSTGRES_SHARED.test(cmdline);
      }
      if (!ours) continue;
      const ticks = processTicks(pid);
      if (ticks !== undefined) perProcess.set(pid, ticks);
    }
    return { machineBusy, machineTotal: machineBusy + idle + iowait, perProcess };
  }

  /** Starts measuring; call the returned function to get the shares since. */
  start(): () => CpuShare | undefined {
    const before = this.snapshot();
    return () => {
      const after = this.snapshot();
      if (!before || !after) return undefined;
      const total = after.machineTotal - before.machineTotal;
      if (total <= 0) return undefined;
      let ours = 0;
      // A process new since `before` (a pool connection opened meanwhile) did all its work in the interval.
      for (const [pid, ticks] of after.perProcess) ours += ticks - (before.perProcess.get(pid) ?? 0);
      const busy = after.machineBusy - before.machineBusy;
      return {
        busyPercent: (100 * busy) / total,
        otherPercent: Math.max(0, (100 * (busy - ours)) / total),
      };
    };
  }
}
