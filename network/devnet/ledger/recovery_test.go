package ledger

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
	"google.golang.org/protobuf/proto"
)

var crashKills = flag.Int("crash-kills", 8, "how many times TestLedger_SurvivesKill9 kills the committing process")

// commitSome commits count transactions, each writing its own key and bumping a
// shared counter read at its committed version.
func commitSome(t *testing.T, n *network, l *Ledger, prefix string, count int) {
	t.Helper()
	for i := range count {
		var rws []txsim.NsReadWriteSet
		cur := value(t, l, "asset", "counter")
		reads := map[string]*txsim.Version{"counter": nil}
		if cur != nil {
			reads["counter"] = &cur.Version
		}
		rws = rwsetOf(kv{ns: "asset", reads: reads, writes: map[string]string{
			fmt.Sprintf("%s-%03d", prefix, i): "v", "counter": fmt.Sprintf("%s-%d", prefix, i),
		}})
		env, _ := n.build(t, txSpec{rwset: rws})
		if st := submit(t, l, env)[0]; st.Code != peer.TxValidationCode_VALID {
			t.Fatalf("tx %d: %v", i, st.Code)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLedger_ReplaysBlocksPastSavepoint puts back a state file from several blocks
// ago, as a crash between the block file fsync and the state commit leaves it (for
// one block), and checks that Open replays the missing blocks to the same state.
func TestLedger_ReplaysBlocksPastSavepoint(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	cfg := n.config(dir)
	l := openLedger(t, cfg)
	commitSome(t, n, l, "a", 3)
	l.Close()
	old := filepath.Join(t.TempDir(), "old-state.db")
	copyFile(t, filepath.Join(dir, StateFile), old)
	l = openLedger(t, cfg)
	commitSome(t, n, l, "b", 5)
	height := l.Height()
	want := value(t, l, "asset", "counter")
	l.Close()

	copyFile(t, old, filepath.Join(dir, StateFile))
	rep, err := Verify(dir)
	if err != nil {
		t.Fatalf("Verify with the state behind: %v", err)
	}
	if rep.Behind != 5 || rep.Blocks != height {
		t.Fatalf("report %+v, want 5 blocks behind of %d", rep, height)
	}
	l = openLedger(t, cfg)
	if l.Height() != height {
		t.Fatalf("height %d after replay, want %d", l.Height(), height)
	}
	if got := value(t, l, "asset", "counter"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counter after replay %v, want %v", got, want)
	}
	commitSome(t, n, l, "c", 1)
	l.Close()
	if rep, err := Verify(dir); err != nil || rep.Behind != 0 {
		t.Fatalf("Verify after replay: %+v %v", rep, err)
	}
}

func TestLedger_TornTailTruncatedOnOpen(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	cfg := n.config(dir)
	l := openLedger(t, cfg)
	commitSome(t, n, l, "a", 2)
	height := l.Height()
	l.Close()
	path := filepath.Join(dir, BlocksFile)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	// A record header announcing 5000 bytes and only some of them.
	f.Write(binary.BigEndian.AppendUint32(nil, 5000))
	f.Write([]byte("crc?partial block"))
	f.Close()
	rep, err := Verify(dir)
	if err != nil || rep.TornBytes == 0 {
		t.Fatalf("Verify with a torn tail: %+v %v", rep, err)
	}
	l = openLedger(t, cfg)
	if l.Height() != height {
		t.Fatalf("height %d, want %d", l.Height(), height)
	}
	commitSome(t, n, l, "b", 2)
	l.Close()
	if rep, err := Verify(dir); err != nil || rep.TornBytes != 0 {
		t.Fatalf("Verify after reopen: %+v %v", rep, err)
	}
}

// rewriteBlocks rewrites the block file with fn applied to each block.
func rewriteBlocks(t *testing.T, dir string, fn func(*common.Block)) {
	t.Helper()
	path := filepath.Join(dir, BlocksFile)
	raw, _ := os.ReadFile(path)
	var out []byte
	for len(raw) > 0 {
		size := binary.BigEndian.Uint32(raw)
		b := &common.Block{}
		if err := proto.Unmarshal(raw[8:8+size], b); err != nil {
			t.Fatal(err)
		}
		raw = raw[8+size:]
		fn(b)
		p := mustMarshal(b)
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = binary.BigEndian.AppendUint32(out, crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
		out = append(out, p...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerify_DetectsTampering(t *testing.T) {
	n := newNetwork(t)
	base := t.TempDir()
	cfg := n.config(base)
	l := openLedger(t, cfg)
	commitSome(t, n, l, "a", 4)
	l.Close()
	if _, err := Verify(base); err != nil {
		t.Fatalf("untouched: %v", err)
	}
	tests := []struct {
		name   string
		tamper func(dir string)
	}{
		{"envelope changed", func(dir string) {
			rewriteBlocks(t, dir, func(b *common.Block) {
				if b.Header.Number == 2 {
					b.Data.Data[0] = append(b.Data.Data[0], 0)
				}
			})
		}},
		{"data hash recomputed but chain broken", func(dir string) {
			rewriteBlocks(t, dir, func(b *common.Block) {
				if b.Header.Number == 2 {
					b.Data.Data[0] = append(b.Data.Data[0], 0)
					b.Header.DataHash = DataHash(b.Data)
				}
			})
		}},
		{"validation code flipped", func(dir string) {
			rewriteBlocks(t, dir, func(b *common.Block) {
				if b.Header.Number == 3 {
					b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][0] = byte(peer.TxValidationCode_MVCC_READ_CONFLICT)
				}
			})
		}},
		{"state value changed", func(dir string) {
			db, err := statedb.Open(filepath.Join(dir, StateFile), statedb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			w, _ := db.Begin()
			sp, _ := w.Savepoint()
			w.Apply(&txsim.UpdateBatch{BlockNum: sp, Updates: []txsim.KeyUpdate{{Namespace: "asset", Key: "a-000", Value: []byte("forged"), Version: txsim.Version{BlockNum: 1}}}})
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{BlocksFile, StateFile} {
				copyFile(t, filepath.Join(base, f), filepath.Join(dir, f))
			}
			tt.tamper(dir)
			if _, err := Verify(dir); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Verify: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestLedger_StateAheadOfBlocksRefused(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	cfg := n.config(dir)
	l := openLedger(t, cfg)
	commitSome(t, n, l, "a", 2)
	l.Close()
	var keep []byte
	raw, _ := os.ReadFile(filepath.Join(dir, BlocksFile))
	for off := 0; ; {
		size := int(binary.BigEndian.Uint32(raw[off:]))
		if off+8+size == len(raw) {
			keep = raw[:off]
			break
		}
		off += 8 + size
	}
	os.WriteFile(filepath.Join(dir, BlocksFile), keep, 0o644)
	if _, err := Open(cfg); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with the last block missing: %v, want ErrCorrupt", err)
	}
	if _, err := Verify(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Verify with the last block missing: %v, want ErrCorrupt", err)
	}
}

// TestLedger_SurvivesKill9 runs a committing ledger in a child process under load
// from 16 clients, kills it with SIGKILL at random moments, and checks after each
// kill that the directory verifies and every transaction the clients saw committed
// is in the ledger with the code they saw.
func TestLedger_SurvivesKill9(t *testing.T) {
	if dir := os.Getenv("LEDGER_CRASH_CHILD_DIR"); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	seen := map[string]peer.TxValidationCode{}
	for kill := range *crashKills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLedger_SurvivesKill9$", "-test.v")
		cmd.Env = append(os.Environ(), "LEDGER_CRASH_CHILD_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		deadline := time.After(time.Duration(150+r.IntN(600)) * time.Millisecond)
		killed := false
		for !killed {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before the kill")
				}
				if id, code, ok := strings.Cut(line, " "); ok && len(id) == 64 {
					seen[id] = peer.TxValidationCode(peer.TxValidationCode_value[code])
				}
			case <-deadline:
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		for line := range lines {
			if id, code, ok := strings.Cut(line, " "); ok && len(id) == 64 {
				seen[id] = peer.TxValidationCode(peer.TxValidationCode_value[code])
			}
		}
		cmd.Wait()

		rep, err := Verify(dir)
		if err != nil {
			t.Fatalf("kill %d: Verify: %v", kill, err)
		}
		n := newNetwork(t)
		l, err := Open(n.config(dir))
		if err != nil {
			t.Fatalf("kill %d: Open: %v", kill, err)
		}
		for id, code := range seen {
			st, err := l.TxStatus(id)
			if err != nil || st.Code != code {
				t.Fatalf("kill %d: tx %s seen as %v is %+v %v", kill, id, code, st, err)
			}
		}
		t.Logf("kill %d: %d blocks, %d txs seen committed, state %d blocks behind, torn %d bytes", kill, rep.Blocks, len(seen), rep.Behind, rep.TornBytes)
		l.Close()
	}
	if len(seen) == 0 {
		t.Fatal("no transaction was seen committed")
	}
	if _, err := Verify(dir); err != nil {
		t.Fatal(err)
	}
}

// crashChild is the process TestLedger_SurvivesKill9 kills: 16 clients submit
// transactions that write their own key and a shared one, and print each
// transaction's ID and code once WaitForTx returns it.
func crashChild(t *testing.T, dir string) {
	n := newNetwork(t)
	cfg := n.config(dir)
	cfg.BatchSize, cfg.BatchTimeout = 32, 20*time.Millisecond
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				s, err := l.Snapshot()
				if err != nil {
					return
				}
				hot, _ := s.GetState("asset", "hot")
				s.Close()
				reads := map[string]*txsim.Version{"hot": nil}
				if hot != nil {
					reads["hot"] = &hot.Version
				}
				env, id := n.build(t, txSpec{rwset: rwsetOf(kv{ns: "asset", reads: reads, writes: map[string]string{
					fmt.Sprintf("c%02d-%06d-%d", c, i, time.Now().UnixNano()): strings.Repeat("x", 200), "hot": id(c, i),
				}})})
				if err := l.Broadcast(env); err != nil {
					return
				}
				st, err := l.WaitForTx(context.Background(), id)
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintf(w, "%s %s\n", st.TxID, st.Code)
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	io.WriteString(os.Stderr, "crash child: clients stopped\n")
}

func id(c, i int) string { return fmt.Sprintf("%d-%d", c, i) }

// TestLedger_StateNotClosedBeforeRebootIsRebuilt: a state file that was in use when
// the machine restarted may be torn (it is written without fsync), so Open sets it
// aside and rebuilds the state from the block file.
func TestLedger_StateNotClosedBeforeRebootIsRebuilt(t *testing.T) {
	n := newNetwork(t)
	dir := t.TempDir()
	cfg := n.config(dir)
	l := openLedger(t, cfg)
	commitSome(t, n, l, "a", 3)
	want := value(t, l, "asset", "counter")
	l.Close()

	// Mark the state as left open on another boot, with a forged value that only a
	// rebuild removes.
	db, err := statedb.Open(filepath.Join(dir, StateFile), statedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := db.Begin()
	sp, _ := w.Savepoint()
	w.Apply(&txsim.UpdateBatch{BlockNum: sp, Updates: []txsim.KeyUpdate{{Namespace: "asset", Key: "forged", Value: []byte("x"), Version: txsim.Version{BlockNum: sp}}}})
	w.Commit()
	db.SetMeta(map[string][]byte{metaClean: []byte("0"), metaBoot: []byte("another-boot")})
	db.Close()
	if _, err := Verify(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Verify of the forged state: %v", err)
	}

	l = openLedger(t, cfg)
	if v := value(t, l, "asset", "forged"); v != nil {
		t.Fatal("state not rebuilt")
	}
	if got := value(t, l, "asset", "counter"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counter after rebuild %v, want %v", got, want)
	}
	l.Close()
	if _, err := Verify(dir); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, StateFile+".unclean-*"))
	if len(aside) != 1 {
		t.Fatalf("set-aside files %v", aside)
	}
}
