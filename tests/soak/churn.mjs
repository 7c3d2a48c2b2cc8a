// SPDX-License-Identifier: MIT
// tests/soak/churn.mjs - N RLPx peers (@ethereumjs/devp2p, eth/68) that
// keep connecting to one node, talking (Status, p2p Pings) and dropping,
// for the soak test (tests/soak/soak.sh). Each slot is its own key and RLPx
// instance; a session lives 5-30 s (uniform), then the slot disconnects
// and dials again 1-3 s later with a fresh key. Prints one line every 10 s:
//   CHURN t=S connected=N sessions=TOTAL pings=P pongs=Q errors=E
// usage: node churn.mjs --enode URL --peers N --duration SECONDS
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/', import.meta.url));
const { RLPx, ETH } = require('@ethereumjs/devp2p');
const { Common, Mainnet, Hardfork } = require('@ethereumjs/common');

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
const m = /^enode:\/\/([0-9a-f]{128})@([0-9.]+):(\d+)/.exec(opt.enode ?? '');
if (!m) { console.error('usage: churn.mjs --enode URL --peers N --duration S'); process.exit(2); }
const target = { id: Buffer.from(m[1], 'hex'), address: m[2], tcpPort: Number(m[3]) };
const nPeers = Number(opt.peers ?? 200);
const duration = Number(opt.duration ?? 1800) * 1000;
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart });
const genesis = Buffer.from('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3', 'hex');
const st = { connected: 0, sessions: 0, pings: 0, pongs: 0, errors: 0 };
const t0 = Date.now();
const rand = (a, b) => a + Math.random() * (b - a);

function slot() {
  if (Date.now() - t0 > duration) return;
  const rlpx = new RLPx(randomBytes(32), { maxPeers: 1, capabilities: [ETH.eth68], common, listenPort: null });
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    try { rlpx.destroy(); } catch { /* already down */ }
    setTimeout(slot, rand(1000, 3000));
  };
  rlpx.events.on('error', () => { st.errors++; });
  rlpx.events.on('peer:error', () => { st.errors++; });
  rlpx.events.on('peer:removed', () => { st.connected--; finish(); });
  rlpx.events.on('peer:added', (peer) => {
    st.connected++;
    st.sessions++;
    const eth = peer.getProtocols()[0];
    eth.sendStatus({ td: new Uint8Array([0x04, 0, 0, 0, 0]), bestHash: genesis, genesisHash: genesis });
    const pong = peer._handlePong.bind(peer);
    peer._handlePong = () => { st.pongs++; pong(); };
    const ping = setInterval(() => { st.pings++; peer._sendPing(); }, 2000);
    setTimeout(() => {
      clearInterval(ping);
      try { peer.disconnect(0x08); } catch { /* gone */ }     // client quitting
      setTimeout(finish, 500);
    }, rand(5000, 30000));
  });
  rlpx.connect(target).catch(() => { st.errors++; finish(); });
  setTimeout(() => { if (!closed && st.connected === 0) finish(); }, 20000);
}

for (let i = 0; i < nPeers; i++) setTimeout(slot, i * 20);
const tick = setInterval(() => {
  console.log(`CHURN t=${((Date.now() - t0) / 1000).toFixed(0)} connected=${st.connected} sessions=${st.sessions} pings=${st.pings} pongs=${st.pongs} errors=${st.errors}`);
  if (Date.now() - t0 > duration + 35000) { clearInterval(tick); process.exit(0); }
}, 10000);
