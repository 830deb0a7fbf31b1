package docsign

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
)

// The images of the visible signatures, kept in the keyring beside the keys: a
// person's handwritten signature (persons/<username>.signature.png) and an agency's
// seal (agencies/<organ_id>.seal.png). Without one, the signing package draws a
// stand-in from the name.

// MaxImageSize bounds an uploaded signature or seal image.
const MaxImageSize = 2 << 20

// ErrNotPNG refuses an image that is not a PNG.
var ErrNotPNG = errors.New("docsign: the image is not a PNG")

// SignatureImage returns the person's signature image, or nil when there is none.
func (k Keyring) SignatureImage(username string) ([]byte, error) {
	return k.readImage("persons", username, ".signature.png")
}

// SealImage returns the agency's seal image, or nil when there is none.
func (k Keyring) SealImage(organID string) ([]byte, error) {
	return k.readImage("agencies", organID, ".seal.png")
}

// SaveSignatureImage stores the person's signature image (a PNG).
func (k Keyring) SaveSignatureImage(username string, img []byte) error {
	return k.writeImage("persons", username, ".signature.png", img)
}

// SaveSealImage stores the agency's seal image (a PNG).
func (k Keyring) SaveSealImage(organID string, img []byte) error {
	return k.writeImage("agencies", organID, ".seal.png", img)
}

func (k Keyring) imagePath(kind, name, suffix string) (string, error) {
	if k.Dir == "" || !validKeyName(name) {
		return "", fmt.Errorf("docsign: bad image name %q", name)
	}
	return filepath.Join(k.Dir, kind, name+suffix), nil
}

func (k Keyring) readImage(kind, name, suffix string) ([]byte, error) {
	path, err := k.imagePath(kind, name, suffix)
	if err != nil {
		return nil, err
	}
	img, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docsign: unable to read %s: %w", path, err)
	}
	return img, nil
}

func (k Keyring) writeImage(kind, name, suffix string, img []byte) error {
	if _, err := png.DecodeConfig(bytes.NewReader(img)); err != nil || len(img) > MaxImageSize {
		return ErrNotPNG
	}
	path, err := k.imagePath(kind, name, suffix)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("docsign: unable to create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, img, 0o600); err != nil {
		return fmt.Errorf("docsign: unable to write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("docsign: unable to store %s: %w", path, err)
	}
	return nil
}
