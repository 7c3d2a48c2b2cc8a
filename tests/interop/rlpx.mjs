// SPDX-License-Identifier: MIT
// tests/interop/rlpx.mjs - an @ethereumjs/devp2p RLPx peer with eth/68 on
// loopback, for devplane's RLPx interop test (both directions).
//
//   node rlpx.mjs server --port P [--duration S]
//       listens on 127.0.0.1:P; prints "ENODE <url>".
//   node rlpx.mjs client --enode URL [--duration S]
//       dials URL.
// Either way, per peer it prints HELLO (client id, caps), sends Status
// (mainnet at genesis), prints STATUS (network id, genesis, fork hash),
// sends a p2p Ping and prints PONG when answered, then "RESULT ok" once
// all three happened (exit 0), or "RESULT fail" after S seconds (exit 1).
import { randomBytes } from 'node:crypto';
import { RLPx, ETH } from '@ethereumjs/devp2p';
import { Common, Mainnet, Hardfork } from '@ethereumjs/common';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';

const args = process.argv.slice(2);
const mode = args.shift();
const opt = {};
for (let i = 0; i < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
const hex = (b) => Buffer.from(b).toString('hex');
const duration = Number(opt.duration ?? 20);

const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart });
const priv = randomBytes(32);
const pub = secp256k1.getPublicKey(priv, false).subarray(1);
const port = Number(opt.port ?? 0);
const rlpx = new RLPx(priv, {
  maxPeers: 5, capabilities: [ETH.eth68], common,
  listenPort: mode === 'server' ? port : null,
});
const seen = { hello: false, status: false, pong: false };
let done = false;
function check() {
  if (!done && seen.hello && seen.status && seen.pong) {
    done = true;
    console.log('RESULT ok');
    setTimeout(() => process.exit(0), 300);
  }
}
rlpx.events.on('error', (e) => console.log('ERROR', e.message));
rlpx.events.on('peer:error', (p, e) => console.log('PEER-ERROR', e.message));
rlpx.events.on('peer:removed', (p, reason, we) =>
  console.log('REMOVED', typeof reason === 'number' ? reason : String(reason), we ? 'by-us' : 'by-remote'));
rlpx.events.on('peer:added', (peer) => {
  const h = peer._hello;
  console.log('HELLO', h.clientId ? Buffer.from(h.clientId).toString() : '',
    'p2p=' + h.protocolVersion,
    'caps=' + h.capabilities.map((c) => `${c.name}/${c.version}`).join(','));
  seen.hello = true;
  const eth = peer.getProtocols()[0];
  eth.events.on('status', (st) => {
    console.log('STATUS', 'network=' + BigInt('0x' + (hex(st.chainId) || '0')),
      'genesis=' + hex(st.genesisHash),
      'forkhash=' + (st.forkId ? hex(st.forkId[0]) : '-'));
    seen.status = true;
    check();
  });
  eth.events.on('message', (code) => console.log('ETH-MSG', code));
  eth.sendStatus({
    td: new Uint8Array([0x04, 0x00, 0x00, 0x00, 0x00]),   // 17179869184
    bestHash: common.genesis().hash ?? Buffer.from('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3', 'hex'),
    genesisHash: Buffer.from('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3', 'hex'),
  });
  const origPong = peer._handlePong.bind(peer);
  peer._handlePong = () => {
    console.log('PONG');
    seen.pong = true;
    origPong();
    check();
  };
  peer._sendPing();
});

if (mode === 'server') {
  rlpx.events.on('listening', () => {
    console.log(`ENODE enode://${hex(pub)}@127.0.0.1:${port}`);
  });
  rlpx.listen(port, '127.0.0.1');
} else if (mode === 'client') {
  const m = /^enode:\/\/([0-9a-f]{128})@([0-9.]+):(\d+)/.exec(opt.enode ?? '');
  if (!m) { console.error('bad --enode'); process.exit(2); }
  rlpx.connect({ id: Buffer.from(m[1], 'hex'), address: m[2], tcpPort: Number(m[3]) })
    .catch((e) => console.log('CONNECT-ERROR', e.message));
} else {
  console.error('usage: rlpx.mjs server|client ...');
  process.exit(2);
}
setTimeout(() => { if (!done) { console.log('RESULT fail', JSON.stringify(seen)); process.exit(1); } }, duration * 1000);
