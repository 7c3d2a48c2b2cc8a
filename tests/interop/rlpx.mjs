// SPDX-License-Identifier: MIT
// tests/interop/rlpx.mjs - an @ethereumjs/devp2p RLPx peer with eth/68 on
// loopback, for devplane's RLPx interop test (both directions).
//
//   node rlpx.mjs server --port P [--duration S]
//       listens on 127.0.0.1:P; prints "ENODE <url>".
//   node rlpx.mjs client --enode URL [--duration S] [--legacy] [--hold]
//       dials URL.
// Either way, per peer it prints HELLO (client id, caps) and ECIES (the
// handshake formats), sends Status (mainnet at genesis), prints STATUS
// (network id, genesis, fork hash), sends a p2p Ping and prints PONG when
// answered, then "RESULT ok" once all three happened (exit 0), or
// "RESULT fail" after S seconds (exit 1). It prints "SELF <node id>" first.
//
// --legacy: the client's auth is ethereumjs's pre-EIP-8 one (Peer option
// EIP8 = false, which RLPx does not pass on, so it is set here). Two
// ethereumjs 10.0.0 bugs are worked around, and said so on stdout:
//  - createAuthNonEIP8() writes r and s without their leading zero bytes,
//    so about 1 auth in 100 is shorter than the 307 bytes every legacy
//    reader (geth's included) waits for: such an auth is not sent; the
//    client prints LEGACY-AUTH-SHORT and exits 3 (the test dials again).
//  - _handleAck() tests the first byte with `subarray(0, 1) === bytes`,
//    never true, so a legacy ack (which geth and devplane answer a legacy
//    auth with, as EIP-8 says) is read as an EIP-8 size prefix and the
//    handshake stalls. Here a 0x04 first byte goes to their own
//    parseAckPlain() instead; their EIP-8 path is untouched.
// --hold: after the above, stay connected until the remote's own p2p Ping
// has arrived (PING-RX, answered by ethereumjs with a Pong) and a Ping of
// ours sent after it was answered too (PONG #2): the session outlived the
// remote's keepalive. Then RESULT ok.
import { randomBytes } from 'node:crypto';
import { RLPx, ETH, Peer, ECIES } from '@ethereumjs/devp2p';
import { Common, Mainnet, Hardfork } from '@ethereumjs/common';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';

const args = process.argv.slice(2);
const mode = args.shift();
const opt = {};
for (let i = 0; i < args.length; i++) {
  const k = args[i].replace(/^--/, '');
  if (i + 1 < args.length && !args[i + 1].startsWith('--')) opt[k] = args[++i];
  else opt[k] = true;
}
const hex = (b) => Buffer.from(b).toString('hex');
const duration = Number(opt.duration ?? 20);
const legacy = opt.legacy === true;
const hold = opt.hold === true;
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

if (legacy) {
  const sendAuth = Peer.prototype._sendAuth;
  Peer.prototype._sendAuth = function () {
    this._EIP8 = false;
    return sendAuth.call(this);
  };
  const authNonEIP8 = ECIES.prototype.createAuthNonEIP8;
  ECIES.prototype.createAuthNonEIP8 = function () {
    const m = authNonEIP8.call(this);
    if (m && m.length !== 307) {
      console.log('LEGACY-AUTH-SHORT', m.length);
      process.exit(3);
    }
    console.log('AUTH legacy len=' + (m ? m.length : 0));
    return m;
  };
  const handleAck = Peer.prototype._handleAck;
  Peer.prototype._handleAck = function () {
    const data = this._socketData.subarray(0, this._nextPacketSize);
    if (this._eciesSession._gotEIP8Ack || data[0] !== 0x04)
      return handleAck.call(this);
    this._eciesSession.parseAckPlain(data);       // throws if it is not one
    this._eciesSession._legacyAck = true;
    this._state = 'Header';
    this._nextPacketSize = 32;
    this._socketData = this._socketData.subarray(data.length);
    process.nextTick(() => this._sendHello());
  };
}

const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart });
const priv = randomBytes(32);
const pub = secp256k1.getPublicKey(priv, false).subarray(1);
console.log('SELF', hex(pub));
const port = Number(opt.port ?? 0);
const rlpx = new RLPx(priv, {
  maxPeers: 5, capabilities: [ETH.eth68], common,
  listenPort: mode === 'server' ? port : null,
});
const seen = { hello: false, status: false, pong: 0, pingRx: false, pongAfter: false, removed: false };
let done = false;
function check() {
  if (done || !seen.hello || !seen.status || !seen.pong) return;
  if (hold && !(seen.pingRx && seen.pongAfter && !seen.removed)) return;
  done = true;
  console.log('RESULT ok');
  setTimeout(() => process.exit(0), 300);
}
rlpx.events.on('error', (e) => console.log('ERROR', e.message));
rlpx.events.on('peer:error', (p, e) => console.log('PEER-ERROR', e.message));
rlpx.events.on('peer:removed', (p, reason, we) => {
  seen.removed = true;
  console.log('REMOVED', typeof reason === 'number' ? reason : String(reason), we ? 'by-us' : 'by-remote', 't=' + secs());
});
rlpx.events.on('peer:added', (peer) => {
  const h = peer._hello;
  const ecies = peer._eciesSession;
  console.log('HELLO', h.clientId ? Buffer.from(h.clientId).toString() : '',
    'p2p=' + h.protocolVersion,
    'caps=' + h.capabilities.map((c) => `${c.name}/${c.version}`).join(','));
  if (mode === 'client')
    console.log('ECIES auth=' + (peer._EIP8 ? 'eip8' : 'legacy'),
      'ack=' + (ecies._legacyAck ? 'legacy' : ecies._gotEIP8Ack ? 'eip8' : '?'));
  else
    console.log('ECIES auth=' + (ecies._gotEIP8Auth ? 'eip8' : 'legacy'));
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
    seen.pong++;
    console.log('PONG', '#' + seen.pong, 't=' + secs());
    if (seen.pingRx) seen.pongAfter = true;
    origPong();
    check();
  };
  const origPing = peer._handlePing.bind(peer);
  peer._handlePing = () => {
    // The remote's keepalive; ethereumjs answers it with a Pong.
    console.log('PING-RX', 't=' + secs());
    origPing();
    if (!seen.pingRx) {
      seen.pingRx = true;
      if (hold) setTimeout(() => peer._sendPing(), 500);
    }
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
