// SPDX-License-Identifier: MIT
// tests/interop/geth/bench/rlpx_bench_test.go - geth's own RLPx handshake,
// both sides, for the side-by-side in tests/bench/geth_rlpx_bench.sh
// (geth has BenchmarkHandshakeRead, which times only reading one auth
// message; devplane's bench_handshake times whole handshakes).
package bench

import (
	"net"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/rlpx"
)

// BenchmarkHandshakePair: one complete EIP-8 handshake per iteration,
// initiator and recipient in this process over an in-memory pipe, as
// devplane's "handshake pair" row runs both on one core.
func BenchmarkHandshakePair(b *testing.B) {
	keyA, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	keyB, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p1, p2 := net.Pipe()
		recipient := rlpx.NewConn(p1, nil)
		initiator := rlpx.NewConn(p2, &keyA.PublicKey)
		done := make(chan error, 1)
		go func() {
			_, err := recipient.Handshake(keyA)
			done <- err
		}()
		if _, err := initiator.Handshake(keyB); err != nil {
			b.Fatal("initiator:", err)
		}
		if err := <-done; err != nil {
			b.Fatal("recipient:", err)
		}
		p1.Close()
		p2.Close()
	}
}
