package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// RotateReport counts what RotateKEK did to each object.
type RotateReport struct {
	// Rewrapped objects had their data key re-wrapped from the old KEK to the new one.
	Rewrapped int
	// Current objects were already under the new KEK (an earlier, interrupted run).
	Current int
	// Plaintext objects are not encrypted; rotation leaves them as they are.
	Plaintext int
}

// RotateKEK re-wraps the data key of every encrypted object in store from old to new.
//
// The wrapped data key lives in each object's own header, and rotation rewrites each
// object with a new header followed by the old DARE payload bytes copied as they are:
// the payload is neither decrypted nor re-encrypted, and the data key stays the same.
// Keeping the key in the object (rather than in a sidecar object) is what makes this
// crash-safe with the Store interface alone: Put is atomic, so at every instant each
// object is whole under exactly one KEK, and no object/sidecar pair can be left
// half-updated. An interrupted rotation leaves objects under old or new; readers given
// new as Encryption.KEK and old as Encryption.Previous read both, and running
// RotateKEK again resumes (objects under new are counted Current and not rewritten).
// The cost is reading and writing each object's bytes once (no cryptography on them).
//
// Run it while no writer replaces objects in the store: a Put racing with the rewrite
// of the same key could be undone by it. Content-addressed blobs are immutable, so for
// them the race is harmless. An object under any other KEK, or one whose header fails
// to authenticate under old, stops the rotation with an error naming it.
func RotateKEK(ctx context.Context, store Store, old, new KEK) (RotateReport, error) {
	var rep RotateReport
	if !old.IsSet() || !new.IsSet() {
		return rep, errors.New("rotate kek: need both the old and the new key-encryption key")
	}
	if es, ok := store.(*EncryptedStore); ok {
		store = es.Inner()
	}
	infos, err := store.List(ctx, "")
	if err != nil {
		return rep, fmt.Errorf("rotate kek: %w", err)
	}
	for _, info := range infos {
		switch err := rotateOne(ctx, store, info, old, new, &rep); {
		case errors.Is(err, ErrNotFound): // deleted since the listing
		case err != nil:
			return rep, fmt.Errorf("rotate kek: %w", err)
		}
	}
	return rep, nil
}

func rotateOne(ctx context.Context, store Store, info ObjectInfo, old, new KEK, rep *RotateReport) error {
	key := info.Key
	rc, err := store.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, encHeaderSize)
	n, err := io.ReadFull(rc, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("object %q: read header: %w", key, err)
	}
	if !hasEncMagic(buf[:n]) {
		rep.Plaintext++
		return nil
	}
	h, err := parseEncHeader(buf[:n])
	if err != nil {
		return fmt.Errorf("object %q: %w: %v", key, ErrTampered, err)
	}
	switch h.kekID {
	case new.id:
		if _, err := openHeader(new, key, h); err != nil {
			return fmt.Errorf("object %q: %w: its data key does not unwrap under the new kek %s", key, ErrTampered, new.ID())
		}
		rep.Current++
		return nil
	case old.id:
	default:
		return fmt.Errorf("object %q: %w: it is under kek %s, neither the old %s nor the new %s",
			key, ErrWrongKEK, h.kekIDString(), old.ID(), new.ID())
	}
	dataKey, err := openHeader(old, key, h)
	if err != nil {
		return fmt.Errorf("object %q: %w: its data key does not unwrap under the old kek %s", key, ErrTampered, old.ID())
	}
	nh, err := sealHeader(new, key, dataKey, h.empty())
	if err != nil {
		return fmt.Errorf("object %q: wrap data key: %w", key, err)
	}
	// The payload goes back byte for byte; its size is the listed size, so a payload
	// that changed length since the listing fails the Put instead of being cut.
	body := io.MultiReader(bytes.NewReader(nh.marshal()), rc)
	if err := store.Put(ctx, key, body, info.Size); err != nil {
		return fmt.Errorf("object %q: rewrite: %w", key, err)
	}
	rep.Rewrapped++
	return nil
}
