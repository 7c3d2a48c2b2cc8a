// SPDX-License-Identifier: MIT
// tests/interop/crawlnet.mjs - @ethereumjs/devp2p nodes that run both
// discovery (DPT) and an RLPx eth/68 server, for devplane's crawler test.
//
//   node crawlnet.mjs --count N --base-port P [--bootnode ENODE]
//                     [--duration S] [--enodes FILE]
// Node i listens on 127.0.0.1:P+i for UDP (DPT) and TCP (RLPx), advertises
// both ports in its discovery endpoint, bootstraps from --bootnode and the
// previous node, and answers every RLPx peer with Hello and an eth/68
// Status (mainnet at genesis). Writes the enodes (one per line) to FILE
// once all listen and prints "LISTENING" (exits 1 when a port is taken);
// per peer prints "PEER <port>
// <client id>" and "STATUS <port> network=<id>" when the peer's Status
// arrives. Runs S seconds (default 60) or until SIGTERM.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DPT, RLPx, ETH } from '@ethereumjs/devp2p';
import { Common, Mainnet, Hardfork } from '@ethereumjs/common';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
const hex = (b) => Buffer.from(b).toString('hex');
const count = Number(opt.count ?? 3);
const base = Number(opt['base-port']);
const dur = Number(opt.duration ?? 60);
const MAINNET_GENESIS = Buffer.from('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3', 'hex');

function parseEnode(url) {
  const m = /^enode:\/\/([0-9a-f]{128})@([0-9.]+):(\d+)(\?discport=(\d+))?/.exec(url);
  if (!m) throw new Error(`bad enode ${url}`);
  const tcp = Number(m[3]);
  // A TCP port of 0 goes as null (ethereumjs would encode 0 as 00 00).
  return { id: Buffer.from(m[1], 'hex'), address: m[2], tcpPort: tcp || null,
    udpPort: m[5] ? Number(m[5]) : tcp };
}

function makeNode(port) {
  const key = randomBytes(32);
  const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart });
  const dpt = new DPT(key, {
    endpoint: { address: '127.0.0.1', udpPort: port, tcpPort: port },
    refreshInterval: 5000,
    shouldFindNeighbours: true,
    // ethereumjs bans for 5 minutes a node whose Pong took longer than its
    // ping timeout (4 s by default). 32 nodes in one Node.js process on a
    // loaded 2-core CI machine answer their own timers late, so the default
    // turned the test's outcome into a matter of load: 15 s keeps it about
    // protocol behaviour.
    timeout: 15000,
  });
  dpt.events.on('error', () => {});
  // No dpt passed: the server only accepts, it never dials on its own.
  const rlpx = new RLPx(key, { maxPeers: 50, capabilities: [ETH.eth68], common,
    listenPort: port });
  rlpx.events.on('error', () => {});
  rlpx.events.on('peer:error', () => {});
  rlpx.events.on('peer:added', (peer) => {
    const h = peer._hello;
    console.log('PEER', port, h.clientId ? Buffer.from(h.clientId).toString() : '');
    const eth = peer.getProtocols()[0];
    if (!eth) return;
    eth.events.on('status', (st) => {
      console.log('STATUS', port, 'network=' + BigInt('0x' + (hex(st.chainId) || '0')));
    });
    try {
      eth.sendStatus({
        td: new Uint8Array([0x04, 0x00, 0x00, 0x00, 0x00]),
        bestHash: MAINNET_GENESIS,
        genesisHash: MAINNET_GENESIS,
      });
    } catch (e) {
      console.log('STATUS-ERROR', port, e.message);
    }
  });
  const id = hex(secp256k1.getPublicKey(key, false).subarray(1));
  return { dpt, rlpx, id, port, enode: `enode://${id}@127.0.0.1:${port}` };
}

const nodes = [];
for (let i = 0; i < count; i++) nodes.push(makeNode(base + i));
// A port taken (UDP or TCP) ends the run with status 1, so that a test can
// try other ports.
try {
  await Promise.all(nodes.map((n) => new Promise((resolve, reject) => {
    n.dpt.events.once('listening', resolve);
    n.dpt.events.once('error', reject);
    n.dpt.bind(n.port, '127.0.0.1');
  })));
  await Promise.all(nodes.map((n) => new Promise((resolve, reject) => {
    n.rlpx.events.once('listening', resolve);
    n.rlpx.events.once('error', reject);
    n.rlpx.listen(n.port, '127.0.0.1');
  })));
} catch (e) {
  console.log(`LISTEN-ERROR ${e?.message ?? e}`);
  process.exit(1);
}
if (opt.enodes) writeFileSync(opt.enodes, nodes.map((n) => n.enode).join('\n') + '\n');
console.log(`LISTENING ${count}`);
const boot = opt.bootnode ? parseEnode(opt.bootnode) : null;
const peer = (n) => ({ id: Buffer.from(n.id, 'hex'), address: '127.0.0.1', udpPort: n.port, tcpPort: n.port });
nodes.forEach((n, i) => {
  if (boot) n.dpt.bootstrap(boot).catch(() => {});
  if (i > 0) n.dpt.bootstrap(peer(nodes[i - 1])).catch(() => {});
});
const stop = () => {
  for (const n of nodes) { n.dpt.destroy(); n.rlpx.destroy(); }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, dur * 1000);
