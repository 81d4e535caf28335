// Network faults for one browser at a time. Each browser gets a network
// namespace of its own, joined to the test's namespace by a veth pair (a
// point-to-point "access network"); the server listens on SERVER_ADDRESS, an
// address on the test namespace's loopback that every browser reaches
// through its veth. Then one browser's packets can be lost on the wire in both
// directions (drop/restore) and its network switched (old address gone, a new
// one on another subnet) while everyone else is untouched.
//
// Packets are "lost on the wire" by pointing each end's neighbour entry for
// the other at a MAC address nobody has: the veth delivers the frames to a
// host that is not theirs, and the kernel discards them silently. Senders get
// no error and no link changes state - as when a phone loses signal in a lift.
// (This kernel has no netem and no tc drop action, and blackhole routes make
// the senders' own kernel answer EINVAL, which is not what a lost signal does.)
//
// Only inside a namespace made for the tests (scripts/test.sh and bench/run.sh
// set CONSULTROOM_NETNS): nothing here touches the machine's own network.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The server's address as every browser namespace sees it (on the test namespace's loopback). */
export const SERVER_ADDRESS = '10.77.0.1';
/** Executable that runs Chromium inside the namespace named by CONSULTROOM_BROWSER_NETNS_PID. */
export const CHROMIUM_IN_NETNS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'chromium-in-netns.sh');
/** A MAC address no interface has (locally administered): frames sent to it are discarded on arrival. */
const NOWHERE_MAC = '02:00:5e:00:de:ad';

/** Why browser namespaces cannot be made here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and veth pairs)';
  if (!process.env.CONSULTROOM_NETNS) return 'runs only inside the tests\' own network namespace (scripts/test.sh or bench/run.sh)';
  for (const bin of ['/usr/bin/unshare', '/usr/bin/nsenter']) if (!existsSync(bin)) return `${bin} is missing (util-linux)`;
  return null;
}

/** For describe.runIf: true when faults can be made; otherwise says why (a failure under CI=true). */
export function netnsAvailable(): boolean {
  const why = netnsUnavailable();
  if (why && process.env.CI === 'true') throw new Error(`the fault-injection tests must run under CI, but: ${why}`);
  if (why) console.warn(`\n[e2e] SKIPPED fault injection: ${why}\n`);
  return why === null;
}

