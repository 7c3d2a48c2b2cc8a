// SPDX-License-Identifier: MIT
// tests/interop/dns.mjs - @ethereumjs/devp2p's EIP-1459 client (its DNS
// class) against a tree devplane built, served on loopback.
//
//   node dns.mjs --url ENRTREE --server IP:PORT --want N [--tries T]
//       asks getPeers() for N peers up to T times (default 40; each call is
//       a random descent, so repeats are expected), prints every distinct
//       peer found as "PEER ip:tcp:udp", then "FOUND <count>".
import { DNS } from '@ethereumjs/devp2p';

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
const want = Number(opt.want);
const tries = Number(opt.tries ?? 40);

const dns = new DNS({ dnsServerAddress: opt.server });
const seen = new Set();
for (let t = 0; t < tries && seen.size < want; t++) {
  const peers = await dns.getPeers(want, [opt.url]);
  for (const p of peers) seen.add(`${p.address}:${p.tcpPort}:${p.udpPort}`);
}
for (const p of [...seen].sort()) console.log(`PEER ${p}`);
console.log(`FOUND ${seen.size}`);
