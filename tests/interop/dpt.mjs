// SPDX-License-Identifier: MIT
// tests/interop/dpt.mjs - @ethereumjs/devp2p DPT nodes on loopback, for
// devplane's discv4 interop and conformance tests.
//
//   node dpt.mjs single --port P [--addr IP] [--bootnode ENODE]
//                       [--watch ID] [--duration S] [--reping S]
//       one DPT node on IP:P (default 127.0.0.1); prints "ENODE <url>",
//       bootstraps from --bootnode, prints "TABLE <size> <watched>" every
//       second (watched: node ID --watch, 128 hex, is in its table), runs
//       S seconds (default 120) or until SIGTERM. --reping S: Pings the
//       bootnode again every S seconds, printing "PING <n>", as a geth
//       peer's revalidation would (ethereumjs alone pings a node it holds
//       only when a bucket is full), so that a pinged node whose first
//       ping-back went unanswered gets another chance to bond.
//   node dpt.mjs net --count N --base-port P [--bootnode ENODE]
//                    [--watch ID] [--watch2 ID] [--duration S] [--every S]
//                    [--enodes FILE] [--ids FILE] [--key0 HEX]
//       N DPT nodes on 127.0.0.1:P..P+N-1 (node 0's key --key0 when
//       given, so a test knows its enode in advance), each bootstrapped from the
//       previous one, a random other one and --bootnode (ours). Writes their
//       enodes (and --ids: their keccak256 node IDs) one per line once all
//       listen (exits 1 when a port is taken), prints "PROGRESS <json>"
//       every --every seconds (default 5), and after S seconds (default
//       30), or at SIGUSR2 (a test done waiting for what it needs), prints
//       "REPORT <json>" and exits 0. The JSON: table sizes, how many tables
//       hold node ID --watch (128 hex; watchedIn) and --watch2
//       (watched2In), the size of every Neighbors packet they sent
//       (ethereumjs puts up to 16 nodes in one, over discv4's 1280), and
//       their errors by kind ("Invalid type: 5": an ENRRequest they got).
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DPT } from '@ethereumjs/devp2p';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { keccak256 } from 'ethereum-cryptography/keccak.js';

const args = process.argv.slice(2);
const mode = args.shift();
const opt = {};
for (let i = 0; i < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];

const hex = (b) => Buffer.from(b).toString('hex');
const MAX_PACKET = 1280;
const TYPE_NEIGHBORS = 4;
const stats = { sent: 0, neighbors: 0, neighborsOver1280: 0, maxNeighborsSize: 0,
  neighborsOver1280ToWatched: 0, errors: 0, errorKinds: {} };
let watchedPort = opt['watch-port'] ? Number(opt['watch-port']) : 0;

function parseEnode(url) {
  const m = /^enode:\/\/([0-9a-f]{128})@([0-9.]+):(\d+)(\?discport=(\d+))?/.exec(url);
  if (!m) throw new Error(`bad enode ${url}`);
  const tcp = Number(m[3]);
  // ethereumjs encodes port 0 as the two bytes 00 00, a non-canonical RLP
  // integer that geth and devplane reject (dropping the whole Ping), so a
  // TCP port of 0 (a bootnode's "...:0?discport=P") is passed as null,
  // which it encodes as the empty string.
  return { id: Buffer.from(m[1], 'hex'), address: m[2], tcpPort: tcp || null,
    udpPort: m[5] ? Number(m[5]) : tcp };
}

// A dgram socket whose send() records the size of every Neighbors packet.
function countingSocket() {
  const s = dgram.createSocket({ type: 'udp4' });
  const send = s.send.bind(s);
  s.send = (msg, off, len, port, addr, ...rest) => {
    stats.sent++;
    if (msg[97] === TYPE_NEIGHBORS) {
      stats.neighbors++;
      stats.maxNeighborsSize = Math.max(stats.maxNeighborsSize, len);
      if (len > MAX_PACKET) {
        stats.neighborsOver1280++;
        if (port === watchedPort) stats.neighborsOver1280ToWatched++;
      }
    }
    return send(msg, off, len, port, addr, ...rest);
  };
  return s;
}

function makeNode(port, refreshMs, addr = '127.0.0.1', key = randomBytes(32)) {
  const dpt = new DPT(key, {
    endpoint: { address: addr, udpPort: port, tcpPort: port },
    createSocket: countingSocket,
    refreshInterval: refreshMs,
    shouldFindNeighbours: true,
    // A late Pong on a loaded machine would get us banned for 5 minutes
    // (ethereumjs's 4 s default); see crawlnet.mjs.
    timeout: 15000,
  });
  dpt.events.on('error', (e) => {
    stats.errors++;
    const k = String(e?.message ?? e).replace(/[0-9a-fx:.]{6,}/g, '…').slice(0, 60);
    stats.errorKinds[k] = (stats.errorKinds[k] ?? 0) + 1;
  });
  const id = hex(secp256k1.getPublicKey(key, false).subarray(1));
  const enode = `enode://${id}@${addr}:${port}`;
  return { dpt, id, port, addr, enode };
}

