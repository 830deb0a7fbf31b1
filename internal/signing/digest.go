package signing

import (
	"crypto"
	"encoding"
	"fmt"
	"hash"
	"io"
)

// prefixHashes computes the digests of byte ranges that all start at offset 0, as
// those of a document's successive signatures do, reading each byte of the shared
// prefix once: the hash state is kept at the end of the longest prefix read so far
// and cloned for each signature's second range. Verifying a document with two
// signatures thus costs about one pass over the file, not two.
type prefixHashes struct {
	doc    Document
	states map[crypto.Hash]*prefixState
	buf    []byte
}

type prefixState struct {
	h  hash.Hash
	at int64
}

func newPrefixHashes(doc Document) *prefixHashes {
	return &prefixHashes{doc: doc, states: map[crypto.Hash]*prefixState{}, buf: make([]byte, 1<<16)}
}

// sum returns the digest of [0, br[1]) followed by [br[2], br[2]+br[3]).
func (p *prefixHashes) sum(alg crypto.Hash, br [4]int64) ([]byte, error) {
	st := p.states[alg]
	if st == nil || st.at > br[1] {
		st = &prefixState{h: alg.New()}
		p.states[alg] = st
	}
	if err := p.feed(st.h, st.at, br[1]-st.at); err != nil {
		return nil, err
	}
	st.at = br[1]
	h, err := cloneHash(alg, st.h)
	if err != nil {
		return nil, err
	}
	if err := p.feed(h, br[2], br[3]); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func (p *prefixHashes) feed(h hash.Hash, off, n int64) error {
	_, err := io.CopyBuffer(h, io.NewSectionReader(p.doc.r, off, n), p.buf)
	return err
}

// cloneHash copies a hash state through its binary marshalling, which every
// standard library hash implements.
func cloneHash(alg crypto.Hash, h hash.Hash) (hash.Hash, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("hash %v cannot be cloned", alg)
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c := alg.New()
	if err := c.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, err
	}
	return c, nil
}