async function ip(args: string[], ns?: number): Promise<string> {
  const [cmd, argv] = ns === undefined ? ['ip', args] : ['nsenter', [`--net=/proc/${ns}/ns/net`, 'ip', ...args]];
  try {
    return (await run(cmd, argv, { encoding: 'utf8' })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`ip ${args.join(' ')}${ns === undefined ? '' : ` (in namespace ${ns})`} failed: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

/** `ss -K`: aborts TCP sockets in a namespace matching a filter (the kernel's SOCK_DESTROY). */
async function killSockets(ns: number, filter: string[]): Promise<void> {
  await run('nsenter', [`--net=/proc/${ns}/ns/net`, 'ss', '-K', '-t', ...filter], { encoding: 'utf8' }).catch(() => undefined);
}

async function macOf(dev: string, ns?: number): Promise<string> {
  const m = /link\/ether ([0-9a-f:]{17})/.exec(await ip(['link', 'show', 'dev', dev], ns));
  if (!m) throw new Error(`no MAC address on ${dev}`);
  return m[1]!;
}

/** One browser's access network: a namespace, its veth pair and its current addresses. */
export interface BrowserNetwork {
  /** Pid of the process holding the namespace; `nsenter --net=/proc/<pid>/ns/net` enters it. */
  readonly pid: number;
  /** Environment for playwright's launch: makes CHROMIUM_IN_NETNS run Chromium in this namespace. */
  readonly env: Record<string, string>;
  /** The browser's address now (changes on switchNetwork). */
  address(): string;
  /** Lose every packet between this browser and everything else, both ways, silently. */
  drop(): Promise<void>;
  /** Stop losing packets. */
  restore(): Promise<void>;
  /**
   * Move to another network: the old address disappears (connections made from it
   * are dead: their TCP sockets are aborted, as a phone's stack does when it leaves
   * a network), a new address on another subnet works at once.
   */
  switchNetwork(): Promise<void>;
  close(): Promise<void>;
}

export interface FaultLab {
  /** A new browser namespace on subnets of its own (10.77.<slot>.0/24, then 10.78.<slot>.0/24 after a switch, ...). */
  network(): Promise<BrowserNetwork>;
  close(): Promise<void>;
}

/**
 * Makes SERVER_ADDRESS local to this namespace and hands out browser namespaces.
 * close() removes every namespace it made (also on process exit).
 */
export async function faultLab(): Promise<FaultLab> {
  const why = netnsUnavailable();
  if (why) throw new Error(`browser network namespaces unavailable: ${why}`);
  await ip(['link', 'set', 'lo', 'up']);
  if (!(await ip(['-4', '-o', 'addr', 'show', 'dev', 'lo'])).includes(` ${SERVER_ADDRESS}/`)) {
    await ip(['addr', 'add', `${SERVER_ADDRESS}/32`, 'dev', 'lo']);
  }
  const nets: BrowserNetwork[] = [];
  return {
    async network() {
      const n = await createNetwork(await freeSlot());
      nets.push(n);
      return n;
    },
    async close() {
      for (const n of nets.splice(0)) await n.close();
    },
  };
}

/** A slot (1..250) whose veth name is free in this namespace. */
async function freeSlot(): Promise<number> {
  const links = await ip(['-o', 'link', 'show']);
  const start = 1 + Math.floor(Math.random() * 250);
  for (let i = 0; i < 250; i++) {
    const slot = 1 + ((start + i) % 250);
    if (!links.includes(`crh${slot}@`) && !links.includes(`crh${slot}:`)) return slot;
  }
  throw new Error('no free veth slot');
}

async function createNetwork(slot: number): Promise<BrowserNetwork> {
  // The holder reads stdin until the test process goes away, so its namespace never outlives us.
  const holder: ChildProcess = spawn('unshare', ['-n', 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const pid = holder.pid;
  if (pid === undefined) throw new Error('could not start a namespace holder (unshare)');
  const killHolder = (): void => {
    holder.kill('SIGKILL');
  };
  process.once('exit', killHolder);
  const hostDev = `crh${slot}`;
  const nsDev = `crb${slot}`;
  let generation = 0;
  const subnet = (g: number) => `10.${77 + g}.${slot}`;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    process.off('exit', killHolder);
    const gone = new Promise<void>((r) => (holder.exitCode !== null || holder.signalCode !== null ? r() : holder.once('exit', () => r())));
    holder.kill('SIGKILL');
    await gone;
    // The namespace goes with its last process (Chromium may still be closing), and the pair with it;
    // deleting our end now frees the name and takes its addresses and routes along.
    await ip(['link', 'del', hostDev]).catch(() => undefined);
  };
  try {
    // unshare has made the namespace once /proc/<pid>/ns/net differs from ours.
    for (let i = 0; i < 100 && (await sameNetns(pid)); i++) await new Promise((r) => setTimeout(r, 10));
    // No IPv6 in the browser's namespace: its link-local address appears a moment after the link comes
    // up (duplicate address detection), and Chromium aborts a navigation under way when its
    // addresses change (net::ERR_NETWORK_CHANGED), which made the first page load flaky.
    await run('nsenter', [`--net=/proc/${pid}/ns/net`, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'], { encoding: 'utf8' });
    await ip(['link', 'add', hostDev, 'type', 'veth', 'peer', 'name', nsDev, 'netns', String(pid)]);
    await ip(['addr', 'add', `${subnet(0)}.1/24`, 'dev', hostDev]);
    await ip(['link', 'set', hostDev, 'up']);
    await ip(['link', 'set', 'lo', 'up'], pid);
    await ip(['addr', 'add', `${subnet(0)}.2/24`, 'dev', nsDev], pid);
    await ip(['link', 'set', nsDev, 'up'], pid);
    await ip(['route', 'add', 'default', 'via', `${subnet(0)}.1`], pid);
  } catch (e) {
    await close();
    throw e;
  }
  const hostMac = await macOf(hostDev);
  const nsMac = await macOf(nsDev, pid);
  const hostNeighbour = (mac: string) => ['neigh', 'replace', `${subnet(generation)}.2`, 'lladdr', mac, 'dev', hostDev, 'nud', 'permanent'];
  const nsNeighbour = (mac: string) => ['neigh', 'replace', `${subnet(generation)}.1`, 'lladdr', mac, 'dev', nsDev, 'nud', 'permanent'];
  return {
    pid,
    env: { CONSULTROOM_BROWSER_NETNS_PID: String(pid) },
    address: () => `${subnet(generation)}.2`,
    async drop() {
      await ip(hostNeighbour(NOWHERE_MAC));
      await ip(nsNeighbour(NOWHERE_MAC), pid);
    },
    async restore() {
      // The true MACs, permanent: no ARP round needed before the first packet flows again.
      await ip(hostNeighbour(nsMac));
      await ip(nsNeighbour(hostMac), pid);
    },
    async switchNetwork() {
      const old = subnet(generation);
      generation++;
      const now = subnet(generation);
      await ip(['addr', 'add', `${now}.1/24`, 'dev', hostDev]);
      await ip(['addr', 'del', `${old}.2/24`, 'dev', nsDev], pid);
      await ip(['addr', 'add', `${now}.2/24`, 'dev', nsDev], pid);
      await ip(['route', 'replace', 'default', 'via', `${now}.1`], pid);
      // Whatever still answers for the old address is gone: the server's packets to it are lost.
      await ip(['neigh', 'replace', `${old}.2`, 'lladdr', NOWHERE_MAC, 'dev', hostDev, 'nud', 'permanent']);
      await killSockets(pid, ['src', `${old}.2`]);
    },
    close,
  };
}

async function sameNetns(pid: number): Promise<boolean> {
  try {
    return (await readlink(`/proc/${pid}/ns/net`)) === (await readlink('/proc/self/ns/net'));
  } catch {
    return true;
  }
}