function listen(n) {
  return new Promise((resolve, reject) => {
    n.dpt.events.once('listening', resolve);
    n.dpt.events.once('error', reject);
    n.dpt.bind(n.port, n.addr);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function single() {
  const n = makeNode(Number(opt.port), 60000, opt.addr ?? '127.0.0.1');
  await listen(n);
  console.log(`ENODE ${n.enode}`);
  if (opt.bootnode) n.dpt.bootstrap(parseEnode(opt.bootnode)).catch(() => {});
  const watch = opt.watch ? Buffer.from(opt.watch.toLowerCase(), 'hex') : null;
  const every = setInterval(() => console.log(`TABLE ${n.dpt.numPeers()} ${watch ? n.dpt.getPeer(watch) !== null : false}`), 1000);
  let pings = 1;
  // DPT.addPeer() skips a node already held: the server's ping() it uses.
  const reping = opt.reping && opt.bootnode ? setInterval(() => {
    console.log(`PING ${++pings}`);
    n.dpt._server.ping(parseEnode(opt.bootnode)).catch(() => {});
  }, Number(opt.reping) * 1000) : null;
  const dur = Number(opt.duration ?? 120);
  const stop = () => { clearInterval(every); clearInterval(reping); n.dpt.destroy(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await sleep(dur * 1000);
  stop();
}

async function net() {
  const count = Number(opt.count ?? 30);
  const base = Number(opt['base-port']);
  const dur = Number(opt.duration ?? 30);
  const watch = opt.watch ? opt.watch.toLowerCase() : null;
  const watch2 = opt.watch2 ? opt.watch2.toLowerCase() : null;
  const boot = opt.bootnode ? parseEnode(opt.bootnode) : null;
  if (boot && !watchedPort) watchedPort = boot.udpPort;
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const key = i === 0 && opt.key0 ? Buffer.from(opt.key0, 'hex') : undefined;
    nodes.push(makeNode(base + i, 10000, '127.0.0.1', key));
  }
  try {
    await Promise.all(nodes.map(listen));
  } catch (e) {
    console.error(`listen: ${e?.message ?? e}`);
    process.exit(1);
  }
  if (opt.enodes) writeFileSync(opt.enodes, nodes.map((n) => n.enode).join('\n') + '\n');
  // geth's enode.ID (keccak256 of the key), the keys of nodes.json.
  if (opt.ids) writeFileSync(opt.ids, nodes.map((n) => hex(keccak256(Buffer.from(n.id, 'hex')))).join('\n') + '\n');
  console.log(`LISTENING ${count} nodes on 127.0.0.1:${base}..${base + count - 1}`);
  const peer = (n) => ({ id: Buffer.from(n.id, 'hex'), address: '127.0.0.1', udpPort: n.port, tcpPort: n.port });
  nodes.forEach((n, i) => {
    if (i > 0) n.dpt.bootstrap(peer(nodes[i - 1])).catch(() => {});
    const j = Math.floor(Math.random() * count);
    if (j !== i) n.dpt.bootstrap(peer(nodes[j])).catch(() => {});
    if (boot) n.dpt.bootstrap(boot).catch(() => {});
  });
  const stop = () => { for (const n of nodes) n.dpt.destroy(); };
  process.on('SIGTERM', () => { stop(); process.exit(1); });
  const report = () => {
    const sizes = nodes.map((n) => n.dpt.numPeers());
    const holding = (w) => (w ? nodes.filter((n) => n.dpt.getPeer(Buffer.from(w, 'hex')) !== null).length : null);
    return { t: Math.round((Date.now() - t0) / 1000), count, minTable: Math.min(...sizes),
      maxTable: Math.max(...sizes), avgTable: +(sizes.reduce((a, b) => a + b, 0) / count).toFixed(1),
      watchedIn: holding(watch), watched2In: holding(watch2), ...stats };
  };
  const t0 = Date.now();
  const every = setInterval(() => console.log(`PROGRESS ${JSON.stringify(report())}`),
    Number(opt.every ?? 5) * 1000);
  await new Promise((resolve) => {
    const t = setTimeout(resolve, dur * 1000);
    process.on('SIGUSR2', () => { clearTimeout(t); resolve(); });
  });
  clearInterval(every);
  console.log(`REPORT ${JSON.stringify(report())}`);
  stop();
  process.exit(0);
}

if (mode === 'single') await single();
else if (mode === 'net') await net();
else { console.error('usage: dpt.mjs single|net ...'); process.exit(2); }
