// Command interop holds Vigil's ledger formats against the reference Go implementations:
// golang.org/x/mod/sumdb/note (C2SP signed notes), github.com/transparency-dev/formats
// (tlog-checkpoint parsing, cosignature/v1 verifiers) and github.com/transparency-dev/merkle
// (RFC 9162 inclusion and consistency proofs).
//
// It reads one JSON case from standard input and writes one JSON report to standard output:
// what it verified of Vigil's checkpoint note and proofs, and proofs it produced itself with
// merkle's reference tree for Vigil to verify the other way. It never decides a test: the
// caller compares the report with what it expects, including the mutated cases that must
// fail. Test infrastructure only; Vigil itself is TypeScript.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
)

type inclusionCase struct {
	Index    uint64   `json:"index"`
	Size     uint64   `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
	Root     string   `json:"root"`
}

type consistencyCase struct {
	Size1 uint64   `json:"size1"`
	Size2 uint64   `json:"size2"`
	Root1 string   `json:"root1"`
	Root2 string   `json:"root2"`
	Proof []string `json:"proof"`
}

type produceCase struct {
	// Leaf data (hex): merkle's reference tree hashes them as RFC 6962 leaves.
	Leaves      []string    `json:"leaves"`
	Inclusion   [][2]uint64 `json:"inclusion"`
	Consistency [][2]uint64 `json:"consistency"`
}

type input struct {
	Origin       string            `json:"origin"`
	LogVKey      string            `json:"log_vkey"`
	WitnessVKeys []string          `json:"witness_vkeys"`
	Notes        []string          `json:"notes"`
	Inclusion    []inclusionCase   `json:"inclusion"`
	Consistency  []consistencyCase `json:"consistency"`
	Produce      *produceCase      `json:"produce"`
}

type noteResult struct {
	OK bool `json:"ok"`
	// What formats/log parsed out of the body.
	Origin     string `json:"origin,omitempty"`
	Size       uint64 `json:"size,omitempty"`
	Root       string `json:"root,omitempty"`
	Extensions string `json:"extensions,omitempty"`
	// Names of the verified signatures (the log's and each witness's).
	Verified []string `json:"verified,omitempty"`
	Error    string   `json:"error,omitempty"`
}

type produced struct {
	Roots       map[string]string `json:"roots"`
	LeafHashes  []string          `json:"leaf_hashes"`
	Inclusion   []inclusionCase   `json:"inclusion"`
	Consistency []consistencyCase `json:"consistency"`
}

type output struct {
	Notes       []noteResult `json:"notes"`
	Inclusion   []string     `json:"inclusion"`
	Consistency []string     `json:"consistency"`
	Produced    *produced    `json:"produced,omitempty"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading the case: %v", err)
	}
	out := output{Inclusion: []string{}, Consistency: []string{}, Notes: []noteResult{}}
	for _, n := range in.Notes {
		out.Notes = append(out.Notes, checkNote(in, n))
	}
	h := rfc6962.DefaultHasher
	for _, c := range in.Inclusion {
		out.Inclusion = append(out.Inclusion, verdict(proof.VerifyInclusion(h, c.Index, c.Size, mustHex(c.LeafHash), hexes(c.Proof), mustHex(c.Root))))
	}
	for _, c := range in.Consistency {
		out.Consistency = append(out.Consistency, verdict(proof.VerifyConsistency(h, c.Size1, c.Size2, hexes(c.Proof), mustHex(c.Root1), mustHex(c.Root2))))
	}
	if in.Produce != nil {
		out.Produced = produce(*in.Produce)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the report: %v", err)
	}
}

// checkNote opens a signed checkpoint note with the log's key (and the witnesses' as
// cosignature/v1 verifiers) and parses its body as a tlog-checkpoint.
func checkNote(in input, text string) noteResult {
	logV, err := note.NewVerifier(in.LogVKey)
	if err != nil {
		return noteResult{Error: "log verifier key: " + err.Error()}
	}
	others := []note.Verifier{}
	for _, k := range in.WitnessVKeys {
		v, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			return noteResult{Error: "witness verifier key: " + err.Error()}
		}
		others = append(others, v)
	}
	cp, ext, n, err := log.ParseCheckpoint([]byte(text), in.Origin, logV, others...)
	if err != nil {
		return noteResult{Error: err.Error()}
	}
	r := noteResult{OK: true, Origin: cp.Origin, Size: cp.Size, Root: hex.EncodeToString(cp.Hash), Extensions: string(ext)}
	for _, s := range n.Sigs {
		r.Verified = append(r.Verified, s.Name)
	}
	return r
}

func produce(p produceCase) *produced {
	t := testonly.New(rfc6962.DefaultHasher)
	for _, l := range p.Leaves {
		t.AppendData(mustHex(l))
	}
	out := &produced{Roots: map[string]string{}}
	for i := uint64(0); i < t.Size(); i++ {
		out.LeafHashes = append(out.LeafHashes, hex.EncodeToString(t.LeafHash(i)))
	}
	root := func(size uint64) string {
		r := hex.EncodeToString(t.HashAt(size))
		out.Roots[fmt.Sprint(size)] = r
		return r
	}
	for _, c := range p.Inclusion {
		pr, err := t.InclusionProof(c[0], c[1])
		if err != nil {
			fail("inclusion proof %v: %v", c, err)
		}
		out.Inclusion = append(out.Inclusion, inclusionCase{Index: c[0], Size: c[1], LeafHash: hex.EncodeToString(t.LeafHash(c[0])), Proof: toHexes(pr), Root: root(c[1])})
	}
	for _, c := range p.Consistency {
		pr, err := t.ConsistencyProof(c[0], c[1])
		if err != nil {
			fail("consistency proof %v: %v", c, err)
		}
		out.Consistency = append(out.Consistency, consistencyCase{Size1: c[0], Size2: c[1], Root1: root(c[0]), Root2: root(c[1]), Proof: toHexes(pr)})
	}
	return out
}

func verdict(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func hexes(ss []string) [][]byte {
	out := make([][]byte, 0, len(ss))
	for _, s := range ss {
		out = append(out, mustHex(s))
	}
	return out
}

func toHexes(bs [][]byte) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, hex.EncodeToString(b))
	}
	return out
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		fail("not hex: %q", s)
	}
	return b
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "interop: "+format+"\n", args...)
	os.Exit(2)
}
