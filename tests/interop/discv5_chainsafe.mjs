// SPDX-License-Identifier: MIT
// tests/interop/discv5_chainsafe.mjs - a @chainsafe/discv5 11.0.0 node on
// loopback, for devplane's discv5 interop test
// (tests/integration/test_interop_discv5.sh).
//
//   node discv5_chainsafe.mjs --target ENR --boot ENR --find IDS
//                             [--duration S]
//       Starts a chainsafe node on 127.0.0.1 (a port the kernel picks; its
//       ENR carries it) and prints "ENR <enr>". It answers TALKREQ "echo"
//       with "echo:" + the request and any other protocol with an empty
//       TALKRESP (discv5-wire.md, TALKREQ), printing "TALKREQ <proto> <hex>"
//       for each. Then, from the chainsafe side:
//         PING --target            "PONG <seq> <ip> <port>"
//         FINDNODE [0] --target    "FINDNODE0 <id>" (the record it sent)
//         FINDNODE [256] --target  "FINDNODE256 <n>"
//         TALKREQ "devplane-test"  "TALKRESP <hex>" (to --target)
//         lookups from --boot      "FOUND <id>" for every node id in --find
//                                  (comma-separated) that a lookup
//                                  returned, then "LOOKUP <found>/<want>"
//       each step printed as "FAIL <step>: <why>" when it fails. Prints
//       "READY" when done, and serves (the shell test's devplane commands
//       ask it) until S seconds (default 120) have passed or SIGTERM.
// Exit status 0 when every step passed, 1 otherwise (printed at the end).
import { Discv5 } from '@chainsafe/discv5';
import { ENR, SignableENR } from '@chainsafe/enr';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
const duration = Number(opt.duration ?? 120) * 1000;
let failed = 0;

const say = (s) => process.stdout.write(s + '\n');
const fail = (step, e) => {
	failed++;
	say(`FAIL ${step}: ${e && e.message ? e.message : e}`);
};
const hex = (b) => Buffer.from(b).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const privateKey = await generateKeyPair('secp256k1');
const enr = SignableENR.createFromPrivateKey(privateKey);
const d = Discv5.create({
	enr,
	privateKey,
	bindAddrs: { ip4: multiaddr('/ip4/127.0.0.1/udp/0') },
	// Our record names the port we got; no address votes rewrite it.
	config: { enrUpdate: false, requestTimeout: 2000 },
});
await d.start();
enr.ip = '127.0.0.1';
enr.udp = d.sessionService.transport.ip4.socket.address().port;
say(`ENR ${enr.encodeTxt()}`);

d.on('talkReqReceived', (addr, _enr, msg) => {
	const proto = Buffer.from(msg.protocol).toString();
	say(`TALKREQ ${proto} ${hex(msg.request)}`);
	const resp = proto === 'echo' ?
		Buffer.concat([Buffer.from('echo:'), Buffer.from(msg.request)]) :
		new Uint8Array(0);
	d.sendTalkResp(addr, msg.id, resp).catch((e) => fail('TALKRESP', e));
});

const stop = async (code) => {
	await d.stop().catch(() => {});
	process.exit(code);
};
process.on('SIGTERM', () => stop(failed ? 1 : 0));
const deadline = setTimeout(() => stop(failed ? 1 : 0), duration);

const target = ENR.decodeTxt(opt.target);
try {
	const p = await d.sendPing(target);
	say(`PONG ${p.enrSeq} ${p.addr.ip.octets.join('.')} ${p.addr.port}`);
} catch (e) {
	fail('PING', e);
}
try {
	const r = await d.sendFindNode(target, [0]);
	if (r.length !== 1 || r[0].nodeId !== target.nodeId)
		throw new Error(`want the node's own record, got ${r.length}`);
	say(`FINDNODE0 ${r[0].nodeId}`);
} catch (e) {
	fail('FINDNODE0', e);
}
try {
	// Nothing of its table is at distance 256 from it with certainty;
	// the answer must still be a well-formed (possibly empty) NODES.
	const r = await d.sendFindNode(target, [256]);
	say(`FINDNODE256 ${r.length}`);
} catch (e) {
	fail('FINDNODE256', e);
}
try {
	const r = await d.sendTalkReq(target, Buffer.from('hello'),
		'devplane-test');
	say(`TALKRESP ${hex(r)}`);
} catch (e) {
	fail('TALKREQ', e);
}

// Lookups from the bootnode alone, until every wanted id came back in a
// lookup's answer or 60 s passed.
const want = new Set((opt.find ?? '').split(',').filter((s) => s));
const found = new Set();
d.addEnr(opt.boot);
const lookupEnd = Date.now() + 60000;
while (found.size < want.size && Date.now() < lookupEnd) {
	for (const id of want) {
		if (found.has(id))
			continue;
		try {
			for (const r of await d.findNode(id))
				if (want.has(r.nodeId) && !found.has(r.nodeId)) {
					found.add(r.nodeId);
					say(`FOUND ${r.nodeId}`);
				}
		} catch (e) {
			say(`lookup error: ${e.message}`);
		}
	}
	if (found.size < want.size)
		await sleep(1000);
}
say(`LOOKUP ${found.size}/${want.size}`);
if (found.size < want.size)
	fail('LOOKUP', `${want.size - found.size} node(s) not found`);
say('READY');
if (failed) {
	clearTimeout(deadline);
	await stop(1);
}
