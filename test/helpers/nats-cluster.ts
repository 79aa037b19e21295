/**
 * A three-node NATS cluster for tests: `nats-server` processes on loopback,
 * each with its own client, cluster and monitoring port and its own `-sd` store
 * directory in a temp dir, JetStream on, routed to each other. Nodes can be
 * SIGKILLed and started again one by one (same ports, same store); `stop()`
 * kills them all and removes the directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { tempDir } from './files.js';
import { until } from './events.js';

/** One node of the cluster. */
interface Node {
  name: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  dir: string;
  process: ChildProcess | undefined;
}

/** A running cluster. */
export interface NatsCluster {
  /** The client URLs of the nodes, in order. */
  readonly servers: string[];
  /** The node names (`n1` …), in order. */
  readonly names: string[];
  /** SIGKILLs a node by name and waits for its exit. */
  kill(name: string): Promise<void>;
  /** Starts a killed node again (same ports, same store directory). */
  restart(name: string): Promise<void>;
  /** The name of the node leading a stream. */
  leaderOf(stream: string): Promise<string>;
  /** The name of the node leading the cluster's JetStream meta group (it creates consumers), as a live node reports it. */
  metaLeader(): Promise<string>;
  /**
   * Records, from now on, the instant of every leader elected in the cluster
   * (JetStream's `LEADER_ELECTED` advisories: `STREAM.<name>`, `META`), as
   * seen through the nodes but `except` (a connection that a kill would cut).
   */
  elections(except: string): Promise<Elections>;
  /** The names of the nodes serving a stream's consumers (a KV watch is one), one per consumer. */
  consumerNodesOf(stream: string): Promise<string[]>;
  /** Kills every node and removes the store directories. */
  stop(): Promise<void>;
}

/** Leaders elected since {@link NatsCluster.elections}: what (`STREAM.<name>`, `META`) and when. */
export interface Elections {
  readonly seen: { what: string; at: number }[];
  close(): Promise<void>;
}

/** Starts a cluster of `size` nodes and waits until JetStream answers with a meta leader. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const { dir, cleanup } = tempDir('chime-nats-');
  const nodes: Node[] = [];
  for (let i = 1; i <= size; i++) {
    const nodeDir = join(dir, `n${i}`);
    mkdirSync(nodeDir);
    nodes.push({
      name: `n${i}`,
      port: await freePort(),
      clusterPort: await freePort(),
      monitorPort: await freePort(),
      dir: nodeDir,
      process: undefined,
    });
  }
  const servers = nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  const launch = (node: Node) => {
    const routes = nodes.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.clusterPort}`);
    node.process = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(node.port),
        '-m',
        String(node.monitorPort),
        '-n',
        node.name,
        '-js',
        '-sd',
        node.dir,
        '--cluster_name',
        'chime-test',
        '--cluster',
        `nats://127.0.0.1:${node.clusterPort}`,
        '--routes',
        routes.join(','),
      ],
      { stdio: 'ignore' },
    );
  };
  const byName = (name: string) => {
    const node = nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  };
  const cluster: NatsCluster = {
    servers,
    names: nodes.map((n) => n.name),
    async kill(name) {
      const node = byName(name);
      const child = node.process;
      node.process = undefined;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async restart(name) {
      launch(byName(name));
    },
    async leaderOf(stream) {
      const nc = await connect({ servers });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(stream);
        return info.cluster?.leader ?? '';
      } finally {
        await nc.close();
      }
    },
    async metaLeader() {
      const live = nodes.find((n) => n.process !== undefined);
      if (!live) return '';
      const jsz = (await (await fetch(`http://127.0.0.1:${live.monitorPort}/jsz`)).json()) as {
        meta_cluster?: { leader?: string };
      };
      return jsz.meta_cluster?.leader ?? '';
    },
    async elections(except) {
      const nc = await connect({ servers: servers.filter((_, i) => nodes[i]?.name !== except) });
      const seen: { what: string; at: number }[] = [];
      const prefix = '$JS.EVENT.ADVISORY.';
      nc.subscribe(`${prefix}>`, {
        callback: (_, msg) => {
          const what = msg.subject
            .slice(prefix.length)
            .replace('LEADER_ELECTED', '')
            .replace('..', '.');
          if (msg.subject.includes('.LEADER_ELECTED')) seen.push({ what, at: Date.now() });
        },
      });
      await nc.flush();
      return { seen, close: () => nc.close() };
    },
    async consumerNodesOf(stream) {
      const nc = await connect({ servers });
      try {
        const nodes: string[] = [];
        for await (const info of (await jetstreamManager(nc)).consumers.list(stream))
          nodes.push(info.cluster?.leader ?? '');
        return nodes;
      } finally {
        await nc.close();
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => cluster.kill(n.name)));
      cleanup();
    },
  };
  for (const node of nodes) launch(node);
  try {
    await until(
      () => jetStreamReady(servers),
      30_000,
      'the NATS cluster to elect a JetStream leader',
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** True once JetStream answers an account-info request (its meta leader is elected). */
async function jetStreamReady(servers: string[]): Promise<boolean> {
  const nc = await connect({ servers, timeout: 1_000 }).catch(() => null);
  if (!nc) return false;
  try {
    await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
    return true;
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}

/** A TCP port free on the loopback interface right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
