// SPDX-License-Identifier: MIT
// tests/interop/ipcsub.mjs - a JSON-RPC 2.0 client of our own making in
// Node.js (net, no packages) for the admin API's subscriptions: connects to
// an IPC socket, sends admin_subscribe ["peerEvents"], prints
// "subscribed ID", then one line per notification ("TYPE PEER PROTOCOL
// MSGCODE") as geth's admin_subscription shape delivers them, and exits
// after N of them. With --unsubscribe it then sends admin_unsubscribe [ID]
// and prints "unsubscribed true|false".
// usage: node ipcsub.mjs SOCK N [--unsubscribe] [--timeout S]
import net from 'node:net';

const [sock, nStr, ...rest] = process.argv.slice(2);
const want = Number(nStr);
const unsub = rest.includes('--unsubscribe');
const ti = rest.indexOf('--timeout');
const timeout = ti >= 0 ? Number(rest[ti + 1]) : 30;
let buf = '';
let subId = null;
let got = 0;

const c = net.createConnection(sock);
const timer = setTimeout(() => {
  console.error(`ipcsub: timed out after ${got} notifications`);
  process.exit(2);
}, timeout * 1000);

function send(obj) {
  c.write(JSON.stringify({ jsonrpc: '2.0', ...obj }) + '\n');
}

function fail(msg) {
  console.error('ipcsub: ' + msg);
  process.exit(1);
}

c.on('connect', () => send({ id: 1, method: 'admin_subscribe', params: ['peerEvents'] }));
c.on('data', (d) => {
  buf += d.toString();
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const m = JSON.parse(line);
    if (m.id === 1) {
      if (typeof m.result !== 'string' || !/^0x[0-9a-f]+$/.test(m.result))
        fail('subscribe: ' + line);
      subId = m.result;
      console.log('subscribed ' + subId);
    } else if (m.id === 2) {
      console.log('unsubscribed ' + m.result);
      clearTimeout(timer);
      c.end();
    } else if (m.method === 'admin_subscription') {
      const { subscription, result } = m.params;
      if (subscription !== subId || m.id !== undefined)
        fail('notification shape: ' + line);
      got++;
      console.log([result.type, result.peer, result.error ?? '-',
        result.local ?? '-', result.remote ?? '-'].join(' '));
      if (got === want) {
        if (unsub) {
          send({ id: 2, method: 'admin_unsubscribe', params: [subId] });
        } else {
          clearTimeout(timer);
          c.end();
        }
      }
    } else {
      fail('unexpected: ' + line);
    }
  }
});
c.on('error', (e) => fail(e.message));
